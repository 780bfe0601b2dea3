import { serve } from '@hono/node-server';
import { loadConfig } from '../core/config.js';
import { createApp } from '../server/app.js';
import {
  failInterruptedAudits,
  InProcessQueue,
  type JobQueue,
  type ProgressBoard,
  runAuditJob,
} from '../server/jobs.js';
import { PostgresQueue } from '../server/pg-queue.js';
import { describeLocation, openStore, type StoreLocation, storeLocation } from '../store/open.js';
import type { ApiTokenScope } from '../store/store.js';

export interface ServeOptions {
  port: string;
  host: string;
  root: string[];
  config?: string;
  offline?: boolean;
  concurrency: string;
  /** False with --no-worker: submitted audits wait for `assay worker` processes (PostgreSQL only). */
  worker: boolean;
}

/** PostgreSQL: jobs in pg-boss, shared by every worker. SQLite: in this process. */
function jobQueue(location: StoreLocation, concurrency: number): JobQueue {
  if (location.kind === 'sqlite') return new InProcessQueue(concurrency);
  return new PostgresQueue({
    url: location.url,
    schema: `${location.schema ?? 'assay'}_jobs`,
    concurrency,
    expireInSeconds: envSeconds('ASSAY_JOB_EXPIRE_SECONDS'),
    maintenanceIntervalSeconds: envSeconds('ASSAY_JOB_MAINTENANCE_SECONDS'),
  });
}

function envSeconds(name: string): number | undefined {
  const value = process.env[name];
  if (value === undefined || value === '') return undefined;
  const seconds = Number(value);
  if (!Number.isInteger(seconds) || seconds < 1) throw new UsageError(`${name} must be a whole number of seconds`);
  return seconds;
}

/** `assay worker`: takes audit jobs from the PostgreSQL queue until stopped (SIGINT / SIGTERM). */
export async function runWorker(options: { concurrency: string }): Promise<number> {
  const concurrency = Number(options.concurrency);
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new UsageError('--concurrency must be 1 or more');
  const location = storeLocation();
  if (location.kind !== 'postgres')
    throw new UsageError('assay worker needs a shared PostgreSQL store: set ASSAY_DATABASE_URL=postgres://…');
  const store = await openStore(location);
  const queue = jobQueue(location, concurrency);
  await queue.start(async (job) => {
    process.stderr.write(`assay worker ${process.pid}: audit ${job.auditId} of ${job.target}\n`);
    await runAuditJob(job, { store });
    process.stderr.write(`assay worker ${process.pid}: audit ${job.auditId} done\n`);
  });
  process.stderr.write(`assay worker ${process.pid}: waiting for audits (store ${describeLocation(location)})\n`);
  await untilSignalled();
  await queue.stop();
  await store.close();
  return 0;
}

function untilSignalled(): Promise<void> {
  return new Promise((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
}

/** `assay serve`: the API, the deploy gate and the dashboard, with audits run in this process. */
export async function runServe(options: ServeOptions): Promise<number> {
  const port = Number(options.port);
  const concurrency = Number(options.concurrency);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port ${options.port} is not a port`);
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new UsageError('--concurrency must be 1 or more');
  if (options.config) await loadConfig(options.config);
  const location = storeLocation();
  const store = await openStore(location);
  // In-process jobs die with the process; PostgreSQL jobs outlive it and are picked up again by any worker.
  const interrupted = location.kind === 'sqlite' ? await failInterruptedAudits(store) : 0;
  const progress: ProgressBoard = new Map();
  const queue = jobQueue(location, concurrency);
  if (options.worker) await queue.start((job) => runAuditJob(job, { store, progress }));
  const app = createApp({ store, queue, progress, roots: options.root, allowHub: !options.offline });
  const server = serve({ fetch: app.fetch, port, hostname: options.host }, (info) => {
    process.stderr.write(
      `assay: serving on http://${options.host}:${info.port} (store ${describeLocation(location)}` +
        `${interrupted > 0 ? `; ${interrupted} interrupted audit(s) marked failed` : ''})\n`,
    );
  });
  await untilSignalled();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await queue.stop();
  await store.close();
  return 0;
}

export class UsageError extends Error {}

/** `assay token create|list|revoke`: bearer tokens for the API; only their hashes are stored. */
export async function runTokenCreate(options: { name: string; scopes: string }): Promise<number> {
  const scopes = options.scopes.split(',').map((scope) => scope.trim());
  const invalid = scopes.filter((scope) => !['read', 'write', 'admin'].includes(scope));
  if (invalid.length > 0) throw new UsageError(`unknown scope(s) ${invalid.join(', ')}: use read, write, admin`);
  const store = await openStore(storeLocation());
  try {
    const { token, record } = await store.createApiToken(options.name, scopes as ApiTokenScope[]);
    process.stdout.write(`${token}\n`);
    process.stderr.write(`assay: token ${record.id} (${record.scopes.join(', ')}); it is shown once, store it now\n`);
  } finally {
    await store.close();
  }
  return 0;
}

export async function runTokenList(): Promise<number> {
  const store = await openStore(storeLocation());
  try {
    for (const token of await store.listApiTokens())
      process.stdout.write(
        `${token.id}  ${token.name}  ${token.scopes.join(',')}  created ${token.createdAt}` +
          `${token.revokedAt ? `  revoked ${token.revokedAt}` : ''}\n`,
      );
  } finally {
    await store.close();
  }
  return 0;
}

export async function runTokenRevoke(id: string): Promise<number> {
  const store = await openStore(storeLocation());
  try {
    const revoked = await store.revokeApiToken(id);
    if (!revoked) {
      process.stderr.write(`assay: no token ${id} (assay token list shows them)\n`);
      return 2;
    }
  } finally {
    await store.close();
  }
  return 0;
}
