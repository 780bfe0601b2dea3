/**
 * Peak memory of `assay eval` as the suite grows, for issue 7. Each run is the built CLI in its own process under
 * `/usr/bin/time -f '%e %M'` (wall seconds, peak RSS), on:
 *   - tabular: an ONNX logistic regression (3 float features) through onnxruntime on 10,000, 100,000 and 1,000,000
 *     CSV rows, bootstrap with 200 resamples, no probes;
 *   - chat: 100,000 prompts through the OpenAI-compatible runner against bench/loopback-llm.ts (its own process),
 *     concurrency 8, response cache off.
 * `--old <dist>` also runs another build of the CLI (e.g. the commit before streaming evaluation) on the same inputs,
 * side by side. Inputs go to bench/out/eval/ (git-ignored).
 *
 * `--heap <MB>` adds runs of this build with `--max-old-space-size`: peak RSS there is the live heap plus the runtime,
 * without the slack V8 keeps by default.
 *
 * Usage: npm run build && npx tsx bench/eval-memory.ts [--old /path/to/old/dist] [--old-max-rows 100000]
 *        [--heap 256] [--sizes 10000,100000,1000000] [--chat 100000]. Writes bench/EVAL-MEMORY.md.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { logisticRegressionOnnx } from '../test/fixtures/onnx-builder.js';
import { machineFacts, startLoopbackLlm } from './shared.js';

const option = (name: string) => {
  const at = process.argv.indexOf(`--${name}`);
  return at > 0 ? process.argv[at + 1] : undefined;
};
const SIZES = (option('sizes') ?? '10000,100000,1000000').split(',').map(Number);
const CHAT = Number(option('chat') ?? 100_000);
const OLD = option('old');
/** The build before streaming evaluation recomputes every metric from scratch per resample: slow at large sizes. */
const OLD_MAX_ROWS = Number(option('old-max-rows') ?? 100_000);
/** Also run this build with the V8 old space capped (MB): shows the live heap, not the garbage collector's slack. */
const HEAP = option('heap') ? Number(option('heap')) : undefined;
const CURRENT = join(import.meta.dirname, '..', 'dist');
const OUT = join(import.meta.dirname, 'out', 'eval');
mkdirSync(OUT, { recursive: true });

writeFileSync(join(OUT, 'model.onnx'), logisticRegressionOnnx([1.5, -2, 0.75], -0.25));

function tabularSuite(rows: number): string {
  const data = join(OUT, `tabular-${rows}.csv`);
  if (!existsSync(data)) {
    const lines = ['a,b,c,label'];
    for (let i = 0; i < rows; i++) {
      const [a, b, c] = [Math.sin(i), Math.cos(i * 1.3), Math.sin(i * 0.7)];
      const noisy = (1.5 * a - 2 * b + 0.75 * c + 0.5 * Math.sin(i * 7.1) > 0 ? 1 : 0).toString();
      lines.push(`${a.toFixed(4)},${b.toFixed(4)},${c.toFixed(4)},${noisy}`);
    }
    writeFileSync(data, `${lines.join('\n')}\n`);
  }
  const suite = join(OUT, `tabular-${rows}.yaml`);
  writeFileSync(
    suite,
    [
      `name: tabular ${rows}`,
      'model: { kind: onnx, path: model.onnx, settings: { batchSize: 256 } }',
      `dataset: { path: tabular-${rows}.csv }`,
      'input: { kind: tensor }',
      'expected: { column: label }',
      'task: classification',
      'positiveLabel: "1"',
      'probes: { edgeCases: false, robustness: false }',
      'bootstrap: { resamples: 200 }',
      '',
    ].join('\n'),
  );
  return suite;
}

