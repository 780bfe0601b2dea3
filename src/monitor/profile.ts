/**
 * Mergeable column profiles: a baseline kept without raw data. Per column: rows, nulls; for numeric (or datetime)
 * columns count/mean/variance (Welford, merged with Chan et al.'s formula), min, max and a KLL quantile sketch; for
 * every column frequent items (Misra–Gries) and a HyperLogLog distinct count over the values as text.
 * Profiles are deterministic (seeded sketches) and serialise to JSON (`assay profile`); merge(A, B) is the profile of
 * A ∪ B exactly for counts, nulls, min, max, mean and variance (up to rounding), and within the sketches' documented
 * error for quantiles and distinct counts.
 */
import { z } from 'zod';
import {
  type Cell,
  type ColumnType,
  categoryValue,
  numericValue,
  type ReadOptions,
  readBatches,
  type TabularFormat,
  tabularFormat,
} from '../formats/tabular/index.js';
import { isMissing } from '../formats/tabular/nulls.js';
import type { ColumnSide } from './drift.js';
import { type NumericSample, OTHER_CATEGORY, type Sample } from './samples.js';
import { FrequentItems, FrequentState } from './sketches/frequent.js';
import { HllState, HyperLogLog } from './sketches/hll.js';
import { KLL_RANK_ERROR, KllSketch, KllState } from './sketches/kll.js';

export const PROFILE_FORMAT = 'assay-profile';
export const PROFILE_VERSION = 1;

const ISO_DATE = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/;

const Moments = z.object({
  count: z.number().int().nonnegative(),
  mean: z.number(),
  m2: z.number().describe('Sum of squared deviations from the mean (Welford)'),
  min: z.number(),
  max: z.number(),
});
type Moments = z.infer<typeof Moments>;

export const ColumnProfile = z.object({
  name: z.string(),
  type: z.enum(['numeric', 'datetime', 'boolean', 'categorical', 'text', 'empty']),
  rows: z.number().int().nonnegative(),
  nulls: z.number().int().nonnegative(),
  numeric: z
    .object({ mode: z.enum(['number', 'datetime']), moments: Moments, infinities: z.number().int(), kll: KllState })
    .optional()
    .describe('Present while every non-null value is a number (or every one an ISO date, as epoch ms)'),
  frequent: FrequentState,
  distinct: HllState,
});
export type ColumnProfile = z.infer<typeof ColumnProfile>;

export const DatasetProfile = z.object({
  format: z.literal(PROFILE_FORMAT),
  version: z.literal(PROFILE_VERSION),
  createdAt: z.string(),
  sources: z.array(z.object({ path: z.string(), format: z.string(), rows: z.number().int().nonnegative() })),
  rows: z.number().int().nonnegative(),
  columns: z.array(ColumnProfile),
});
export type DatasetProfile = z.infer<typeof DatasetProfile>;

/** Welford's update. */
function addMoment(m: Moments, x: number): void {
  m.count += 1;
  const delta = x - m.mean;
  m.mean += delta / m.count;
  m.m2 += delta * (x - m.mean);
  if (x < m.min) m.min = x;
  if (x > m.max) m.max = x;
}

/** Chan, Golub & LeVeque's pairwise combination of two moment summaries. */
function mergeMoments(a: Moments, b: Moments): Moments {
  if (a.count === 0) return { ...b };
  if (b.count === 0) return { ...a };
  const count = a.count + b.count;
  const delta = b.mean - a.mean;
  return {
    count,
    mean: a.mean + (delta * b.count) / count,
    m2: a.m2 + b.m2 + (delta * delta * a.count * b.count) / count,
    min: Math.min(a.min, b.min),
    max: Math.max(a.max, b.max),
  };
}

const emptyMoments = (): Moments => ({ count: 0, mean: 0, m2: 0, min: Infinity, max: -Infinity });

/** Streams one column's cells into its sketches. */
class ColumnProfiler {
  rows = 0;
  nulls = 0;
  private mode: 'number' | 'datetime' | undefined;
  private numericAlive = true;
  private moments = emptyMoments();
  private infinities = 0;
  private kll = new KllSketch();
  private frequent = new FrequentItems();
  private hll = new HyperLogLog();

  constructor(readonly name: string) {}

  addNulls(count: number): void {
    this.rows += count;
    this.nulls += count;
  }

  add(cell: Cell | undefined): void {
    this.rows += 1;
    if (isMissing(cell)) {
      this.nulls += 1;
      return;
    }
    const text = categoryValue(cell);
    if (this.numericAlive) this.addNumeric(cell, text);
    this.frequent.add(text);
    this.hll.add(text);
  }

