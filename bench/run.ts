/**
 * Times `assay scan` next to `openssl dgst -sha256` and `sha256sum` over the files bench/generate.ts wrote,
 * prints a Markdown table and writes it, with the machine's facts, to bench/RESULTS.md.
 *
 * Every command runs under `/usr/bin/time -f '%e %M'` (peak RSS in KiB); wall time is measured around it with
 * a monotonic clock (millisecond resolution; `%e` has 10 ms). One warm-up run of each command first, so all
 * three read from the page cache, then REPEATS rounds (openssl, sha256sum, assay in turn); medians are reported.
 * For model-2g.safetensors a fourth command, `assay scan --deep` (every tensor value decoded and judged), runs in
 * each round too, and its throughput and peak RSS are reported next to openssl's.
 *
 * Usage: npm run build && npx tsx bench/run.ts [--repeats N]   (or `npm run bench` once built)
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ManifestEntry } from './generate.js';

const BENCH = dirname(fileURLToPath(import.meta.url));
const ROOT = join(BENCH, '..');
const OUT = join(BENCH, 'out');
const CLI = join(ROOT, 'dist', 'cli', 'main.js');
const FILES = ['torch-2g.pt', 'dicts-4m.pkl', 'blobs-1g.pkl', 'model-2g.safetensors'];
/** Files also scanned with `--deep` (tensor values decoded): the safetensors file. */
const DEEP_FILES = new Set(['model-2g.safetensors']);
const TOOLS = ['openssl', 'sha256sum', 'assay', 'deep'] as const;
type Tool = (typeof TOOLS)[number];
const TOOL_LABEL: Record<Tool, string> = {
  openssl: 'openssl dgst -sha256',
  sha256sum: 'sha256sum',
  assay: 'assay scan',
  deep: 'assay scan --deep',
};

const TARGET_RATIO = 1.25;
const TARGET_RSS_MB = 256;
const TARGET_OPCODES_PER_SECOND = 2_000_000;

interface Sample {
  /** Wall seconds (monotonic clock around /usr/bin/time). */
  seconds: number;
  /** Wall seconds as /usr/bin/time printed them (%e). */
  elapsed: number;
  /** Peak resident set size, KiB (%M). */
  rssKiB: number;
  status: number | null;
  stdout: string;
  stderr: string;
}

function measure(command: string[]): Sample {
  const started = process.hrtime.bigint();
  const result = spawnSync('/usr/bin/time', ['-f', '%e %M', ...command], {
    cwd: ROOT,
    encoding: 'utf8',
    maxBuffer: 1 << 28,
  });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (result.error) throw result.error;
  const lines = result.stderr.trimEnd().split('\n');
  const last = lines.pop() ?? '';
  const match = /^([\d.]+) (\d+)$/.exec(last);
  if (!match) throw new Error(`unexpected /usr/bin/time output for ${command.join(' ')}: ${result.stderr}`);
  return {
    seconds,
    elapsed: Number(match[1]),
    rssKiB: Number(match[2]),
    status: result.status,
    stdout: result.stdout,
    // GNU time adds "Command exited with non-zero status N" on failure: not the command's own output.
    stderr: lines.filter((line) => !line.startsWith('Command exited with non-zero status')).join('\n'),
  };
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};

const sh = (command: string): string => spawnSync('sh', ['-c', command], { encoding: 'utf8' }).stdout.trim();

function machineFacts(): Record<string, string> {
  const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
  const model = /^model name\s*:\s*(.*)$/m.exec(cpuinfo)?.[1] ?? cpus()[0]?.model ?? 'unknown';
  const memKiB = Number(/^MemTotal:\s*(\d+)/m.exec(readFileSync('/proc/meminfo', 'utf8'))?.[1] ?? 0);
  return {
    date: new Date().toISOString(),
    nproc: sh('nproc'),
    cpu: model,
    memory: `${(memKiB / 2 ** 20).toFixed(1)} GiB`,
    kernel: sh('uname -sr'),
    node: process.version,
    openssl: sh('openssl version'),
    sha256sum: sh('sha256sum --version | head -1'),
    'load average at start (1/5/15 min)': loadavg()
      .map((load) => load.toFixed(2))
      .join(' / '),
    filesystem: sh(`df -hT ${OUT} | tail -1 | awk '{print $2" on "$1}'`),
  };
}

interface Report {
  sha256?: string;
  findings: { ruleId: string; severity: string; file: string; member?: string; message: string }[];
  gate: { exitCode: number };
}

function digestOf(tool: 'openssl' | 'sha256sum', output: string): string | undefined {
  return tool === 'openssl' ? /= ([0-9a-f]{64})\s*$/.exec(output)?.[1] : /^([0-9a-f]{64})\s/.exec(output)?.[1];
}

