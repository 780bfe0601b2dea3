/** The offline advisory cache (`assay db update/status`) and `--online` against a real OSV-like server on 127.0.0.1. */
import { cp, readdir, readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { auditPlan, NOT_ANALYSED_RULE_ID, VERSION } from '../../src/assay.js';
import { audit } from '../../src/core/audit.js';
import { DEFAULT_POLICY } from '../../src/core/policy.js';
import type { Report } from '../../src/core/report.js';
import { cacheStatus, importAdvisories, useAdvisoryDatabase } from '../../src/supply-chain/advisory-db.js';
import { useOnlineAdvisories } from '../../src/supply-chain/osv-api.js';
import { runAssay, SHARED_DATA, tempFolder } from '../helpers.js';

const PYPI = join(SHARED_DATA, 'osv', 'PyPI');
const MODEL = { 'requirements.txt': 'torch==1.13.0\ntransformers>=4.30,<4.40\nsafetensors==0.4.3\n' };

async function auditModel(files: Record<string, string>, online?: string): Promise<Report> {
  return audit(await tempFolder(files), {
    policy: DEFAULT_POLICY,
    ...auditPlan('audit'),
    enrich: online
      ? async (artifacts) => {
          await useOnlineAdvisories(artifacts, online);
          return [];
        }
      : undefined,
    notAnalysedRuleId: NOT_ANALYSED_RULE_ID,
    toolVersion: VERSION,
  });
}

const vulnerable = (report: Report) =>
  report.findings
    .filter((finding) => finding.ruleId === 'supply-chain/vulnerable-dependency')
    .map((finding) => finding.message.split(':')[0]);

describe('assay db update / status', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it('imports an osv.dev all.zip: counts, newest modified, withdrawn records left out; audits then use the cache', async () => {
    const home = await tempFolder({});
    vi.stubEnv('ASSAY_HOME', home);
    vi.stubEnv('ASSAY_OSV_DB', '');
    const status = await importAdvisories(join(PYPI, 'all.zip'), join(home, 'osv'), new Date('2026-01-02T03:04:05Z'));
    expect(status.updated).toEqual(['PyPI']);
    expect(status.ecosystems.PyPI).toMatchObject({
      records: 373,
      withdrawn: 1,
      newestModified: '2024-05-16T11:19:52.866536Z',
      importedAt: '2026-01-02T03:04:05.000Z',
    });
    expect(await readdir(join(home, 'osv'))).toEqual(['PyPI.jsonl', 'status.json']);
    const report = await auditModel(MODEL);
    expect(report.dependencies?.advisoryDatabase).toMatchObject({
      origin: `local cache ${join(home, 'osv')}`,
      records: 373,
    });
    expect(vulnerable(report)).toEqual(['torch==1.13.0 is affected by PYSEC-2022-43015 (CVE-2022-45907)']);
  });

  it('reads the osv.dev folder layout (<Ecosystem>/all.zip) and plain folders of records the same way', async () => {
    const layout = await tempFolder({});
    await cp(join(PYPI, 'all.zip'), join(layout, 'PyPI', 'all.zip'));
    const fromLayout = await importAdvisories(layout, join(await tempFolder({}), 'osv'));
    const fromRecords = await importAdvisories(PYPI, join(await tempFolder({}), 'osv'));
    expect(fromLayout.ecosystems.PyPI?.records).toBe(373);
    // The folder holds the same records as JSON files (plus all.zip itself, read too: each record is kept once).
    const lines = (await readFile(join(fromRecords.folder, 'PyPI.jsonl'), 'utf8')).trim().split('\n');
    expect(new Set(lines.map((line) => JSON.parse(line).id)).size).toBe(373);
  });

  it('ASSAY_OSV_DB still wins over the cache', async () => {
    const home = await tempFolder({});
    vi.stubEnv('ASSAY_HOME', home);
    vi.stubEnv('ASSAY_OSV_DB', PYPI);
    expect((await cacheStatus(join(home, 'osv'))).ecosystems).toEqual({});
    const report = await auditModel(MODEL);
    expect(report.dependencies?.advisoryDatabase?.origin).toBe(PYPI);
  });

  it('through the CLI: update prints counts and the newest date, status lists the cache, scan uses it', async () => {
    const home = await tempFolder({});
    const env = { ASSAY_HOME: home, ASSAY_OSV_DB: '' };
    const empty = await runAssay(['db', 'status'], env);
    expect(empty.stdout).toContain('is empty');
    const update = await runAssay(['db', 'update', '--from', join(PYPI, 'all.zip')], env);
    expect(update.code).toBe(0);
    expect(update.stdout).toMatch(
      /PyPI\s+373 records, newest modified 2024-05-16T11:19:52.866536Z \(1 withdrawn left out\)/,
    );
    const status = await runAssay(['db', 'status'], env);
    expect(status.stdout).toContain(join(home, 'osv'));
    expect(status.stdout).toMatch(/PyPI\s+373 records/);
    const model = await tempFolder(MODEL);
    const scan = await runAssay(['scan', model, '-f', 'json', '--no-progress'], env);
    const report = JSON.parse(scan.stdout) as Report;
    expect(vulnerable(report)).toEqual(['torch==1.13.0 is affected by PYSEC-2022-43015 (CVE-2022-45907)']);
    const missing = await runAssay(['db', 'update', '--from', join(home, 'nothing-here')], env);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('nothing-here does not exist');
  }, 300_000);
});