  private addNumeric(cell: Cell, text: string): void {
    const number = typeof cell === 'boolean' ? undefined : numericValue(cell);
    const date = number === undefined && ISO_DATE.test(text) ? Date.parse(text) : undefined;
    const mode = number !== undefined ? 'number' : date !== undefined && Number.isFinite(date) ? 'datetime' : undefined;
    if (mode === undefined || (this.mode !== undefined && this.mode !== mode)) {
      this.numericAlive = false;
      return;
    }
    this.mode = mode;
    const value = (number ?? date) as number;
    if (!Number.isFinite(value)) {
      this.infinities += 1;
      return;
    }
    addMoment(this.moments, value);
    this.kll.update(value);
  }

  finish(): ColumnProfile {
    const numeric =
      this.numericAlive && this.mode
        ? { mode: this.mode, moments: this.moments, infinities: this.infinities, kll: this.kll.toJSON() }
        : undefined;
    const profile: ColumnProfile = {
      name: this.name,
      type: 'empty',
      rows: this.rows,
      nulls: this.nulls + (numeric ? this.infinities : 0),
      numeric,
      frequent: this.frequent.toJSON(),
      distinct: this.hll.toJSON(),
    };
    return { ...profile, type: inferType(profile) };
  }
}

function inferType(profile: ColumnProfile): ColumnType {
  if (profile.numeric) {
    if (profile.numeric.moments.count === 0) return 'empty';
    return profile.numeric.mode === 'datetime' ? 'datetime' : 'numeric';
  }
  if (profile.frequent.total === 0) return 'empty';
  const keys = profile.frequent.counts.map(([key]) => key);
  if (profile.frequent.decremented === 0 && keys.every((k) => /^(?:true|false)$/i.test(k))) return 'boolean';
  const distinct = HyperLogLog.fromJSON(profile.distinct).estimate();
  const meanLength = keys.reduce((s, k) => s + k.length, 0) / keys.length;
  const spaced = keys.filter((k) => /\s/.test(k.trim())).length;
  if (meanLength >= 40) return 'text';
  if (distinct > 100 && distinct > profile.frequent.total / 2 && spaced > keys.length / 2) return 'text';
  return 'categorical';
}

export interface ProfileSource {
  path: string;
  format?: TabularFormat;
}

/** Profiles one or more files (same columns expected; a column missing from a file counts as nulls there). */
export async function profileFiles(
  sources: readonly ProfileSource[],
  options: ReadOptions = {},
  now = new Date(),
): Promise<DatasetProfile> {
  const profiles: DatasetProfile[] = [];
  for (const source of sources) {
    const format = source.format ?? (await tabularFormat(source.path));
    const profilers: ColumnProfiler[] = [];
    let rows = 0;
    for await (const batch of readBatches(source.path, { ...options, format })) {
      for (let i = profilers.length; i < batch.columns.length; i++) {
        const profiler = new ColumnProfiler(batch.columns[i]);
        profiler.addNulls(rows);
        profilers.push(profiler);
      }
      for (const row of batch.rows) for (let i = 0; i < profilers.length; i++) profilers[i].add(row[i]);
      rows += batch.rows.length;
    }
    profiles.push({
      format: PROFILE_FORMAT,
      version: PROFILE_VERSION,
      createdAt: now.toISOString(),
      sources: [{ path: source.path, format, rows }],
      rows,
      columns: profilers.map((p) => p.finish()),
    });
  }
  return profiles.reduce((a, b) => mergeProfiles(a, b, now));
}

/** Profiles rows already in memory (a monitor's window), one column per name; a missing key is a null. */
export function profileRecords(
  records: readonly Readonly<Record<string, unknown>>[],
  columns: readonly string[],
  source: string,
  now = new Date(),
): DatasetProfile {
  const profilers = columns.map((name) => new ColumnProfiler(name));
  for (const record of records) for (const profiler of profilers) profiler.add(record[profiler.name] as Cell);
  return {
    format: PROFILE_FORMAT,
    version: PROFILE_VERSION,
    createdAt: now.toISOString(),
    sources: [{ path: source, format: 'records', rows: records.length }],
    rows: records.length,
    columns: profilers.map((p) => p.finish()),
  };
}

