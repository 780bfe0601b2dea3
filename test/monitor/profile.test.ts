import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readColumns } from '../../src/formats/tabular/index.js';
import { compareColumns } from '../../src/monitor/drift.js';
import { mergeProfiles, profileColumnSides, profileFiles, profileVariance } from '../../src/monitor/profile.js';
import { sampleFromColumn } from '../../src/monitor/samples.js';
import { FrequentItems } from '../../src/monitor/sketches/frequent.js';
import { HLL_RELATIVE_ERROR, HyperLogLog } from '../../src/monitor/sketches/hll.js';
import { KLL_RANK_ERROR, KllSketch } from '../../src/monitor/sketches/kll.js';
import { tempFolder } from '../helpers.js';

/** Deterministic pseudo-random numbers (LCG), so fixtures are the same on every run. */
function generator(seed: number) {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return state / 2 ** 32;
  };
}

function csv(rows: number, seed: number, shift = 0): string {
  const random = generator(seed);
  const lines = ['x,group,flag'];
  for (let i = 0; i < rows; i++) {
    const normal = Math.sqrt(-2 * Math.log(random() + 1e-12)) * Math.cos(2 * Math.PI * random());
    lines.push(
      `${(normal + shift).toFixed(5)},${'abcd'[Math.floor(random() * (shift ? 3 : 4))]},${random() < 0.3 ? 'true' : 'false'}`,
    );
  }
  return `${lines.join('\n')}\n`;
}

describe('profiles', () => {
  it('merge(A, B) equals the profile of A ∪ B for counts, nulls, min, max, mean and variance', async () => {
    const a = csv(3000, 1);
    const b = csv(2000, 2, 0.3);
    const folder = await tempFolder({ 'a.csv': a, 'b.csv': b, 'ab.csv': a + b.split('\n').slice(1).join('\n') });
    const merged = mergeProfiles(
      await profileFiles([{ path: join(folder, 'a.csv') }]),
      await profileFiles([{ path: join(folder, 'b.csv') }]),
    );
    const whole = await profileFiles([{ path: join(folder, 'ab.csv') }]);
    expect(merged.rows).toBe(5000);
    for (const [i, column] of merged.columns.entries()) {
      const other = whole.columns[i];
      expect(column.type).toBe(other.type);
      expect([column.rows, column.nulls]).toEqual([other.rows, other.nulls]);
      expect(column.frequent.total).toBe(other.frequent.total);
      if (column.numeric && other.numeric) {
        expect(column.numeric.moments.count).toBe(other.numeric.moments.count);
        expect([column.numeric.moments.min, column.numeric.moments.max]).toEqual([
          other.numeric.moments.min,
          other.numeric.moments.max,
        ]);
        expect(column.numeric.moments.mean).toBeCloseTo(other.numeric.moments.mean, 12);
        expect(profileVariance(column) as number).toBeCloseTo(profileVariance(other) as number, 12);
      }
    }
    // Frequent items are exact here (4 groups): merged counts equal the whole's.
    expect(Object.fromEntries(merged.columns[1].frequent.counts)).toEqual(
      Object.fromEntries(whole.columns[1].frequent.counts),
    );
    expect(merged.columns.map((c) => c.type)).toEqual(['numeric', 'categorical', 'boolean']);
  });

  it('is deterministic: the same data gives the same JSON (apart from the time)', async () => {
    const folder = await tempFolder({ 'a.csv': csv(3000, 7) });
    const now = new Date('2026-01-01T00:00:00Z');
    const first = await profileFiles([{ path: join(folder, 'a.csv') }], {}, now);
    const second = await profileFiles([{ path: join(folder, 'a.csv') }], {}, now);
    expect(JSON.stringify(first)).toBe(JSON.stringify(second));
  });

  it('drift from a profile equals drift from raw data while the sketches are exact', async () => {
    const folder = await tempFolder({ 'ref.csv': csv(800, 3), 'cur.csv': csv(600, 4, 0.25) });
    const reference = await readColumns(join(folder, 'ref.csv'));
    const current = await readColumns(join(folder, 'cur.csv'));
    const sides = (table: typeof reference) =>
      table.columns.map((c) => ({
        name: c.name,
        type: c.type,
        rows: c.rows,
        nulls: c.nulls,
        sample: sampleFromColumn(c),
      }));
    const fromRaw = compareColumns(sides(reference), sides(current), { tests: { x: 'psi' } });
    const profile = await profileFiles([{ path: join(folder, 'ref.csv') }]);
    const fromProfile = compareColumns(profileColumnSides(profile), sides(current), { tests: { x: 'psi' } });
    for (const [i, column] of fromRaw.columns.entries()) {
      expect(fromProfile.columns[i].method).toBe(column.method);
      expect(fromProfile.columns[i].statistic).toBeCloseTo(column.statistic as number, 12);
      expect(fromProfile.columns[i].approximate).toBe(false);
    }
    const ks = compareColumns(profileColumnSides(profile), sides(current), { tests: { x: 'ks' } }).columns[0];
    const ksRaw = compareColumns(sides(reference), sides(current), { tests: { x: 'ks' } }).columns[0];
    expect(ks.statistic).toBe(ksRaw.statistic);
    expect(ks.pValue).toBeCloseTo(ksRaw.pValue as number, 12);
  });

  it('drift from a compacted sketch is marked approximate and stays within the documented rank error', async () => {
    const folder = await tempFolder({ 'ref.csv': csv(20000, 5), 'cur.csv': csv(5000, 6, 0.1) });
    const reference = await readColumns(join(folder, 'ref.csv'), { columns: ['x'] });
    const current = await readColumns(join(folder, 'cur.csv'), { columns: ['x'] });
    const side = (c: (typeof reference.columns)[number]) => ({
      name: c.name,
      type: c.type,
      rows: c.rows,
      nulls: c.nulls,
      sample: sampleFromColumn(c),
    });
    const raw = compareColumns([side(reference.columns[0])], [side(current.columns[0])], { method: 'ks' }).columns[0];
    const profile = await profileFiles([{ path: join(folder, 'ref.csv') }]);
    const sketched = compareColumns(profileColumnSides(profile).slice(0, 1), [side(current.columns[0])], {
      method: 'ks',
    }).columns[0];
    expect(sketched.approximate).toBe(true);
    expect(sketched.parameters?.rankError).toBe(KLL_RANK_ERROR);
    expect(Math.abs((sketched.statistic as number) - (raw.statistic as number))).toBeLessThanOrEqual(KLL_RANK_ERROR);
  });
});

