import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { serve } from '@hono/node-server';
import { Config } from '../core/config.js';
import { describeLocation, openStore, type StoreLocation } from '../store/open.js';
import type { Store, StoredMonitor } from '../store/store.js';
import { HUB_PREFIX } from '../targets/resolve.js';
import { createApp } from './app.js';
import {
  type AuditJob,
  failInterruptedAudits,
  InProcessQueue,
  type JobQueue,
  type ProgressBoard,
  runAuditJob,
} from './jobs.js';
import { monitorTasks, syncConfigMonitors } from './monitors.js';
import { alertNotifier } from './notify.js';
import { PostgresQueue } from './pg-queue.js';
import { type ScheduledTask, Scheduler } from './scheduler.js';

export interface ServiceOptions {
  location: StoreLocation;
  port: number;
  host: string;
  roots: readonly string[];
  allowHub: boolean;
  concurrency: number;
  /** Run audits in this process (false: leave them to `assay worker` processes sharing PostgreSQL). */
  worker: boolean;
  config?: Config;
  /** Folder relative paths in the config are resolved against (the config file's folder). */
  configDir?: string;
  queue?: { expireInSeconds?: number; maintenanceIntervalSeconds?: number };
  log?: (line: string) => void;
}

export interface Service {
  url: string;
  store: Store;
  stop(): Promise<void>;
}

/**
 * Everything `assay serve` runs in one process: the store, the job queue (in memory for SQLite, pg-boss for
 * PostgreSQL), alerts, the scheduler for the config's re-audits, and the HTTP API with the dashboard.
 */
export async function startService(options: ServiceOptions): Promise<Service> {
  const log = options.log ?? (() => undefined);
  const store = await openStore(options.location);
  // In-process jobs die with the process; PostgreSQL jobs outlive it and are picked up again by any worker.
  const interrupted = options.location.kind === 'sqlite' ? await failInterruptedAudits(store) : 0;
  if (interrupted > 0) log(`${interrupted} audit(s) interrupted by the last shutdown marked failed`);
  const progress: ProgressBoard = new Map();
  const queue = jobQueue(options.location, options.concurrency, options.queue);
  const notifier = options.config && alertNotifier(options.config.alerts, store);
  if (options.worker) await queue.start((job) => runAuditJob(job, { store, progress, notifier }));

  const scheduler = new Scheduler({
    claim: (key, dueAt) => store.claimScheduledRun(key, dueAt),
    lastRun: (key) => store.lastScheduledRun(key),
    onError: (task, error) => log(`scheduled ${task.key} failed: ${error.message}`),
  });
  // Monitors alert with the config's webhooks, or at least into the store's alert history.
  const monitorNotifier = notifier ?? alertNotifier(Config.parse({}).alerts, store);
  await syncConfigMonitors(store, options.config, log);
  await scheduler.start(scheduledAudits(options, store, queue));
  // Monitors with a schedule, from the config, from earlier runs, and saved through the API while serving.
  const scheduledMonitors = new Set<string>();
  const scheduleMonitors = async (monitors: readonly StoredMonitor[]) => {
    const tasks = monitorTasks(monitors, store, monitorNotifier).filter((task) => !scheduledMonitors.has(task.key));
    for (const task of tasks) scheduledMonitors.add(task.key);
    await scheduler.start(tasks);
  };
  await scheduleMonitors(await store.listMonitors());

  const app = createApp({
    store,
    queue,
    progress,
    roots: options.roots,
    allowHub: options.allowHub,
    notifier: monitorNotifier,
    onMonitorSaved: (monitor) => scheduleMonitors([monitor]),
  });
  const server = serve({ fetch: app.fetch, port: options.port, hostname: options.host });
  await new Promise<void>((ready) => server.once('listening', () => ready()));
  const { port } = server.address() as AddressInfo;
  const url = `http://${options.host}:${port}`;
  log(`serving on ${url} (store ${describeLocation(options.location)})`);
  return {
    url,
    store,
    async stop() {
      await new Promise<void>((closed) => server.close(() => closed()));
      await scheduler.stop();
      await queue.stop();
      await store.close();
    },
  };
}

/** PostgreSQL: jobs in pg-boss, shared by every worker. SQLite: in this process. */
export function jobQueue(
  location: StoreLocation,
  concurrency: number,
  settings: ServiceOptions['queue'] = {},
): JobQueue {
  if (location.kind === 'sqlite') return new InProcessQueue(concurrency);
  return new PostgresQueue({
    url: location.url,
    schema: `${location.schema ?? 'assay'}_jobs`,
    concurrency,
    ...settings,
  });
}

/** One task per model with a schedule: a new audit of its target, queued like one submitted through the API. */
function scheduledAudits(options: ServiceOptions, store: Store, queue: JobQueue): ScheduledTask[] {
  const config = options.config;
  if (!config) return [];
  const base = options.configDir ?? process.cwd();
  const local = (path: string) => (path.startsWith(HUB_PREFIX) ? path : resolve(base, path));
  return config.models.flatMap((model) => {
    if (!model.schedule) return [];
    const policy = model.policy ?? config.policy;
    return [
      {
        key: `audit:${model.name}`,
        cron: model.schedule,
        run: async () => {
          const started = await store.startAudit({ command: 'audit', model: model.name, actor: 'scheduler' });
          const job: AuditJob = {
            auditId: started.id,
            model: model.name,
            target: local(model.target),
            command: 'audit',
          };
          if (policy) job.policy = local(policy);
          await queue.submit(job);
        },
      },
    ];
  });
}