function mergeColumn(
  a: ColumnProfile | undefined,
  b: ColumnProfile | undefined,
  rowsA: number,
  rowsB: number,
): ColumnProfile {
  // A column absent from one side is all nulls there.
  const left = a ?? absent((b as ColumnProfile).name, rowsA);
  const right = b ?? absent((a as ColumnProfile).name, rowsB);
  const frequent = FrequentItems.fromJSON(left.frequent);
  frequent.merge(FrequentItems.fromJSON(right.frequent));
  const hll = HyperLogLog.fromJSON(left.distinct);
  hll.merge(HyperLogLog.fromJSON(right.distinct));
  let numeric: ColumnProfile['numeric'];
  const ln =
    left.numeric ?? (left.frequent.total === 0 ? right.numeric && emptyNumeric(right.numeric.mode) : undefined);
  const rn =
    right.numeric ?? (right.frequent.total === 0 ? left.numeric && emptyNumeric(left.numeric.mode) : undefined);
  if (ln && rn && ln.mode === rn.mode) {
    const kll = KllSketch.fromJSON(ln.kll);
    kll.merge(KllSketch.fromJSON(rn.kll));
    numeric = {
      mode: ln.mode,
      moments: mergeMoments(ln.moments, rn.moments),
      infinities: ln.infinities + rn.infinities,
      kll: kll.toJSON(),
    };
  }
  const rawNulls = (p: ColumnProfile) => p.nulls - (p.numeric ? p.numeric.infinities : 0);
  const merged: ColumnProfile = {
    name: left.name,
    type: 'empty',
    rows: left.rows + right.rows,
    nulls: rawNulls(left) + rawNulls(right) + (numeric ? numeric.infinities : 0),
    numeric,
    frequent: frequent.toJSON(),
    distinct: hll.toJSON(),
  };
  return { ...merged, type: inferType(merged) };
}

function emptyNumeric(mode: 'number' | 'datetime'): NonNullable<ColumnProfile['numeric']> {
  return { mode, moments: emptyMoments(), infinities: 0, kll: new KllSketch().toJSON() };
}

function absent(name: string, rows: number): ColumnProfile {
  return {
    name,
    type: 'empty',
    rows,
    nulls: rows,
    frequent: new FrequentItems().toJSON(),
    distinct: new HyperLogLog().toJSON(),
  };
}

export function mergeProfiles(a: DatasetProfile, b: DatasetProfile, now = new Date()): DatasetProfile {
  const names = [...new Set([...a.columns.map((c) => c.name), ...b.columns.map((c) => c.name)])];
  const find = (profile: DatasetProfile, name: string) => profile.columns.find((c) => c.name === name);
  return {
    format: PROFILE_FORMAT,
    version: PROFILE_VERSION,
    createdAt: now.toISOString(),
    sources: [...a.sources, ...b.sources],
    rows: a.rows + b.rows,
    columns: names.map((name) => mergeColumn(find(a, name), find(b, name), a.rows, b.rows)),
  };
}

/** Population variance from the moments (ddof 0, as numpy's std). */
export function profileVariance(column: ColumnProfile): number | undefined {
  const m = column.numeric?.moments;
  return m && m.count > 0 ? m.m2 / m.count : undefined;
}

/** The drift test sample a profile column gives, exact when its sketches still hold every value. */
export function profileSample(column: ColumnProfile): Sample | undefined {
  const frequent = column.frequent;
  if (column.type === 'empty') return undefined;
  if ((column.type === 'numeric' || column.type === 'datetime') && column.numeric) {
    const { moments, kll } = column.numeric;
    const distinct = HyperLogLog.fromJSON(column.distinct).estimate();
    const base = { kind: 'numeric' as const, count: moments.count, min: moments.min, max: moments.max };
    if (frequent.decremented === 0 && column.numeric.mode === 'number') {
      // Every distinct value with its exact count.
      const pairs = frequent.counts.map(([key, count]) => [Number(key), count] as const).sort((x, y) => x[0] - y[0]);
      const values = Float64Array.from(pairs, ([value]) => value);
      let total = 0;
      const cumulative = Float64Array.from(pairs, ([, count]) => (total += count));
      return { ...base, values, cumulative, distinct: pairs.length, exact: true, rankError: 0 } satisfies NumericSample;
    }
    const sketch = KllSketch.fromJSON(kll);
    const { values, cumulative } = sketch.weightedItems();
    const exact = sketch.exact;
    return { ...base, values, cumulative, distinct, exact, rankError: exact ? 0 : KLL_RANK_ERROR };
  }
  const counts = new Map(frequent.counts);
  const tracked = frequent.counts.reduce((s, [, c]) => s + c, 0);
  if (frequent.decremented > 0) counts.set(OTHER_CATEGORY, frequent.total - tracked);
  return { kind: 'categorical', counts, count: frequent.total, exact: frequent.decremented === 0 };
}

export function profileColumnSides(profile: DatasetProfile): ColumnSide[] {
  return profile.columns.map((column) => {
    const variance = profileVariance(column);
    return {
      name: column.name,
      type: column.type,
      rows: column.rows,
      nulls: column.nulls,
      sample: profileSample(column),
      ...(variance === undefined ? {} : { std: Math.sqrt(variance) }),
    };
  });
}
