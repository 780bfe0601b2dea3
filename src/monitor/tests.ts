/**
 * Runs one drift method on a reference and a current sample, the way Evidently's stattests do, with every parameter
 * written into the result. Binning for PSI, KL, JS and Hellinger (Evidently `get_binned_data`): numeric columns with
 * more than 20 distinct reference values get numpy Sturges bins over the pooled min–max; other columns one bin per
 * distinct value of reference ∪ current. Percent = count / sample size.
 */
import { DRIFT_METHODS, type DriftMethod } from './methods.js';
import { cramerVonMises2Samp, energyDistance, fisherExact, mannWhitneyU, welchTTest } from './more-statistics.js';
import {
  type CategorySample,
  countAtOrBelow,
  countBelow,
  type NumericSample,
  numericAsCategories,
  numericSample,
  type Sample,
} from './samples.js';
import {
  andersonKSamples,
  chiSquareGoodnessOfFit,
  fillEmptyBins,
  hellinger,
  jensenShannon,
  type KsMethod,
  klDivergence,
  ksPValue,
  psi,
  sturgesEdges,
  twoProportionZTest,
} from './statistics.js';

/** Numeric columns with more distinct reference values than this are binned by Sturges (Evidently). */
export const PER_VALUE_BIN_LIMIT = 20;

export interface Percents {
  rule: 'sturges' | 'per-value';
  labels: string[];
  edges?: number[];
  reference: number[];
  current: number[];
}

export interface TestOutcome {
  method: DriftMethod;
  kind: 'p-value' | 'distance';
  statistic: number;
  pValue?: number;
  threshold: number;
  comparison: '<' | '<=' | '>=' | '>';
  drifted: boolean;
  /** Everything that determines the number: binning, bins, log base, KS method, Yates, fill rule, normalisation. */
  parameters: Record<string, string | number | boolean>;
  /** Reference came from a sketch: the statistic is approximate within `parameters.rankError`. */
  approximate: boolean;
  distribution: Percents;
  warnings: string[];
}

function sortKeys(keys: Iterable<string>, numeric: boolean): string[] {
  const list = [...keys];
  return numeric ? list.sort((a, b) => Number(a) - Number(b)) : list.sort();
}

/** One bin per distinct value of reference ∪ current. */
export function categoricalPercents(
  reference: Record<string, number> | Map<string, number>,
  current: Record<string, number> | Map<string, number>,
  numericKeys = false,
): Percents {
  const ref = reference instanceof Map ? reference : new Map(Object.entries(reference));
  const cur = current instanceof Map ? current : new Map(Object.entries(current));
  const labels = sortKeys(new Set([...ref.keys(), ...cur.keys()]), numericKeys);
  const refTotal = [...ref.values()].reduce((a, b) => a + b, 0);
  const curTotal = [...cur.values()].reduce((a, b) => a + b, 0);
  return {
    rule: 'per-value',
    labels,
    reference: labels.map((l) => (ref.get(l) ?? 0) / refTotal),
    current: labels.map((l) => (cur.get(l) ?? 0) / curTotal),
  };
}

function histogramPercents(sample: NumericSample, edges: readonly number[]): number[] {
  const bounds = edges.map((edge, i) =>
    i === edges.length - 1 ? countAtOrBelow(sample, edge) : countBelow(sample, edge),
  );
  return bounds.slice(1).map((bound, i) => (bound - bounds[i]) / sample.count);
}

function sampleOf(values: ArrayLike<number> | NumericSample): NumericSample {
  return 'kind' in values ? values : numericSample(Float64Array.from(values));
}

/** Evidently's bins for a numeric pair (raw arrays or samples). */
export function binnedPercents(
  reference: ArrayLike<number> | NumericSample,
  current: ArrayLike<number> | NumericSample,
): Percents {
  const ref = sampleOf(reference);
  const cur = sampleOf(current);
  if (ref.distinct <= PER_VALUE_BIN_LIMIT) {
    return categoricalPercents(numericAsCategories(ref).counts, numericAsCategories(cur).counts, true);
  }
  const edges = sturgesEdges(Math.min(ref.min, cur.min), Math.max(ref.max, cur.max), ref.count + cur.count);
  const labels = edges.slice(1).map((edge, i) => `${formatEdge(edges[i])}–${formatEdge(edge)}`);
  return {
    rule: 'sturges',
    labels,
    edges,
    reference: histogramPercents(ref, edges),
    current: histogramPercents(cur, edges),
  };
}

