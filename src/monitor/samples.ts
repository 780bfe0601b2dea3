/**
 * What a drift test compares: a numeric sample (sorted values, optionally weighted as a quantile sketch's items are)
 * or category counts. Built from raw typed columns or from a stored profile; `exact` says whether it is the whole
 * sample (then every test reproduces scipy) or a sketch (then the result carries the sketch's rank error).
 */
import type { TypedColumn } from '../formats/tabular/index.js';
import { lowerBound, upperBound } from './statistics.js';

export interface NumericSample {
  kind: 'numeric';
  /** Sorted values. */
  values: Float64Array;
  /** Cumulative weights: cumulative[i] = rows with value ≤ values[i]. Absent: each value is one row. */
  cumulative?: Float64Array;
  /** Rows represented (non-null). */
  count: number;
  min: number;
  max: number;
  /** Distinct values (estimated when the sample is a sketch). */
  distinct: number;
  exact: boolean;
  /** Bound on |estimated rank − true rank| / count when not exact. */
  rankError: number;
}

export interface CategorySample {
  kind: 'categorical';
  counts: Map<string, number>;
  count: number;
  exact: boolean;
}

export type Sample = NumericSample | CategorySample;

/** Where a profile pools the mass of values its frequent-items sketch stopped tracking. */
export const OTHER_CATEGORY = '(other)';

/** Current counts with values the (sketched) reference does not track pooled into OTHER_CATEGORY, as the reference's are. */
export function poolUntracked(current: CategorySample, reference: CategorySample): CategorySample {
  if (!reference.counts.has(OTHER_CATEGORY)) return current;
  const counts = new Map<string, number>();
  for (const [key, count] of current.counts) {
    const target = reference.counts.has(key) ? key : OTHER_CATEGORY;
    counts.set(target, (counts.get(target) ?? 0) + count);
  }
  return { ...current, counts };
}

/** Rows with value ≤ x. */
export function countAtOrBelow(sample: NumericSample, x: number): number {
  const index = upperBound(sample.values, x);
  if (!sample.cumulative) return index;
  return index === 0 ? 0 : sample.cumulative[index - 1];
}

/** Rows with value < x. */
export function countBelow(sample: NumericSample, x: number): number {
  const index = lowerBound(sample.values, x);
  if (!sample.cumulative) return index;
  return index === 0 ? 0 : sample.cumulative[index - 1];
}

export function distinctSorted(sorted: Float64Array): number {
  let distinct = 0;
  for (let i = 0; i < sorted.length; i++) if (i === 0 || sorted[i] !== sorted[i - 1]) distinct += 1;
  return distinct;
}

export function numericSample(values: Float64Array): NumericSample {
  const sorted = Float64Array.from(values).sort();
  return {
    kind: 'numeric',
    values: sorted,
    count: sorted.length,
    min: sorted[0],
    max: sorted[sorted.length - 1],
    distinct: distinctSorted(sorted),
    exact: true,
    rankError: 0,
  };
}

/** A numeric sample as counts per distinct value (keys are the numbers' JavaScript text). */
export function numericAsCategories(sample: NumericSample): CategorySample {
  const counts = new Map<string, number>();
  const { values } = sample;
  for (let i = 0; i < values.length; i++) {
    if (i > 0 && values[i] === values[i - 1]) continue;
    const key = String(values[i]);
    counts.set(key, countAtOrBelow(sample, values[i]) - countBelow(sample, values[i]));
  }
  return { kind: 'categorical', counts, count: sample.count, exact: sample.exact };
}

/** The sample a typed column gives: numbers (numeric, datetime) or category counts (the rest). */
export function sampleFromColumn(column: TypedColumn): Sample | undefined {
  if (column.type === 'empty') return undefined;
  if ('values' in column) {
    return column.values.length ? numericSample(column.values) : undefined;
  }
  const perCode = new Float64Array(column.categories.length);
  for (const code of column.codes) perCode[code] += 1;
  const counts = new Map<string, number>();
  column.categories.forEach((category, code) => {
    if (perCode[code] > 0) counts.set(category, perCode[code]);
  });
  return { kind: 'categorical', counts, count: column.codes.length, exact: true };
}