interface FileResult {
  entry: ManifestEntry;
  /** `deep` is empty for files not in DEEP_FILES. */
  samples: Record<Tool, Sample[]>;
  /** Findings of the warm-up scan (a benign file: each one is a false positive). */
  findings: Report['findings'];
  /** The same for the `--deep` warm-up scan (files in DEEP_FILES only). */
  deepFindings: Report['findings'];
  digestsAgree: boolean;
}

/** The JSON report a scan printed, or an error naming the file and the scan's stderr. */
function reportOf(sample: Sample, what: string): Report {
  try {
    const parsed = JSON.parse(sample.stdout) as Report & { files: { sha256: string }[] };
    return { ...parsed, sha256: parsed.files[0]?.sha256 };
  } catch {
    // A crash (a broken build, a missing module) would time an error path: no figure is worth writing.
    throw new Error(`assay printed no JSON report for ${what} (exit ${sample.status}):\n${sample.stderr}`);
  }
}

function printFindings(what: string, status: number | null, findings: Report['findings']): void {
  if (status === 0 && findings.length === 0) return;
  console.error(`  ${what}: exited ${status} with ${findings.length} finding(s) on a benign file:`);
  for (const f of findings) console.error(`    ${f.severity} ${f.ruleId} ${f.member ?? f.file}: ${f.message}`);
}

function benchFile(entry: ManifestEntry, repeats: number): FileResult {
  const path = relative(ROOT, join(OUT, entry.file));
  const scan = [process.execPath, CLI, 'scan', path, '--format', 'json', '--quiet', '--no-progress'];
  const commands: Record<Tool, string[]> = {
    openssl: ['openssl', 'dgst', '-sha256', path],
    sha256sum: ['sha256sum', path],
    assay: scan,
    deep: [...scan.slice(0, 4), '--deep', ...scan.slice(4)],
  };
  const tools = TOOLS.filter((tool) => tool !== 'deep' || DEEP_FILES.has(entry.file));
  console.error(`${entry.file}: warm-up`);
  // Warm-up: each tool once (assay with its report, to check the verdict and the digest).
  const opensslWarm = measure(commands.openssl);
  const sha256sumWarm = measure(commands.sha256sum);
  const assayWarm = measure([process.execPath, CLI, 'scan', path, '--format', 'json', '--no-progress']);
  const report = reportOf(assayWarm, entry.file);
  const digests = [digestOf('openssl', opensslWarm.stdout), digestOf('sha256sum', sha256sumWarm.stdout), report.sha256];
  const findings = report.findings;
  printFindings('assay', assayWarm.status, findings);
  let deepFindings: Report['findings'] = [];
  let deepExitCode = 0;
  if (tools.includes('deep')) {
    const deepWarm = measure([process.execPath, CLI, 'scan', path, '--deep', '--format', 'json', '--no-progress']);
    const deepReport = reportOf(deepWarm, `${entry.file} --deep`);
    digests.push(deepReport.sha256);
    deepFindings = deepReport.findings;
    deepExitCode = deepReport.gate.exitCode;
    printFindings('assay --deep', deepWarm.status, deepFindings);
  }
  const digestsAgree = digests[0] !== undefined && digests.every((digest) => digest === digests[0]);
  if (!digestsAgree) console.error(`  digests differ: openssl, sha256sum, assay, assay --deep: ${digests.join(', ')}`);

  const samples: FileResult['samples'] = { openssl: [], sha256sum: [], assay: [], deep: [] };
  for (let round = 1; round <= repeats; round++) {
    for (const tool of tools) {
      const sample = measure(commands[tool]);
      if (tool === 'assay' || tool === 'deep') {
        // --quiet prints no report: the exit code must be the warm-up's (0 with no finding at or above the gate).
        const expected = tool === 'deep' ? deepExitCode : report.gate.exitCode;
        if (sample.status !== expected) {
          throw new Error(
            `${TOOL_LABEL[tool]} exited ${sample.status} on ${entry.file} in round ${round}, not as in the warm-up:\n${sample.stderr}`,
          );
        }
      } else if (sample.status !== 0) {
        console.error(`  ${tool} exited ${sample.status} (round ${round}) ${sample.stderr}`);
      }
      samples[tool].push(sample);
      console.error(
        `  round ${round} ${tool.padEnd(9)} ${sample.seconds.toFixed(3)} s  ${(sample.rssKiB / 1024).toFixed(1)} MB`,
      );
    }
  }
  return { entry, samples, findings, deepFindings, digestsAgree };
}

const mb = (kib: number) => kib / 1024;
const fmt = (value: number, digits = 2) => value.toFixed(digits);
const check = (ok: boolean) => (ok ? '✅ met' : '❌ not met');