describe('--online', () => {
  const requests: { method: string; url: string; body: string }[] = [];
  let server: Server;
  let base: string;

  beforeAll(async () => {
    const records = new Map<string, Record<string, unknown>>();
    for (const name of await readdir(PYPI)) {
      if (!name.endsWith('.json')) continue;
      const record = JSON.parse(await readFile(join(PYPI, name), 'utf8'));
      records.set(record.id, record);
    }
    // What osv.dev answers: ids of records affecting the package (and the version, when one is given).
    server = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk) => {
        body += chunk;
      });
      request.on('end', () => {
        requests.push({ method: request.method ?? '', url: request.url ?? '', body });
        if (request.method === 'POST' && request.url === '/v1/querybatch') {
          const { queries } = JSON.parse(body) as { queries: { package: { name: string; ecosystem: string } }[] };
          const results = queries.map((query) => ({
            vulns: [...records.values()]
              .filter((record) =>
                (record.affected as { package: { name: string } }[]).some((a) => a.package.name === query.package.name),
              )
              .map((record) => ({ id: record.id, modified: record.modified })),
          }));
          response.setHeader('content-type', 'application/json');
          response.end(JSON.stringify({ results }));
          return;
        }
        const id = /^\/v1\/vulns\/(.+)$/.exec(request.url ?? '')?.[1];
        const record = id ? records.get(decodeURIComponent(id)) : undefined;
        response.statusCode = record ? 200 : 404;
        response.end(JSON.stringify(record ?? { message: 'not found' }));
      });
    });
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise((done) => server.close(done));
  });

  afterEach(() => {
    useAdvisoryDatabase(undefined);
    requests.length = 0;
    vi.unstubAllEnvs();
  });

  it('sends only names, ecosystems and pinned versions, and matches the returned records locally', async () => {
    vi.stubEnv('ASSAY_HOME', await tempFolder({}));
    vi.stubEnv('ASSAY_OSV_DB', '');
    const report = await auditModel(MODEL, base);
    const batch = requests.find((request) => request.url === '/v1/querybatch');
    expect(JSON.parse(batch?.body ?? '{}')).toEqual({
      queries: [
        { package: { ecosystem: 'PyPI', name: 'torch' }, version: '1.13.0' },
        { package: { ecosystem: 'PyPI', name: 'transformers' } },
        { package: { ecosystem: 'PyPI', name: 'safetensors' }, version: '0.4.3' },
      ],
    });
    expect(vulnerable(report)).toEqual(['torch==1.13.0 is affected by PYSEC-2022-43015 (CVE-2022-45907)']);
    expect(report.dependencies?.advisoryDatabase).toMatchObject({ origin: `OSV API ${base}`, records: 3 });
    const transformers = report.dependencies?.dependencies.find((entry) => entry.name === 'transformers');
    expect(transformers?.advisories.map((entry) => entry.ids[0])).toEqual([
      'GHSA-37q5-v5qm-c9v8',
      'GHSA-v68g-wm8c-6x7j',
    ]);
  });

  it('an unreachable API is a finding, never a clean result', async () => {
    const closed = createServer();
    await new Promise<void>((done) => closed.listen(0, '127.0.0.1', done));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((done) => closed.close(done));
    const report = await auditModel(MODEL, `http://127.0.0.1:${port}`);
    const finding = report.findings.find((entry) => entry.ruleId === 'supply-chain/vulnerable-dependency');
    expect(finding?.severity).toBe('medium');
    expect(finding?.message).toMatch(
      /OSV API at http:\/\/127\.0\.0\.1:\d+ could not be queried.*3 dependencies were not checked/,
    );
  });

  it('is wired to `assay scan --online` with ASSAY_OSV_API, and refused together with --offline', async () => {
    const model = await tempFolder(MODEL);
    const env = { ASSAY_HOME: await tempFolder({}), ASSAY_OSV_DB: '', ASSAY_OSV_API: base };
    const scan = await runAssay(['scan', model, '--online', '-f', 'json', '--no-progress'], env);
    expect(vulnerable(JSON.parse(scan.stdout) as Report)).toEqual([
      'torch==1.13.0 is affected by PYSEC-2022-43015 (CVE-2022-45907)',
    ]);
    expect(requests.some((request) => request.url === '/v1/querybatch')).toBe(true);
    const both = await runAssay(['scan', model, '--online', '--offline'], env);
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/cannot be used with option '--offline'/);
  }, 300_000);
});
