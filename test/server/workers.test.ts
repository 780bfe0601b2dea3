import { type ChildProcess, spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { PostgresQueue } from '../../src/server/pg-queue.js';
import { openStore, type StoreLocation } from '../../src/store/open.js';
import { PROJECT_ROOT, TEST_DATABASE_URL, tempFolder } from '../helpers.js';
import { BACKENDS } from '../store/backends.js';

const postgres = BACKENDS.find((backend) => backend.name === 'postgres');
const workers: ChildProcess[] = [];
afterAll(() => {
  for (const worker of workers) if (worker.exitCode === null) worker.kill('SIGKILL');
});

function startWorker(location: Extract<StoreLocation, { kind: 'postgres' }>) {
  // Node itself with tsx as a loader, not the tsx wrapper: SIGKILL must reach the process that runs the audit.
  const child = spawn(process.execPath, ['--import', 'tsx', join(PROJECT_ROOT, 'src', 'cli', 'main.ts'), 'worker'], {
    cwd: PROJECT_ROOT,
    env: {
      ...process.env,
      ASSAY_DATABASE_URL: location.url,
      ASSAY_DATABASE_SCHEMA: location.schema ?? '',
      ASSAY_JOB_EXPIRE_SECONDS: '5',
      ASSAY_JOB_MAINTENANCE_SECONDS: '1',
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  workers.push(child);
  let stderr = '';
  child.stderr?.on('data', (chunk) => {
    stderr += chunk;
  });
  return { child, stderr: () => stderr };
}

async function until<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, seconds = 90): Promise<T> {
  for (let waited = 0; waited < seconds * 10; waited++) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe.runIf(postgres)('audits spread over workers sharing one PostgreSQL', () => {
  it('a worker killed with SIGKILL mid-audit: the job still completes, exactly once, on the other worker', async () => {
    const location = (await postgres?.fresh()) as Extract<StoreLocation, { kind: 'postgres' }>;
    const store = await openStore(location);
    // Enough files that the audit is still running when the first worker is killed.
    const target = await tempFolder({});
    for (let index = 0; index < 1000; index++) await writeFile(join(target, `part-${index}.txt`), `part ${index}\n`);
    const queue = new PostgresQueue({
      url: location.url,
      schema: `${location.schema}_jobs`,
      expireInSeconds: 5,
      maintenanceIntervalSeconds: 1,
    });
    try {
      // The queue's tables exist before the workers start, so they do not race to create them.
      await queue.ready();
      const first = startWorker(location);
      const second = startWorker(location);
      await until(
        'both workers to start',
        () => (first.stderr().includes('waiting') && second.stderr().includes('waiting') ? true : undefined),
        180,
      );
      const started = await store.startAudit({ command: 'scan', model: 'big-model' });
      await queue.submit({ auditId: started.id, model: 'big-model', target, command: 'scan' });
      await queue.submit({ auditId: started.id, model: 'big-model', target, command: 'scan' }); // idempotent

      const victim = await until('a worker to take the job', () =>
        [first, second].find((worker) => worker.stderr().includes(`audit ${started.id} of`)),
      );
      victim.child.kill('SIGKILL');
      const survivor = victim === first ? second : first;

      const done = await until('the audit to finish', async () => {
        const audit = await store.getAudit(started.id);
        return audit?.status === 'running' ? undefined : audit;
      });
      expect(done.status, `${victim.stderr()}\n${survivor.stderr()}\n${done.error}`).toBe('finished');
      expect(survivor.stderr()).toContain(`audit ${started.id} done`);
      expect(victim.stderr()).not.toContain(`audit ${started.id} done`);
      const reports = await postgres?.rows(
        location,
        `select count(*)::int as n from reports where audit_id = '${started.id}'`,
      );
      expect(reports).toEqual([{ n: 1 }]);
      const records = (await store.listLog()).filter(
        (entry) => entry.subjectId === started.id && entry.action.endsWith('.record'),
      );
      expect(records).toHaveLength(1);
      expect((await store.verifyLog()).ok).toBe(true);
    } finally {
      await queue.stop();
      await store.close();
      const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
      await client.connect();
      await client.query(`drop schema if exists ${location.schema}_jobs cascade`);
      await client.end();
    }
  }, 400_000);
});
