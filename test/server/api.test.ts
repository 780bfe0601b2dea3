import { cp, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/server/app.js';
import { InProcessQueue, type ProgressBoard, runAuditJob } from '../../src/server/jobs.js';
import type { GateAnswer } from '../../src/server/schemas.js';
import { modelDigest } from '../../src/store/model-digest.js';
import { openStore } from '../../src/store/open.js';
import type { Store } from '../../src/store/store.js';
import { callPickle } from '../fixtures/pickle-writer.js';
import { PROJECT_ROOT, tempFolder } from '../helpers.js';
import { BACKENDS } from '../store/backends.js';

async function json<T>(response: Response): Promise<T> {
  return (await response.json()) as T;
}

describe.each(BACKENDS)('assay serve API on $name', (backend) => {
  let store: Store;
  let app: ReturnType<typeof createApp>;
  let queue: InProcessQueue;
  let workspace: string;
  const tokens = { read: '', write: '', admin: '' };

  beforeAll(async () => {
    store = await openStore(await backend.fresh());
    workspace = await tempFolder({});
    await cp(join(PROJECT_ROOT, 'examples', 'benign-model'), join(workspace, 'model'), { recursive: true });
    const progress: ProgressBoard = new Map();
    queue = new InProcessQueue(1);
    await queue.start((job) => runAuditJob(job, { store, progress }));
    app = createApp({ store, queue, progress, roots: [workspace], allowHub: false, maxBodyBytes: 4096 });
    for (const scope of ['read', 'write', 'admin'] as const)
      tokens[scope] = (await store.createApiToken(`${scope}-token`, [scope])).token;
  });
  afterAll(async () => {
    await queue.stop();
    await store.close();
  });

  const call = (path: string, init: RequestInit & { token?: string } = {}) =>
    app.request(path, {
      ...init,
      headers: {
        'content-type': 'application/json',
        ...(init.token ? { authorization: `Bearer ${init.token}` } : {}),
        ...init.headers,
      },
    });

  async function finished(id: string) {
    for (let attempt = 0; attempt < 600; attempt++) {
      const audit = await store.getAudit(id);
      if (audit && audit.status !== 'running') return audit;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`audit ${id} did not finish`);
  }

  it('refuses requests without a token, with a read token on a write route, oversized or malformed bodies; writes nothing', async () => {
    const body = JSON.stringify({ target: join(workspace, 'model') });
    expect((await call('/api/audits', { method: 'POST', body })).status).toBe(401);
    expect((await call('/api/audits', { method: 'POST', body, token: 'assay_not-a-token' })).status).toBe(401);
    expect((await call('/api/audits', { method: 'POST', body, token: tokens.read })).status).toBe(403);
    const huge = JSON.stringify({ target: 'x'.repeat(10_000) });
    expect((await call('/api/audits', { method: 'POST', body: huge, token: tokens.write })).status).toBe(413);
    const malformed = await call('/api/audits', { method: 'POST', body: '{"target":', token: tokens.write });
    expect(malformed.status).toBe(400);
    const wrongShape = await call('/api/audits', {
      method: 'POST',
      body: JSON.stringify({ target: 'm', extra: 1 }),
      token: tokens.write,
    });
    expect(wrongShape.status).toBe(400);
    expect((await json<{ error: string }>(wrongShape)).error).toContain('extra');
    const outside = await call('/api/audits', {
      method: 'POST',
      body: JSON.stringify({ target: '/etc' }),
      token: tokens.write,
    });
    expect(outside.status).toBe(403);
    expect((await call('/api/tokens', { method: 'POST', body: '{}', token: tokens.write })).status).toBe(403);
    expect(await store.listAudits()).toEqual([]);
  });

  it('runs a submitted audit, answers the gate for exactly those bytes, and flips when a malicious file is added', async () => {
    const target = join(workspace, 'model');
    const submitted = await call('/api/audits', {
      method: 'POST',
      body: JSON.stringify({ target, model: 'team/model' }),
      token: tokens.write,
    });
    expect(submitted.status).toBe(202);
    const { id } = await json<{ id: string }>(submitted);
    const first = await finished(id);
    expect(first).toMatchObject({ status: 'finished', verdict: 'pass' });
    const digest = modelDigest(first.report?.files ?? []);
    const gate = async (value: string) =>
      json<GateAnswer>(
        await call(`/api/gate?model=team/model&digest=${encodeURIComponent(value)}`, { token: tokens.read }),
      );
    expect(await gate(digest)).toMatchObject({ allow: true, reasons: [], auditId: id });
    expect(await gate(`sha256:${'0'.repeat(64)}`)).toMatchObject({ allow: false });

    await writeFile(join(target, 'extra.pkl'), callPickle('posix', 'system', 'echo pwned'));
    const again = await json<{ id: string }>(
      await call('/api/audits', {
        method: 'POST',
        body: JSON.stringify({ target, model: 'team/model' }),
        token: tokens.write,
      }),
    );
    const second = await finished(again.id);
    expect(second.verdict).toBe('fail');
    const flipped = await gate(modelDigest(second.report?.files ?? []));
    expect(flipped.allow).toBe(false);
    expect(flipped.reasons.join(' ')).toMatch(/finding\(s\) at or above high/);
    // The earlier, clean bytes still pass: the gate is about exactly the bytes being deployed.
    expect((await gate(digest)).allow).toBe(true);

    const report = await call(`/api/audits/${again.id}/report?format=sarif`, { token: tokens.read });
    expect(report.headers.get('content-type')).toContain('sarif');
    expect((await json<{ runs: { results: unknown[] }[] }>(report)).runs[0]?.results.length).toBeGreaterThan(0);
  });
});