describe('sketches on 1,000,000 values', () => {
  const n = 1_000_000;
  const random = generator(42);
  const values = Float64Array.from({ length: n }, () => -Math.log(random() + 1e-12) + random());

  it('KLL: merged sketch rank error at 999 quantiles within the documented bound', () => {
    const left = new KllSketch(1024, 1);
    const right = new KllSketch(1024, 2);
    values.forEach((value, i) => {
      (i % 2 ? left : right).update(value);
    });
    left.merge(right);
    expect(left.n).toBe(n);
    expect(left.exact).toBe(false);
    const sorted = Float64Array.from(values).sort();
    let worst = 0;
    for (let q = 1; q < 1000; q++) {
      const index = Math.floor((q * n) / 1000);
      worst = Math.max(worst, Math.abs(left.rank(sorted[index]) - (index + 1) / n));
    }
    expect(worst).toBeLessThanOrEqual(KLL_RANK_ERROR);
  });

  it('HyperLogLog: 1,000,000 distinct values estimated within 3 standard errors, merge = union', () => {
    const a = new HyperLogLog();
    const b = new HyperLogLog();
    for (let i = 0; i < n; i++) (i < 600_000 ? a : b).add(String(i));
    for (let i = 0; i < 100_000; i++) b.add(String(i)); // overlap counts once
    a.merge(b);
    expect(Math.abs(a.estimate() - n) / n).toBeLessThanOrEqual(3 * HLL_RELATIVE_ERROR);
  });

  it('frequent items: every count within the Misra–Gries bound n/(capacity+1)', () => {
    const sketch = new FrequentItems(64);
    const truth = new Map<string, number>();
    for (let i = 0; i < 200_000; i++) {
      const key = String(Math.floor(-Math.log(random() + 1e-12) * 20));
      sketch.add(key);
      truth.set(key, (truth.get(key) ?? 0) + 1);
    }
    expect(sketch.exact).toBe(false);
    expect(sketch.decremented).toBeLessThanOrEqual(200_000 / 65);
    for (const [key, count] of sketch.counts) {
      const real = truth.get(key) as number;
      expect(count).toBeLessThanOrEqual(real);
      expect(real - count).toBeLessThanOrEqual(sketch.decremented);
    }
  });
});
