import { dirname, resolve } from 'node:path';
import { loadConfig } from '../core/config.js';
import { UserError } from '../core/user-error.js';
import { runAuditJob } from '../server/jobs.js';
import { alertNotifier } from '../server/notify.js';
import { jobQueue, type ServiceOptions, startService } from '../server/service.js';
import { describeLocation, openStore, storeLocation } from '../store/open.js';
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

function envSeconds(name: string): number | undefined {
  const value = process.env[name];
  if (value === undefined || value === '') return undefined;
  const seconds = Number(value);
  if (!Number.isInteger(seconds) || seconds < 1) throw new UsageError(`${name} must be a whole number of seconds`);
  return seconds;
}

/** `assay worker`: takes audit jobs from the PostgreSQL queue until stopped (SIGINT / SIGTERM). */
export async function runWorker(options: { concurrency: string; config?: string }): Promise<number> {
  const concurrency = Number(options.concurrency);
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new UsageError('--concurrency must be 1 or more');
  const location = storeLocation();
  if (location.kind !== 'postgres')
    throw new UsageError('assay worker needs a shared PostgreSQL store: set ASSAY_DATABASE_URL=postgres://…');
  const store = await openStore(location);
  const { config } = await configFor(options.config);
  const notifier = config && alertNotifier(config.alerts, store);
  const queue = jobQueue(location, concurrency, queueSettings());
  await queue.start(async (job) => {
    process.stderr.write(`assay worker ${process.pid}: audit ${job.auditId} of ${job.target}\n`);
    await runAuditJob(job, { store, notifier });
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

/** `assay serve`: the API, the deploy gate, the dashboard, scheduled re-audits and alerts, until stopped. */
export async function runServe(options: ServeOptions): Promise<number> {
  const port = Number(options.port);
  const concurrency = Number(options.concurrency);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port ${options.port} is not a port`);
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new UsageError('--concurrency must be 1 or more');
  const service = await startService({
    location: storeLocation(),
    port,
    host: options.host,
    roots: options.root,
    allowHub: !options.offline,
    concurrency,
    worker: options.worker,
    ...(await configFor(options.config)),
    queue: queueSettings(),
    log: (line) => process.stderr.write(`assay: ${line}\n`),
  });
  await untilSignalled();
  await service.stop();
  return 0;
}

async function configFor(path: string | undefined): Promise<Pick<ServiceOptions, 'config' | 'configDir'>> {
  return path ? { config: await loadConfig(path), configDir: dirname(resolve(path)) } : {};
}

/** Test and operations knobs for the PostgreSQL job queue (how soon a dead worker's job is handed on). */
function queueSettings(): ServiceOptions['queue'] {
  return {
    expireInSeconds: envSeconds('ASSAY_JOB_EXPIRE_SECONDS'),
    maintenanceIntervalSeconds: envSeconds('ASSAY_JOB_MAINTENANCE_SECONDS'),
  };
}

export class UsageError extends UserError {}

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
