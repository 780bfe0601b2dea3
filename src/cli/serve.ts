import { serve } from '@hono/node-server';
import { loadConfig } from '../core/config.js';
import { createApp } from '../server/app.js';
import { failInterruptedAudits, InProcessQueue, type ProgressBoard, runAuditJob } from '../server/jobs.js';
import { describeLocation, openStore, storeLocation } from '../store/open.js';
import type { ApiTokenScope } from '../store/store.js';

export interface ServeOptions {
  port: string;
  host: string;
  root: string[];
  config?: string;
  offline?: boolean;
  concurrency: string;
}

/** `assay serve`: the API, the deploy gate and the dashboard, with audits run in this process. */
export async function runServe(options: ServeOptions): Promise<number> {
  const port = Number(options.port);
  const concurrency = Number(options.concurrency);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port ${options.port} is not a port`);
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new UsageError('--concurrency must be 1 or more');
  if (options.config) await loadConfig(options.config);
  const store = await openStore(storeLocation());
  const interrupted = await failInterruptedAudits(store);
  const progress: ProgressBoard = new Map();
  const queue = new InProcessQueue(concurrency);
  await queue.start((job) => runAuditJob(job, { store, progress }));
  const app = createApp({ store, queue, progress, roots: options.root, allowHub: !options.offline });
  const server = serve({ fetch: app.fetch, port, hostname: options.host }, (info) => {
    process.stderr.write(
      `assay: serving on http://${options.host}:${info.port} (store ${describeLocation(storeLocation())}` +
        `${interrupted > 0 ? `; ${interrupted} interrupted audit(s) marked failed` : ''})\n`,
    );
  });
  await new Promise<void>((resolve) => {
    const stop = () => {
      server.close(() => resolve());
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
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
