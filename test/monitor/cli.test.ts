import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { describe, expect, it, vi } from 'vitest';
import { type DriftCliOptions, runDrift } from '../../src/cli/drift.js';
import { type ProfileCliOptions, runProfile } from '../../src/cli/profile.js';
import { Report } from '../../src/core/report.js';
import { runAssay, tempFolder } from '../helpers.js';

/** Runs a command in this process (the CLI through tsx costs seconds per run); output goes through a file. */
async function inProcess(run: (output: string) => Promise<number>) {
  const folder = await tempFolder({});
  const output = join(folder, 'out');
  const errors: string[] = [];
  const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
    errors.push(String(chunk));
    return true;
  });
  try {
    const code = await run(output);
    const stdout = await readFile(output, 'utf8').catch(() => '');
    return { code, stdout, stderr: errors.join('') };
  } finally {
    spy.mockRestore();
  }
}
const drift = (options: DriftCliOptions) => inProcess((output) => runDrift({ quiet: true, ...options, output }));
const profile = (files: string[], options: ProfileCliOptions) => inProcess(() => runProfile(files, options));

function generator(seed: number) {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return state / 2 ** 32;
  };
}

/** Columns: amount (numeric), region (categorical), churned (0/1). `shift` moves amount and the region mix. */
function rows(count: number, seed: number, shift: number) {
  const random = generator(seed);
  return Array.from({ length: count }, () => {
    const normal = Math.sqrt(-2 * Math.log(random() + 1e-12)) * Math.cos(2 * Math.PI * random());
    return {
      amount: Number((100 + 15 * normal + shift * 20).toFixed(2)),
      region: random() < 0.5 + shift * 0.3 ? 'north' : random() < 0.5 ? 'south' : 'east',
      churned: random() < 0.2 + shift * 0.2 ? 1 : 0,
    };
  });
}

const toCsv = (data: ReturnType<typeof rows>) =>
  `amount,region,churned\n${data.map((r) => `${r.amount},${r.region},${r.churned}`).join('\n')}\n`;
const toJsonl = (data: ReturnType<typeof rows>) => `${data.map((r) => JSON.stringify(r)).join('\n')}\n`;

async function fixtures() {
  const reference = rows(600, 1, 0);
  const same = rows(500, 2, 0);
  const shifted = rows(500, 3, 1);
  const parquet = parquetWriteBuffer({
    columnData: [
      { name: 'amount', data: shifted.map((r) => r.amount), type: 'DOUBLE' },
      { name: 'region', data: shifted.map((r) => r.region), type: 'STRING' },
      { name: 'churned', data: shifted.map((r) => r.churned), type: 'INT32' },
    ],
    rowGroupSize: 128,
  });
  return tempFolder({
    'ref.csv': toCsv(reference),
    'same.jsonl': toJsonl(same),
    'shifted.csv': toCsv(shifted),
    'shifted.parquet': new Uint8Array(parquet),
    'bad.csv': 'amount,region\n1,a\n2\n',
    'drift.yaml': 'tests:\n  amount: psi\nthreshold: 0.2\ncorrection: bh\n',
  });
}

function parse(stdout: string) {
  return Report.parse(JSON.parse(stdout));
}

describe('assay drift', () => {
  it('runs from the command line: exit 0 on the same distribution (CSV vs JSONL), 1 on drift (CSV vs Parquet)', async () => {
    const folder = await fixtures();
    const same = await runAssay([
      'drift',
      '-r',
      join(folder, 'ref.csv'),
      '-c',
      join(folder, 'same.jsonl'),
      '-f',
      'json',
    ]);
    expect(same.code).toBe(0);
    const report = parse(same.stdout);
    expect(report.drift?.dataset.drifted).toBe(false);
    expect(report.drift?.columns.map((c) => [c.column, c.method])).toEqual([
      ['amount', 'ks'],
      ['region', 'chisquare'],
      ['churned', 'z'],
    ]);
    expect(report.drift?.current).toMatchObject({ format: 'jsonl', rows: 500, kind: 'data' });
    expect(report.files.map((f) => f.format)).toEqual(['csv', 'jsonl']);
    const shifted = await runAssay([
      'drift',
      '-r',
      join(folder, 'ref.csv'),
      '-c',
      join(folder, 'shifted.parquet'),
      '-q',
    ]);
    expect(shifted.code).toBe(1);
  });

  it('fails the gate on shifted data with every parameter in the JSON', async () => {
    const folder = await fixtures();
    const result = await drift({
      reference: join(folder, 'ref.csv'),
      current: join(folder, 'shifted.parquet'),
      format: 'json',
    });
    expect(result.code).toBe(1);
    const report = parse(result.stdout);
    expect(report.verdict).toBe('fail');
    expect(report.gate.reasons[0]).toMatch(/dataset drift: 3 of 3/);
    const amount = report.drift?.columns[0];
    expect(amount).toMatchObject({ method: 'ks', kind: 'p-value', comparison: '<=', threshold: 0.05, drifted: true });
    expect(amount?.parameters).toMatchObject({ ksMethod: 'exact', nReference: 600, nCurrent: 500 });
  });

  it('takes per-column tests, thresholds and the correction from flags and YAML', async () => {
    const folder = await fixtures();
    const result = await drift({
      reference: join(folder, 'ref.csv'),
      current: join(folder, 'shifted.csv'),
      config: join(folder, 'drift.yaml'),
      test: ['region=jensenshannon'],
      format: 'json',
    });
    const section = parse(result.stdout).drift;
    const byName = Object.fromEntries((section?.columns ?? []).map((c) => [c.column, c]));
    expect(byName.amount).toMatchObject({ method: 'psi', chosenBy: 'column', threshold: 0.2 });
    expect(byName.amount.parameters).toMatchObject({ binning: 'sturges' });
    expect(byName.region).toMatchObject({ method: 'jensenshannon', kind: 'distance' });
    expect(byName.region.parameters).toMatchObject({ logBase: 'e', binning: 'per-value' });
    expect(section?.correction).toMatchObject({ method: 'bh', tests: 1 });
  });

  it('renders HTML with a chart per tested column, and Markdown', async () => {
    const folder = await fixtures();
    const sides = { reference: join(folder, 'ref.csv'), current: join(folder, 'shifted.csv') };
    const html = await drift({ ...sides, format: 'html' });
    expect(html.stdout).toContain('Dataset drift');
    expect(html.stdout.match(/<svg role="img"/g)?.length).toBe(3);
    const md = await drift({ ...sides, format: 'md' });
    expect(md.stdout).toMatch(/\| amount \| numeric \| ks \|/);
  });

  it('exits 2 with the file and line on bad input, on an unknown test and on an unknown column', async () => {
    const folder = await fixtures();
    const reference = join(folder, 'ref.csv');
    const bad = await drift({ reference, current: join(folder, 'bad.csv') });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/bad\.csv \(line 3\)/);
    const unknown = await drift({ reference, current: join(folder, 'same.jsonl'), test: ['amount=magic'] });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown test "magic"/);
    const column = await drift({ reference, current: join(folder, 'same.jsonl'), columns: ['nope'] });
    expect(column.code).toBe(2);
    expect(column.stderr).toMatch(/ref\.csv: no column named "nope"/);
  });
});

