/** The store on SQLite and on PostgreSQL: the same behaviour, checked the same way. */
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { builtInRuleMetas } from '../../src/assay.js';
import type { Report } from '../../src/core/report.js';
import { render } from '../../src/report/index.js';
import { sha256Hex } from '../../src/store/canonical-json.js';
import { modelDigest } from '../../src/store/model-digest.js';
import { openStore, type StoreLocation } from '../../src/store/open.js';
import type { Store } from '../../src/store/store.js';
import { auditPath, PROJECT_ROOT, tempFolder } from '../helpers.js';
import { BACKENDS } from './backends.js';

let benign: Report;
let malicious: Report;
beforeAll(async () => {
  benign = await auditPath(join(PROJECT_ROOT, 'examples', 'benign-model'));
  malicious = await auditPath(join(PROJECT_ROOT, 'examples', 'malicious-model'));
});

async function withStore<T>(location: StoreLocation, body: (store: Store) => Promise<T>): Promise<T> {
  const store = await openStore(location);
  try {
    return await body(store);
  } finally {
    await store.close();
  }
}

describe.each(BACKENDS)('store on $name', (backend) => {
  it('migrates a fresh store once; opening it again changes nothing', async () => {
    const location = await backend.fresh();
    const first = await withStore(location, (store) => store.recordAudit(benign, { command: 'audit', model: '/m' }));
    for (let round = 0; round < 2; round++) {
      await withStore(location, async (store) => {
        expect((await store.listAudits()).map((audit) => audit.id)).toEqual([first.id]);
        expect(await store.verifyLog()).toMatchObject({ ok: true, entries: 1 });
      });
    }
  });

  it('records an audit, lists it and gives back the same report, rendered the same in every format', async () => {
    await withStore(await backend.fresh(), async (store) => {
      const recorded = await store.recordAudit(malicious, { command: 'audit', model: '/models/m', actor: 'alice' });
      expect(recorded).toMatchObject({
        model: '/models/m',
        command: 'audit',
        status: 'finished',
        verdict: 'fail',
        exitCode: 1,
        actor: 'alice',
        modelDigest: modelDigest(malicious.files),
        startedAt: malicious.startedAt,
        finishedAt: malicious.finishedAt,
      });
      expect(recorded.findings.critical).toBe(malicious.summary.findings.critical);
      expect(recorded.reportDigest).toMatch(/^sha256:[0-9a-f]{64}$/);

      const [listed] = await store.listAudits({ model: '/models/m' });
      expect(listed).toEqual(recorded);
      const stored = await store.getAudit(recorded.id.slice(0, 8));
      expect(stored?.id).toBe(recorded.id);
      const rules = builtInRuleMetas();
      for (const format of ['json', 'html', 'md', 'sarif', 'text'] as const) {
        expect(render(format, stored?.report as Report, rules)).toBe(render(format, malicious, rules));
      }
      expect(await store.getAudit('00000000-0000-0000-0000-000000000000')).toBeUndefined();
    });
  });

  it('answers the gate for exactly these bytes, and nothing for an unknown digest', async () => {
    await withStore(await backend.fresh(), async (store) => {
      const passed = await store.recordAudit(benign, { command: 'audit', model: '/m' });
      const failed = await store.recordAudit(malicious, { command: 'audit', model: '/m' });
      expect((await store.latestAuditForDigest('/m', modelDigest(benign.files)))?.id).toBe(passed.id);
      expect((await store.latestAuditForDigest('/m', modelDigest(malicious.files)))?.verdict).toBe('fail');
      expect(failed.modelDigest).not.toBe(passed.modelDigest);
      expect(await store.latestAuditForDigest('/m', `sha256:${'0'.repeat(64)}`)).toBeUndefined();
      expect(await store.latestAuditForDigest('/other', modelDigest(benign.files))).toBeUndefined();
    });
  });

  it('shows finding and metric trends oldest first, with the rules that appeared and went away', async () => {
    await withStore(await backend.fresh(), async (store) => {
      const at = (report: Report, minute: number) => ({
        ...report,
        startedAt: `2026-01-01T00:0${minute}:00.000Z`,
        finishedAt: `2026-01-01T00:0${minute}:30.000Z`,
      });
      await store.recordAudit(at(benign, 1), { command: 'audit', model: '/m' });
      await store.recordAudit(at(malicious, 2), { command: 'audit', model: '/m', metrics: { accuracy: 0.5 } });
      await store.recordAudit(at(benign, 3), { command: 'audit', model: '/m', metrics: { accuracy: 0.75 } });
      const trend = await store.findingTrend('/m');
      expect(trend.map((point) => point.verdict)).toEqual(['pass', 'fail', 'pass']);
      expect(trend[1]?.newRules).toContain('security/pickle-dangerous-global');
      expect(trend[2]?.resolvedRules).toContain('security/pickle-dangerous-global');
      expect((await store.metricTrend('/m', 'findings.critical')).map((point) => point.value)).toEqual([
        benign.summary.findings.critical,
        malicious.summary.findings.critical,
        benign.summary.findings.critical,
      ]);
      expect((await store.metricTrend('/m', 'accuracy')).map((point) => point.value)).toEqual([0.5, 0.75]);
      expect(await store.metricNames('/m')).toContain('findings.high');
      const dangerous = await store.findings({ model: '/m', ruleId: 'security/pickle-dangerous-global' });
      expect(dangerous.length).toBeGreaterThan(0);
      expect(new Set(dangerous.map((finding) => finding.auditId)).size).toBe(1);
      expect((await store.listModels()).map((model) => [model.name, model.audits, model.latest?.verdict])).toEqual([
        ['/m', 3, 'pass'],
      ]);
    });
  });

  it('follows an audit from running to finished or failed', async () => {
    await withStore(await backend.fresh(), async (store) => {
      const running = await store.startAudit({ command: 'audit', model: '/m' });
      expect(running).toMatchObject({ status: 'running', verdict: null, finishedAt: null });
      const finished = await store.recordAudit(benign, { command: 'audit', model: '/m', auditId: running.id });
      expect(finished).toMatchObject({ id: running.id, status: 'finished', verdict: 'pass' });
      await expect(store.recordAudit(benign, { command: 'audit', model: '/m', auditId: running.id })).rejects.toThrow(
        /not a running audit/,
      );
      const doomed = await store.startAudit({ command: 'audit', model: '/m' });
      expect(await store.failAudit(doomed.id, 'worker lost')).toMatchObject({ status: 'failed', error: 'worker lost' });
      expect((await store.listLog()).map((entry) => entry.action)).toEqual([
        'audit.start',
        'audit.record',
        'audit.start',
        'audit.fail',
      ]);
    });
  });

  it('keeps every version of a baseline and a profile, per model, and returns the latest', async () => {
    await withStore(await backend.fresh(), async (store) => {
      await store.saveBaseline({ name: 'traffic', kind: 'drift-profile', data: { rows: 1 } });
      const latest = await store.saveBaseline({ name: 'traffic', kind: 'drift-profile', data: { rows: 2 } });
      await store.saveBaseline({ name: 'traffic', model: '/m', kind: 'drift-profile', data: { rows: 3 } });
      expect(await store.getBaseline('traffic')).toMatchObject({ id: latest.id, data: { rows: 2 }, model: null });
      expect(await store.getBaseline('traffic', '/m')).toMatchObject({ data: { rows: 3 }, model: '/m' });
      expect(await store.getBaseline('missing')).toBeUndefined();
      await store.saveProfile({ name: 'batch-7', kind: 'column-profile', data: { columns: { age: { count: 10 } } } });
      expect((await store.getProfile('batch-7'))?.data).toEqual({ columns: { age: { count: 10 } } });
      expect(await store.getBaseline('batch-7')).toBeUndefined();
    });
  });

  it('stores API tokens as hashes only; a revoked token no longer authenticates', async () => {
    const location = await backend.fresh();
    const { token, record } = await withStore(location, (store) => store.createApiToken('ci', ['read', 'write']));
    await withStore(location, async (store) => {
      expect(await store.authenticateApiToken(token)).toMatchObject({ id: record.id, scopes: ['read', 'write'] });
      expect(await store.authenticateApiToken(`${token}x`)).toBeUndefined();
      await store.revokeApiToken(record.id);
      expect(await store.authenticateApiToken(token)).toBeUndefined();
    });
    const rows = JSON.stringify(await backend.rows(location, 'select * from api_tokens'));
    expect(rows).toContain(sha256Hex(token));
    expect(rows).not.toContain(token);
  });

  describe('the audit log', () => {
    /** A store with five entries, written by different kinds of writes. */
    async function loggedStore() {
      const location = await backend.fresh();
      await withStore(location, async (store) => {
        await store.recordAudit(benign, { command: 'audit', model: '/a' });
        await store.recordAudit(malicious, { command: 'scan', model: '/b' });
        await store.saveBaseline({ name: 'ref', kind: 'drift-profile', data: [1, 2, 3] });
        await store.appendLog({ action: 'report.sign', target: '/a' });
        await store.createApiToken('ci', ['read']);
        expect(await store.verifyLog()).toMatchObject({ ok: true, entries: 5 });
      });
      return location;
    }
    const verify = (location: StoreLocation) => withStore(location, (store) => store.verifyLog());

    it('chains every write with who did what to which target', async () => {
      const location = await loggedStore();
      const entries = await withStore(location, (store) => store.listLog());
      expect(entries.map((entry) => [entry.seq, entry.action, entry.target])).toEqual([
        [1, 'audit.record', '/a'],
        [2, 'scan.record', '/b'],
        [3, 'baseline.save', 'ref'],
        [4, 'report.sign', '/a'],
        [5, 'token.create', 'ci'],
      ]);
      expect(entries[0]?.prevHash).toBe('0'.repeat(64));
      for (let index = 1; index < entries.length; index++)
        expect(entries[index]?.prevHash).toBe(entries[index - 1]?.hash);
      const audits = await withStore(location, (store) => store.listAudits({ model: '/b' }));
      expect(entries[1]?.reportDigest).toBe(audits[0]?.reportDigest);
    });

    it('detects an edited entry and names it', async () => {
      const location = await loggedStore();
      await backend.exec(location, `update audit_log set actor = 'mallory' where seq = 3`);
      expect(await verify(location)).toMatchObject({
        ok: false,
        firstBadSeq: 3,
        problem: expect.stringMatching(/changed/),
      });
    });

    it('detects a deleted entry', async () => {
      const location = await loggedStore();
      await backend.exec(location, 'delete from audit_log where seq = 2');
      expect(await verify(location)).toMatchObject({
        ok: false,
        firstBadSeq: 2,
        problem: expect.stringMatching(/missing/),
      });
    });

    it('detects two swapped entries', async () => {
      const location = await loggedStore();
      await backend.exec(
        location,
        'update audit_log set seq = -1 where seq = 2; update audit_log set seq = 2 where seq = 3; update audit_log set seq = 3 where seq = -1',
      );
      expect(await verify(location)).toMatchObject({ ok: false, firstBadSeq: 2 });
    });

    it('detects entries cut from the end', async () => {
      const location = await loggedStore();
      await backend.exec(location, 'delete from audit_log where seq >= 4');
      expect(await verify(location)).toMatchObject({
        ok: false,
        firstBadSeq: 4,
        problem: expect.stringMatching(/end/),
      });
    });

    it('detects a stored report or verdict changed behind the log', async () => {
      const location = await loggedStore();
      await backend.exec(location, `update audits set verdict = 'pass', exit_code = 0 where verdict = 'fail'`);
      expect(await verify(location)).toMatchObject({
        ok: false,
        firstBadSeq: 2,
        problem: expect.stringMatching(/verdict/),
      });
      const other = await loggedStore();
      await backend.exec(other, `update reports set json = replace(json, '"fail"', '"pass"')`);
      expect(await verify(other)).toMatchObject({
        ok: false,
        firstBadSeq: 2,
        problem: expect.stringMatching(/report/),
      });
    });

    it('detects a rewritten chain that forgot the head', async () => {
      const location = await loggedStore();
      await backend.exec(location, `update audit_log_head set seq = 4 where id = 1`);
      expect(await verify(location)).toMatchObject({ ok: false, firstBadSeq: 5 });
    });
  });

  describe('several processes', () => {
    let reportFile: string;
    beforeAll(async () => {
      reportFile = join(await tempFolder({}), 'report.json');
      await writeFile(reportFile, JSON.stringify(malicious));
    });
    const writerScript = join(PROJECT_ROOT, 'test', 'store', 'fixtures', 'writer.ts');
    // Node itself with tsx as a loader (not the tsx wrapper), so SIGKILL reaches the process that writes.
    const writer = (location: StoreLocation, count: number, model: string) =>
      spawn(
        process.execPath,
        ['--import', 'tsx', writerScript, JSON.stringify(location), reportFile, String(count), model],
        { cwd: PROJECT_ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
      );
    const finished = (child: ReturnType<typeof writer>) =>
      new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>((resolve) => {
        let stderr = '';
        child.stderr?.on('data', (chunk) => {
          stderr += chunk;
        });
        child.on('close', (code, signal) => resolve({ code, signal, stderr }));
      });

    it('two writers at once both land, and the log chain holds', async () => {
      const location = await backend.fresh();
      await withStore(location, async () => undefined);
      const runs = await Promise.all([writer(location, 15, '/a'), writer(location, 15, '/b')].map(finished));
      for (const run of runs) expect(run, run.stderr).toMatchObject({ code: 0 });
      await withStore(location, async (store) => {
        expect(await store.listAudits({ model: '/a', limit: 100 })).toHaveLength(15);
        expect(await store.listAudits({ model: '/b', limit: 100 })).toHaveLength(15);
        expect(await store.verifyLog()).toMatchObject({ ok: true, entries: 30 });
      });
    });

    it('a writer killed with SIGKILL mid-write leaves whole audits and an intact log', async () => {
      const location = await backend.fresh();
      await withStore(location, async () => undefined);
      const child = writer(location, 10_000, '/k');
      const done = finished(child);
      await new Promise<void>((resolve) => {
        let lines = 0;
        child.stdout?.on('data', (chunk: Buffer) => {
          lines += chunk.toString().split('\n').length - 1;
          if (lines >= 5) {
            child.kill('SIGKILL');
            resolve();
          }
        });
      });
      expect((await done).signal).toBe('SIGKILL');
      await withStore(location, async (store) => {
        const audits = await store.listAudits({ model: '/k', limit: 100_000 });
        expect(audits.length).toBeGreaterThanOrEqual(5);
        for (const audit of audits.slice(0, 20)) {
          const stored = await store.getAudit(audit.id);
          expect(stored?.report?.findings).toHaveLength(malicious.findings.length);
        }
        expect(await store.findings({ model: '/k', limit: 1_000_000 })).toHaveLength(
          audits.length * malicious.findings.filter((finding) => !finding.suppressed).length,
        );
        expect(await store.verifyLog()).toMatchObject({ ok: true, entries: audits.length });
        // The store still takes writes.
        await store.recordAudit(benign, { command: 'audit', model: '/k' });
        expect(await store.verifyLog()).toMatchObject({ ok: true, entries: audits.length + 1 });
      });
    });
  });
});

describe('model digest', () => {
  it('depends on paths and contents, not on listing order', () => {
    const a = { path: 'a.bin', sha256: '1'.repeat(64) };
    const b = { path: 'b.bin', sha256: '2'.repeat(64) };
    expect(modelDigest([a, b])).toBe(modelDigest([b, a]));
    expect(modelDigest([a, b])).not.toBe(modelDigest([a, { ...b, sha256: '3'.repeat(64) }]));
    expect(modelDigest([a, b])).not.toBe(modelDigest([a, { ...b, path: 'c.bin' }]));
    expect(modelDigest([a])).toMatch(/^sha256:[0-9a-f]{64}$/);
  });
});