function chatSuite(rows: number, url: string): string {
  const data = join(OUT, `chat-${rows}.csv`);
  if (!existsSync(data)) {
    const lines = ['text,label'];
    for (let i = 0; i < rows; i++)
      lines.push(i % 2 ? `review ${i}: a great product,POSITIVE` : `review ${i}: it broke after a week,NEGATIVE`);
    writeFileSync(data, `${lines.join('\n')}\n`);
  }
  const suite = join(OUT, `chat-${rows}.yaml`);
  writeFileSync(
    suite,
    [
      `name: chat ${rows}`,
      `model: { kind: openai-chat, url: "${url}", model: bench, settings: { concurrency: 8, cache: false } }`,
      `dataset: { path: chat-${rows}.csv }`,
      'input: { kind: chat, column: text }',
      'expected: { column: label }',
      'task: classification',
      'positiveLabel: POSITIVE',
      'probes: { edgeCases: false, robustness: false }',
      'bootstrap: { resamples: 200 }',
      '',
    ].join('\n'),
  );
  return suite;
}

function run(dist: string, suite: string, heapMb?: number) {
  const home = mkdtempSync(join(tmpdir(), 'assay-bench-home-'));
  const report = join(home, 'report.json');
  const timing = join(home, 'time.txt');
  const cli = [join(dist, 'cli', 'main.js'), 'eval', '--suite', suite, '--format', 'json', '--output', report];
  try {
    const node = [process.execPath, ...(heapMb ? [`--max-old-space-size=${heapMb}`] : [])];
    execFileSync('/usr/bin/time', ['-f', '%e %M', '-o', timing, ...node, ...cli, '--no-progress'], {
      env: { ...process.env, ASSAY_HOME: home },
      stdio: 'ignore',
    });
  } catch (error) {
    // Exit 1 is the gate's verdict (the report exists); anything else is a failed run.
    if ((error as { status?: number }).status !== 1) throw error;
  }
  return readResult(timing, report);
}

function readResult(timing: string, report: string) {
  const [seconds, kilobytes] = readFileSync(timing, 'utf8').trim().split('\n').at(-1)?.split(' ').map(Number) ?? [];
  const parsed = JSON.parse(readFileSync(report, 'utf8'));
  const accuracy = parsed.evaluation.metrics.find((metric: { name: string }) => metric.name === 'accuracy')?.value;
  return { seconds, peakMb: kilobytes / 1024, cases: parsed.evaluation.cases.total, accuracy };
}

const { server, port } = await startLoopbackLlm();
const workloads = [
  ...SIZES.map((rows) => ({
    name: `tabular (ONNX), ${rows.toLocaleString('en')} rows`,
    suite: tabularSuite(rows),
    rows,
  })),
  ...(CHAT > 0
    ? [
        {
          name: `chat (HTTP), ${CHAT.toLocaleString('en')} prompts`,
          suite: chatSuite(CHAT, `http://127.0.0.1:${port}/v1`),
          rows: CHAT,
        },
      ]
    : []),
];
const builds: { name: string; dist: string; heapMb?: number }[] = [
  { name: 'this build', dist: CURRENT },
  ...(HEAP ? [{ name: `this build, old space ${HEAP} MB`, dist: CURRENT, heapMb: HEAP }] : []),
  ...(OLD ? [{ name: 'before streaming', dist: OLD }] : []),
];
const loadBefore = loadavg()[0];
const rows: string[] = [];
for (const workload of workloads) {
  for (const build of builds) {
    if (build.dist === OLD && workload.rows > OLD_MAX_ROWS) {
      rows.push(`| ${workload.name} | ${build.name} | not run (too slow at this size, see bench/README.md) | | | |`);
      continue;
    }
    const result = run(build.dist, workload.suite, build.heapMb);
    rows.push(
      `| ${workload.name} | ${build.name} | ${result.cases} | ${result.seconds.toFixed(1)} | **${result.peakMb.toFixed(0)}** | ${result.accuracy?.toFixed(4)} |`,
    );
    console.error(rows.at(-1));
  }
}
server.send('stop');
const text = [
  '# Peak memory of assay eval (generated by bench/eval-memory.ts)',
  '',
  `${machineFacts(loadBefore)}. Peak RSS and wall time from /usr/bin/time, one run each.`,
  '',
  '| workload | build | cases | wall (s) | peak RSS (MB) | accuracy |',
  '|---|---|---:|---:|---:|---:|',
  ...rows,
  '',
];
writeFileSync(join(import.meta.dirname, 'EVAL-MEMORY.md'), text.join('\n'));
console.log(text.join('\n'));