function main(): void {
  const repeatsAt = process.argv.indexOf('--repeats');
  const repeats = repeatsAt >= 0 ? Number(process.argv[repeatsAt + 1]) : 3;
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first`);
  const manifestPath = join(OUT, 'manifest.json');
  if (!existsSync(manifestPath))
    throw new Error('bench/out/manifest.json is missing: run `npx tsx bench/generate.ts` first');
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as Record<string, ManifestEntry>;
  const entries = FILES.filter((file) => manifest[file] && existsSync(join(OUT, file))).map((file) => manifest[file]);
  if (entries.length === 0) throw new Error('no benchmark file in bench/out/: run `npx tsx bench/generate.ts` first');

  const facts = machineFacts();
  console.error('startup: node dist/cli/main.js --version');
  measure([process.execPath, CLI, '--version']);
  const startupSamples = Array.from({ length: Math.max(repeats, 5) }, () =>
    measure([process.execPath, CLI, '--version']),
  );
  const startup = median(startupSamples.map((sample) => sample.seconds));
  const startupRss = median(startupSamples.map((sample) => sample.rssKiB));

  const results = entries.map((entry) => benchFile(entry, repeats));
  facts['load average at end (1/5/15 min)'] = loadavg()
    .map((load) => load.toFixed(2))
    .join(' / ');

  const header =
    '| file | size | opcodes | openssl s | sha256sum s | assay s | assay / openssl | assay peak RSS | openssl RSS | sha256sum RSS | opcodes/s |';
  const rows = results.map(({ entry, samples }) => {
    const t = (tool: keyof typeof samples) => median(samples[tool].map((sample) => sample.seconds));
    const r = (tool: keyof typeof samples) => median(samples[tool].map((sample) => sample.rssKiB));
    const rate = entry.opcodes / Math.max(t('assay') - startup, 1e-3);
    return {
      entry,
      ratio: t('assay') / t('openssl'),
      rssMB: mb(Math.max(...samples.assay.map((sample) => sample.rssKiB))),
      rate,
      line: `| ${entry.file} | ${fmt(entry.bytes / 1e9, 3)} GB | ${entry.opcodes > 0 ? entry.opcodes.toLocaleString('en-US') : '—'} | ${fmt(t('openssl'), 3)} | ${fmt(t('sha256sum'), 3)} | ${fmt(t('assay'), 3)} | ${fmt(t('assay') / t('openssl'))}× | ${fmt(mb(r('assay')), 1)} MB | ${fmt(mb(r('openssl')), 1)} MB | ${fmt(mb(r('sha256sum')), 1)} MB | ${entry.file === 'dicts-4m.pkl' ? `${fmt(rate / 1e6)} M` : '—'} |`,
    };
  });
  const table = [
    header,
    '|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|',
    ...rows.map((row) => row.line),
    `| startup (\`node dist/cli/main.js --version\`) | | | | | ${fmt(startup, 3)} | | ${fmt(mb(startupRss), 1)} MB | | | |`,
  ].join('\n');

  // --deep next to the hashers: throughput (10⁹ bytes per wall second, startup included) and peak RSS per tool.
  const deepResults = results.filter((result) => result.samples.deep.length > 0);
  const deepRows = deepResults.map(({ entry, samples }) => {
    const t = (tool: Tool) => median(samples[tool].map((sample) => sample.seconds));
    const worstMB = (tool: Tool) => mb(Math.max(...samples[tool].map((sample) => sample.rssKiB)));
    const lines = TOOLS.map(
      (tool) =>
        `| ${entry.file} | \`${TOOL_LABEL[tool]}\` | ${fmt(t(tool), 3)} | ${fmt(entry.bytes / 1e9 / t(tool))} | ` +
        `${tool === 'assay' || tool === 'deep' ? fmt(entry.bytes / 1e9 / Math.max(t(tool) - startup, 1e-3)) : '—'} | ` +
        `${fmt(t(tool) / t('openssl'))}× | ${fmt(mb(median(samples[tool].map((sample) => sample.rssKiB))), 1)} MB | ${fmt(worstMB(tool), 1)} MB |`,
    );
    return { entry, ratio: t('deep') / t('openssl'), overScan: t('deep') / t('assay'), rssMB: worstMB('deep'), lines };
  });
  const deepTable = [
    '| file | command | wall s | GB/s | GB/s without startup | ÷ openssl | peak RSS (median) | peak RSS (worst) |',
    '|---|---|--:|--:|--:|--:|--:|--:|',
    ...deepRows.flatMap((row) => row.lines),
  ].join('\n');

  const byFile = new Map(rows.map((row) => [row.entry.file, row]));
  const targets: string[] = [];
  for (const row of rows) {
    targets.push(
      `| ${row.entry.file}: whole scan ≤ ${TARGET_RATIO}× openssl | ${fmt(row.ratio)}× | ${check(row.ratio <= TARGET_RATIO)} |`,
    );
  }
  for (const row of rows) {
    targets.push(
      `| ${row.entry.file}: peak RSS < ${TARGET_RSS_MB} MB (worst of ${repeats} runs) | ${fmt(row.rssMB, 1)} MB | ${check(row.rssMB < TARGET_RSS_MB)} |`,
    );
  }
  for (const row of deepRows) {
    targets.push(
      `| ${row.entry.file}: \`--deep\` peak RSS < ${TARGET_RSS_MB} MB (worst of ${repeats} runs) | ${fmt(row.rssMB, 1)} MB | ${check(row.rssMB < TARGET_RSS_MB)} |`,
      `| ${row.entry.file}: \`--deep\` whole scan next to openssl (no numeric target) | ${fmt(row.ratio)}× openssl, ${fmt(row.overScan)}× the scan without \`--deep\` | — |`,
    );
  }
  const dicts = byFile.get('dicts-4m.pkl');
  if (dicts) {
    targets.push(
      `| dicts-4m.pkl: ≥ ${TARGET_OPCODES_PER_SECOND / 1e6} M pickle opcodes/s (startup excluded) | ${fmt(dicts.rate / 1e6)} M/s | ${check(dicts.rate >= TARGET_OPCODES_PER_SECOND)} |`,
    );
  }
  const checks = results.map(({ entry, findings, deepFindings, digestsAgree, samples }) => {
    const deep = samples.deep.length > 0;
    return (
      `- ${entry.file}: ${entry.description}. assay exit codes ${samples.assay.map((sample) => sample.status).join(', ')}; ` +
      `${findings.length} finding(s); ` +
      (deep
        ? `\`--deep\` exit codes ${samples.deep.map((sample) => sample.status).join(', ')}; ${deepFindings.length} finding(s); `
        : '') +
      `SHA-256 from openssl, sha256sum and assay's report${deep ? 's (with and without `--deep`)' : ''} ${digestsAgree ? 'agree' : '**differ**'}.`
    );
  });
  const raw = results.flatMap(({ entry, samples }) =>
    TOOLS.filter((tool) => samples[tool].length > 0).map(
      (tool) =>
        `| ${entry.file} | ${tool === 'deep' ? 'assay --deep' : tool} | ${samples[tool].map((sample) => `${fmt(sample.seconds, 3)} s (%e ${fmt(sample.elapsed)}) / ${fmt(mb(sample.rssKiB), 1)} MB`).join(' · ')} |`,
    ),
  );

  const markdown = [
    '# Benchmark results',
    '',
    'Written by `bench/run.ts`; see `bench/README.md` for what is measured and how.',
    '',
    '## Machine',
    '',
    ...Object.entries(facts).map(([key, value]) => `- ${key}: ${value}`),
    '',
    `## Medians of ${repeats} runs (page cache warm)`,
    '',
    table,
    '',
    'Opcodes/s = opcodes ÷ (assay wall time − startup wall time). Sizes in 10⁹ bytes, RSS in MiB ("MB").',
    '',
    ...(deepRows.length > 0
      ? [
          '## `--deep` next to openssl (medians)',
          '',
          'Deep mode decodes every tensor value (F32 directly, BF16 / F16 through a lookup table) and keeps per-tensor',
          'NaN / Inf / zero counts and the range, on top of everything the plain scan does. GB/s = 10⁹ bytes ÷ wall',
          'seconds; "without startup" subtracts the median wall time of `node dist/cli/main.js --version`.',
          '',
          deepTable,
          '',
        ]
      : []),
    '## Targets',
    '',
    '| target | measured | verdict |',
    '|---|--:|---|',
    ...targets,
    '',
    '## Checks',
    '',
    ...checks,
    '',
    '## Every run (wall seconds / peak RSS)',
    '',
    '| file | tool | runs |',
    '|---|---|---|',
    ...raw,
    `| — | startup | ${startupSamples.map((sample) => `${fmt(sample.seconds, 3)} s / ${fmt(mb(sample.rssKiB), 1)} MB`).join(' · ')} |`,
    '',
  ].join('\n');
  writeFileSync(join(BENCH, 'RESULTS.md'), markdown);
  // The repository's formatter also formats Markdown: keep `npm run lint` clean after a run.
  const biome = join(ROOT, 'node_modules', '.bin', 'biome');
  if (existsSync(biome)) spawnSync(biome, ['format', '--write', join(BENCH, 'RESULTS.md')], { cwd: ROOT });
  writeFileSync(join(OUT, 'results.json'), `${JSON.stringify({ facts, startupSamples, results }, null, 2)}\n`);
  console.log(markdown);
}

main();
