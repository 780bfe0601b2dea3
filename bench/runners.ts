/**
 * Runner overhead and evaluation memory, for issue 7.
 *
 * 1. Overhead per request: an OpenAI-compatible server on 127.0.0.1 answers each chat request at once and measures its
 *    own handling time; the runner's per-case latency minus that time is what Assay (fetch, JSON, retries bookkeeping,
 *    the concurrency pool) adds. Concurrency 1, 8 and 32; the response cache is off so every case is a request.
 * 2. Peak RSS of an evaluation of a 100,000-case suite: a 100,000-row CSV of three float features through the ONNX
 *    logistic regression, with bootstrap intervals (200 resamples) and no probes; RSS sampled every 20 ms.
 *
 * Usage: npx tsx bench/runners.ts [--requests N] [--rows N]
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { onnxRunner } from '../src/runners/onnx.js';
import { openAiRunner } from '../src/runners/openai.js';
import { loadDataset } from '../src/suites/dataset.js';
import { evaluate } from '../src/suites/evaluate.js';
import { logisticRegressionOnnx } from '../test/fixtures/onnx-builder.js';

const flag = (name: string, fallback: number) => {
  const at = process.argv.indexOf(`--${name}`);
  return at > 0 ? Number(process.argv[at + 1]) : fallback;
};
const REQUESTS = flag('requests', 2000);
const ROWS = flag('rows', 100_000);

async function overhead() {
  let serverMs = 0;
  const server = createServer((request, response) => {
    const started = performance.now();
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      JSON.parse(Buffer.concat(chunks).toString('utf8'));
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(
        '{"choices":[{"message":{"role":"assistant","content":"ok"}}],"usage":{"prompt_tokens":3,"completion_tokens":1}}',
      );
      serverMs += performance.now() - started;
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const rows: string[] = [];
  for (const concurrency of [1, 8, 32]) {
    const runner = openAiRunner({ baseUrl: url, model: 'bench', api: 'chat', settings: { concurrency, cache: false } });
    const cases = Array.from({ length: REQUESTS }, (_, i) => ({
      id: String(i),
      input: { kind: 'chat' as const, messages: [{ role: 'user' as const, content: `request ${i}` }] },
    }));
    await runner.run(cases.slice(0, 100)); // warm-up: connections, JIT
    serverMs = 0;
    const started = performance.now();
    const results = await runner.run(cases);
    const wall = performance.now() - started;
    const latency = results.reduce((total, result) => total + result.latencyMs, 0) / results.length;
    const server = serverMs / results.length;
    rows.push(
      `| ${concurrency} | ${REQUESTS} | ${(REQUESTS / (wall / 1000)).toFixed(0)} | ${latency.toFixed(3)} | ${server.toFixed(3)} | ${(latency - server).toFixed(3)} |`,
    );
  }
  server.close();
  return [
    '| concurrency | requests | requests/s | runner latency (ms) | server time (ms) | overhead (ms) |',
    '|---:|---:|---:|---:|---:|---:|',
    ...rows,
  ];
}

async function memory() {
  const folder = mkdtempSync(join(tmpdir(), 'assay-bench-'));
  writeFileSync(join(folder, 'model.onnx'), logisticRegressionOnnx([1.5, -2, 0.75], -0.25));
  const lines = ['a,b,c,label'];
  for (let i = 0; i < ROWS; i++) {
    const [a, b, c] = [Math.sin(i), Math.cos(i * 1.3), Math.sin(i * 0.7)];
    lines.push(`${a.toFixed(4)},${b.toFixed(4)},${c.toFixed(4)},${1.5 * a - 2 * b + 0.75 * c > 0 ? 1 : 0}`);
  }
  writeFileSync(join(folder, 'data.csv'), `${lines.join('\n')}\n`);
  let peak = process.memoryUsage().rss;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 20);
  const before = process.memoryUsage().rss;
  const started = performance.now();
  const dataset = await loadDataset(join(folder, 'data.csv'), {
    input: { kind: 'tensor' },
    expected: { column: 'label' },
    slices: [],
  });
  const runner = await onnxRunner({ path: join(folder, 'model.onnx'), settings: { batchSize: 1024 } });
  const section = await evaluate({
    suite: { name: 'bench' },
    datasets: [],
    runner,
    cases: dataset.cases,
    task: { kind: 'classification', positiveLabel: '1' },
    decoding: { positiveLabel: '1', negativeLabel: '0', threshold: 0.5 },
    bootstrap: { resamples: 200, confidence: 0.95, seed: 1 },
    probes: { edgeCases: false, robustness: false, robustnessSample: 0, longLength: 1 },
  });
  const seconds = (performance.now() - started) / 1000;
  clearInterval(sampler);
  await runner.close();
  const accuracy = section.metrics.find((metric) => metric.name === 'accuracy')?.value;
  return [
    `| cases | wall (s) | RSS before (MB) | peak RSS (MB) | accuracy |`,
    '|---:|---:|---:|---:|---:|',
    `| ${ROWS} | ${seconds.toFixed(1)} | ${(before / 2 ** 20).toFixed(0)} | ${(peak / 2 ** 20).toFixed(0)} | ${accuracy} |`,
  ];
}

const lines = [
  `Node ${process.version}, ${cpus().length} CPUs (${cpus()[0]?.model}), load average ${loadavg()[0].toFixed(2)}`,
  '',
  ...(await overhead()),
  '',
  ...(await memory()),
];
console.log(lines.join('\n'));