describe('assay profile and drift from a profile or stored baseline', () => {
  it('profiles two files as one, and drift against the profile matches drift against the data', async () => {
    const folder = await fixtures();
    const both = join(folder, 'both.json');
    expect(
      (await profile([join(folder, 'ref.csv'), join(folder, 'same.jsonl')], { output: both, quiet: true })).code,
    ).toBe(0);
    const written = JSON.parse(await readFile(both, 'utf8'));
    expect(written.rows).toBe(1100);
    expect(written.sources).toHaveLength(2);

    const refProfile = join(folder, 'ref-profile.json');
    await profile([join(folder, 'ref.csv')], { output: refProfile, quiet: true });
    const fromProfile = await drift({
      referenceProfile: refProfile,
      current: join(folder, 'shifted.csv'),
      format: 'json',
    });
    const fromData = await drift({
      reference: join(folder, 'ref.csv'),
      current: join(folder, 'shifted.csv'),
      format: 'json',
    });
    expect(fromProfile.code).toBe(1);
    const a = parse(fromProfile.stdout).drift;
    const b = parse(fromData.stdout).drift;
    expect(a?.reference.kind).toBe('profile');
    expect(a?.columns.map((c) => [c.method, c.statistic, c.drifted])).toEqual(
      b?.columns.map((c) => [c.method, c.statistic, c.drifted]),
    );
  });

  it('saves a baseline in the store and compares against it by name', async () => {
    const folder = await fixtures();
    const previous = process.env.ASSAY_HOME;
    process.env.ASSAY_HOME = join(folder, 'home');
    try {
      const saved = await drift({ reference: join(folder, 'ref.csv'), saveBaseline: 'orders', quiet: false });
      expect(saved.code).toBe(0);
      expect(saved.stderr).toMatch(/saved baseline "orders"/);
      const compared = await drift({ baseline: 'orders', current: join(folder, 'shifted.csv'), format: 'json' });
      expect(compared.code).toBe(1);
      expect(parse(compared.stdout).drift?.reference.source).toMatch(/^baseline:orders@/);
      const missing = await drift({ baseline: 'nothing', current: join(folder, 'shifted.csv') });
      expect(missing.code).toBe(2);
      expect(missing.stderr).toMatch(/no stored baseline "nothing"/);
    } finally {
      if (previous === undefined) delete process.env.ASSAY_HOME;
      else process.env.ASSAY_HOME = previous;
    }
  });
});

describe('the further tests as drift methods', () => {
  it('runs Mann–Whitney, Welch, Cramér–von Mises, energy and Fisher with their own thresholds', async () => {
    const folder = await fixtures();
    const result = await drift({
      reference: join(folder, 'ref.csv'),
      current: join(folder, 'shifted.csv'),
      test: ['amount=mannwhitney', 'churned=fisher', 'region=chisquare'],
      format: 'json',
    });
    const columns = parse(result.stdout).drift?.columns ?? [];
    expect(columns[0]).toMatchObject({ method: 'mannwhitney', threshold: 0.05, comparison: '<', drifted: true });
    expect(columns[2]).toMatchObject({ method: 'fisher', threshold: 0.1, comparison: '<', drifted: true });
    for (const method of ['ttest', 'cramervonmises', 'energy'] as const) {
      const one = await drift({
        reference: join(folder, 'ref.csv'),
        current: join(folder, 'shifted.csv'),
        test: [`amount=${method}`],
        columns: ['amount'],
        format: 'json',
      });
      expect(parse(one.stdout).drift?.columns[0]).toMatchObject({ method, drifted: true });
    }
    const fromProfile = join(folder, 'p.json');
    await profile([join(folder, 'ref.csv')], { output: fromProfile, quiet: true });
    const refused = await drift({
      referenceProfile: fromProfile,
      current: join(folder, 'shifted.csv'),
      test: ['amount=energy'],
      format: 'json',
    });
    expect(parse(refused.stdout).drift?.columns[0].skipped).toMatch(/needs the raw reference sample/);
  });
});