const formatEdge = (x: number) =>
  Math.abs(x) >= 1e5 || (x !== 0 && Math.abs(x) < 1e-3) ? x.toExponential(2) : String(Number(x.toPrecision(4)));

export function psiFromPercents(percents: Percents) {
  const referenceFilled = fillEmptyBins(percents.reference);
  const currentFilled = fillEmptyBins(percents.current);
  return { value: psi(referenceFilled, currentFilled), referenceFilled, currentFilled };
}

function percentsFor(reference: Sample, current: Sample): Percents {
  if (reference.kind === 'numeric' && current.kind === 'numeric') return binnedPercents(reference, current);
  return categoricalPercents(categories(reference).counts, categories(current).counts);
}

function categories(sample: Sample): CategorySample {
  return sample.kind === 'numeric' ? numericAsCategories(sample) : sample;
}

/** KS statistic over weighted or plain samples: max |F_ref − F_cur| at every support point. */
function ksStatistic(reference: NumericSample, current: NumericSample): number {
  let d = 0;
  for (const sample of [reference, current]) {
    for (const x of sample.values) {
      const diff = Math.abs(
        countAtOrBelow(reference, x) / reference.count - countAtOrBelow(current, x) / current.count,
      );
      if (diff > d) d = diff;
    }
  }
  return d;
}

/** ∫|F_ref − F_cur| dx over the merged support (scipy wasserstein_distance for plain samples). */
function wassersteinSamples(reference: NumericSample, current: NumericSample): number {
  const all = new Float64Array(reference.values.length + current.values.length);
  all.set(reference.values);
  all.set(current.values, reference.values.length);
  all.sort();
  let sum = 0;
  for (let k = 0; k < all.length - 1; k++) {
    const x = all[k];
    sum +=
      Math.abs(countAtOrBelow(reference, x) / reference.count - countAtOrBelow(current, x) / current.count) *
      (all[k + 1] - x);
  }
  return sum;
}

function weightedStd(sample: NumericSample): number {
  const weight = (i: number) => (sample.cumulative ? sample.cumulative[i] - (i ? sample.cumulative[i - 1] : 0) : 1);
  let mean = 0;
  for (let i = 0; i < sample.values.length; i++) mean += weight(i) * sample.values[i];
  mean /= sample.count;
  let sq = 0;
  for (let i = 0; i < sample.values.length; i++) sq += weight(i) * (sample.values[i] - mean) ** 2;
  return Math.sqrt(sq / sample.count);
}

export interface TestOptions {
  threshold?: number;
  /** KS p-value method (default auto: exact up to 10,000 per sample). */
  ksMethod?: KsMethod;
  /** Reference standard deviation for Wasserstein when the reference is a profile (exact from its moments). */
  referenceStd?: number;
}

export class DriftTestError extends Error {}

/** The plain values of a sample that is the whole raw data (tests that need every value). */
function rawValues(sample: Sample, method: DriftMethod): Float64Array {
  if (sample.kind !== 'numeric' || sample.cumulative || !sample.exact) {
    throw new DriftTestError(`${method} needs the raw reference sample, not a profile sketch`);
  }
  return sample.values;
}

export function runTest(
  method: DriftMethod,
  reference: Sample,
  current: Sample,
  options: TestOptions = {},
): TestOutcome {
  const info = DRIFT_METHODS[method];
  const threshold = options.threshold ?? info.defaultThreshold;
  const numeric = reference.kind === 'numeric' && current.kind === 'numeric';
  if (!info.categorical && !numeric) throw new DriftTestError(`${method} applies to numeric columns only`);
  const approximate = !reference.exact || !current.exact;
  const parameters: Record<string, string | number | boolean> = {};
  if (approximate && reference.kind === 'numeric') parameters.rankError = reference.rankError;
  const warnings: string[] = [];
  const distribution = percentsFor(reference, current);
  let statistic: number;
  let pValue: number | undefined;

  switch (method) {
    case 'ks': {
      const ref = reference as NumericSample;
      const cur = current as NumericSample;
      const d = ksStatistic(ref, cur);
      const result = ksPValue(d, ref.count, cur.count, options.ksMethod ?? 'auto');
      statistic = result.statistic;
      pValue = result.pValue;
      parameters.ksMethod = result.method;
      parameters.alternative = 'two-sided';
      break;
    }
    case 'anderson': {
      const result = andersonKSamples([rawValues(reference, method), rawValues(current, method)]);
      statistic = result.statistic;
      pValue = result.pValue;
      parameters.variant = 'midrank';
      parameters.pValueClipped = result.clipped;
      if (result.clipped) warnings.push('p-value interpolated from a table and clipped to [0.001, 0.25] (scipy)');
      break;
    }
    case 'cramervonmises':
    case 'mannwhitney':
    case 'ttest': {
      const compute = { cramervonmises: cramerVonMises2Samp, mannwhitney: mannWhitneyU, ttest: welchTTest }[method];
      const result = compute(rawValues(reference, method), rawValues(current, method));
      statistic = result.statistic;
      pValue = result.pValue;
      parameters.alternative = 'two-sided';
      break;
    }
    case 'energy':
      statistic = energyDistance(rawValues(reference, method), rawValues(current, method));
      break;
    case 'fisher': {
      const ref = categories(reference);
      const cur = categories(current);
      const keys = [...new Set([...ref.counts.keys(), ...cur.counts.keys()])].sort();
      if (keys.length !== 2) throw new DriftTestError('fisher needs exactly two distinct values (a 2×2 table)');
      const result = fisherExact([
        [ref.counts.get(keys[0]) ?? 0, ref.counts.get(keys[1]) ?? 0],
        [cur.counts.get(keys[0]) ?? 0, cur.counts.get(keys[1]) ?? 0],
      ]);
      statistic = result.statistic;
      pValue = result.pValue;
      parameters.table = `rows reference/current × ${keys.join('/')}`;
      break;
    }
    case 'chisquare': {
      const ref = categories(reference);
      const cur = categories(current);
      const keys = [...new Set([...ref.counts.keys(), ...cur.counts.keys()])];
      const scale = cur.count / ref.count;
      const result = chiSquareGoodnessOfFit(
        keys.map((k) => cur.counts.get(k) ?? 0),
        keys.map((k) => (ref.counts.get(k) ?? 0) * scale),
      );
      statistic = result.statistic;
      pValue = result.pValue;
      parameters.dof = result.dof;
      parameters.expected = 'reference counts × n_cur/n_ref';
      if (keys.some((k) => !ref.counts.has(k))) warnings.push('a category absent from the reference: χ² = ∞, p = 0');
      break;
    }
    case 'z': {
      const ref = categories(reference);
      const cur = categories(current);
      const keys = [...new Set([...ref.counts.keys(), ...cur.counts.keys()])];
      if (keys.length > 2) throw new DriftTestError('z applies to columns with at most two distinct values');
      const key = keys.sort()[0];
      const result = twoProportionZTest(ref.counts.get(key) ?? 0, ref.count, cur.counts.get(key) ?? 0, cur.count);
      statistic = result.z;
      pValue = result.pValue;
      parameters.pooled = true;
      parameters.proportionOf = key;
      break;
    }
    case 'psi':
    case 'kl': {
      const filled = psiFromPercents(distribution);
      statistic = method === 'psi' ? filled.value : klDivergence(filled.referenceFilled, filled.currentFilled);
      parameters.emptyBinRule = 'zero → min_nonzero/1e6 if min_nonzero ≤ 1e-4 else 1e-4, per sample';
      if (method === 'kl') parameters.logBase = 'e';
      break;
    }
    case 'jensenshannon':
      statistic = jensenShannon(distribution.reference, distribution.current);
      parameters.logBase = 'e';
      parameters.maximum = Math.sqrt(Math.LN2);
      break;
    case 'hellinger':
      statistic = hellinger(distribution.reference, distribution.current);
      break;
    case 'wasserstein': {
      const ref = reference as NumericSample;
      const cur = current as NumericSample;
      const raw = wassersteinSamples(ref, cur);
      const std = options.referenceStd ?? weightedStd(ref);
      statistic = raw / Math.max(std, 0.001);
      parameters.raw = raw;
      parameters.referenceStd = std;
      parameters.normalisation = 'divided by max(population std of reference, 0.001)';
      break;
    }
  }
  if (['psi', 'kl', 'jensenshannon', 'hellinger'].includes(method)) {
    parameters.binning = distribution.rule;
    parameters.bins = distribution.labels.length;
  }
  const score = info.kind === 'p-value' ? (pValue as number) : statistic;
  const drifted = {
    '<': score < threshold,
    '<=': score <= threshold,
    '>=': score >= threshold,
    '>': score > threshold,
  }[info.comparison];
  return {
    method,
    kind: info.kind,
    statistic,
    ...(pValue === undefined ? {} : { pValue }),
    threshold,
    comparison: info.comparison,
    drifted,
    parameters,
    approximate,
    distribution,
    warnings,
  };
}
