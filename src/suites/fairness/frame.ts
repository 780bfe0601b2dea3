import { METRICS, type MetricName, type Outcomes } from './metrics.js';
import { type BootstrapSettings, type Interval, percentileInterval, stratifiedResamples } from './statistics.js';

/**
 * fairlearn's MetricFrame, numerically: metrics overall and per group (one group per combination of the sensitive
 * features' values, so several features give intersectional groups), with group_min / group_max and difference /
 * ratio either between groups or to the overall value. Groups are keyed by their values' string form, sorted.
 */

export type Method = 'between_groups' | 'to_overall';

export interface GroupedOutcomes extends Outcomes {
  /** One column per sensitive feature, row-aligned with yTrue. */
  sensitive: readonly (readonly string[])[];
}

export interface Group {
  /** "Female", or "Female, 40-60" for intersectional groups. */
  key: string;
  rows: number[];
}

export function groupRows(sensitive: readonly (readonly string[])[]): Group[] {
  const groups = new Map<string, number[]>();
  const rowCount = sensitive[0]?.length ?? 0;
  for (let row = 0; row < rowCount; row++) {
    const key = sensitive.map((column) => column[row]).join(', ');
    const rows = groups.get(key);
    if (rows) rows.push(row);
    else groups.set(key, [row]);
  }
  return [...groups.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([key, rows]) => ({ key, rows }));
}

function pick(outcomes: Outcomes, rows: readonly number[]): Outcomes {
  return {
    yTrue: rows.map((row) => outcomes.yTrue[row]),
    yPred: rows.map((row) => outcomes.yPred[row]),
    score: outcomes.score && rows.map((row) => outcomes.score?.[row] ?? Number.NaN),
  };
}

/** Point values of one metric: overall and per group (in group order). */
export interface MetricValues {
  overall: number;
  byGroup: number[];
}

export function evaluate(metric: MetricName, outcomes: Outcomes, groups: readonly Group[]): MetricValues {
  const compute = METRICS[metric];
  return { overall: compute(outcomes), byGroup: groups.map((group) => compute(pick(outcomes, group.rows))) };
}

// pandas skips NaN in min/max; so do we. A metric undefined in every group has no min or max.
function finiteOrNaN(values: readonly number[], pickOne: (...values: number[]) => number): number {
  const defined = values.filter((value) => !Number.isNaN(value));
  return defined.length === 0 ? Number.NaN : pickOne(...defined);
}

export const groupMin = ({ byGroup }: MetricValues) => finiteOrNaN(byGroup, Math.min);
export const groupMax = ({ byGroup }: MetricValues) => finiteOrNaN(byGroup, Math.max);

export function difference(values: MetricValues, method: Method): number {
  if (method === 'between_groups') return groupMax(values) - groupMin(values);
  return finiteOrNaN(
    values.byGroup.map((value) => Math.abs(value - values.overall)),
    Math.max,
  );
}

export function ratio(values: MetricValues, method: Method): number {
  if (method === 'between_groups') return groupMin(values) / groupMax(values);
  // Each group's ratio to the overall value, inverted when above 1, then the smallest.
  return finiteOrNaN(
    values.byGroup.map((value) => {
      const r = value / values.overall;
      return r > 1 ? 1 / r : r;
    }),
    Math.min,
  );
}

/** The fairness measures fairlearn defines on top of MetricFrame, by the metric(s) they aggregate. */
export const FAIRNESS_MEASURES = {
  demographic_parity_difference: { metrics: ['selection_rate'], aggregate: 'difference' },
  demographic_parity_ratio: { metrics: ['selection_rate'], aggregate: 'ratio' },
  equalized_odds_difference: { metrics: ['true_positive_rate', 'false_positive_rate'], aggregate: 'difference' },
  equalized_odds_ratio: { metrics: ['true_positive_rate', 'false_positive_rate'], aggregate: 'ratio' },
  equal_opportunity_difference: { metrics: ['true_positive_rate'], aggregate: 'difference' },
  equal_opportunity_ratio: { metrics: ['true_positive_rate'], aggregate: 'ratio' },
} as const satisfies Record<string, { metrics: readonly MetricName[]; aggregate: 'difference' | 'ratio' }>;
export type FairnessMeasure = keyof typeof FAIRNESS_MEASURES;

/**
 * A measure from the metric values it needs. Equalized odds takes the worse of its two rates: the larger
 * difference, the smaller ratio (fairlearn's agg="worst_case").
 */
export function fairnessMeasure(
  measure: FairnessMeasure,
  values: Readonly<Partial<Record<MetricName, MetricValues>>>,
  method: Method,
): number {
  const { metrics, aggregate } = FAIRNESS_MEASURES[measure];
  const parts = metrics.map((metric) => {
    const metricValues = values[metric];
    if (!metricValues) throw new Error(`${measure} needs ${metric}`);
    return aggregate === 'difference' ? difference(metricValues, method) : ratio(metricValues, method);
  });
  return aggregate === 'difference' ? Math.max(...parts) : Math.min(...parts);
}

export interface Estimate {
  value: number;
  /** Percentile bootstrap interval; absent when too few resamples gave a finite value. */
  ci?: Interval;
}

export interface MetricSummary {
  overall: Estimate;
  byGroup: Record<string, Estimate>;
  groupMin: Estimate;
  groupMax: Estimate;
  difference: Record<Method, Estimate>;
  ratio: Record<Method, Estimate>;
}

export interface FrameResult {
  groups: { key: string; count: number }[];
  metrics: Record<string, MetricSummary>;
  measures: Record<FairnessMeasure, Record<Method, Estimate>>;
}

const METHODS: readonly Method[] = ['between_groups', 'to_overall'];
const MEASURE_METRICS: readonly MetricName[] = ['selection_rate', 'true_positive_rate', 'false_positive_rate'];

/** Flat list of every statistic the frame reports, so point values and resamples go through one function. */
function statistics(metrics: readonly MetricName[], outcomes: Outcomes, groups: readonly Group[]): Map<string, number> {
  const all = [...new Set([...metrics, ...MEASURE_METRICS])];
  const values = Object.fromEntries(all.map((metric) => [metric, evaluate(metric, outcomes, groups)]));
  const flat = new Map<string, number>();
  for (const metric of metrics) {
    const metricValues = values[metric];
    flat.set(`${metric}/overall`, metricValues.overall);
    groups.forEach((group, i) => {
      flat.set(`${metric}/group/${group.key}`, metricValues.byGroup[i]);
    });
    flat.set(`${metric}/min`, groupMin(metricValues));
    flat.set(`${metric}/max`, groupMax(metricValues));
    for (const method of METHODS) {
      flat.set(`${metric}/difference/${method}`, difference(metricValues, method));
      flat.set(`${metric}/ratio/${method}`, ratio(metricValues, method));
    }
  }
  for (const measure of Object.keys(FAIRNESS_MEASURES) as FairnessMeasure[]) {
    for (const method of METHODS) flat.set(`${measure}/${method}`, fairnessMeasure(measure, values, method));
  }
  return flat;
}

/**
 * Computes the frame and, unless `bootstrap` is undefined, a percentile interval for every value. Resampling is
 * stratified by group (each group resampled within itself), so group sizes stay fixed and no group disappears.
 */
export function metricFrame(
  input: GroupedOutcomes,
  metrics: readonly MetricName[],
  bootstrap?: BootstrapSettings,
): FrameResult {
  const groups = groupRows(input.sensitive);
  const point = statistics(metrics, input, groups);
  const resampled = new Map<string, number[]>([...point.keys()].map((key) => [key, []]));
  if (bootstrap) {
    for (const rows of stratifiedResamples(
      groups.map((group) => group.rows),
      bootstrap,
    )) {
      const sample = pick(input, rows);
      // Row i of the resample belongs to the group its source row belonged to: same strata, same order.
      let offset = 0;
      const sampleGroups = groups.map((group) => {
        const rowsInSample = group.rows.map((_, i) => offset + i);
        offset += group.rows.length;
        return { key: group.key, rows: rowsInSample };
      });
      for (const [key, value] of statistics(metrics, sample, sampleGroups)) resampled.get(key)?.push(value);
    }
  }
  const estimate = (key: string): Estimate => {
    const value = point.get(key) ?? Number.NaN;
    const ci = bootstrap && percentileInterval(resampled.get(key) ?? [], bootstrap);
    return ci ? { value, ci } : { value };
  };
  const byMethod = (prefix: string) =>
    Object.fromEntries(METHODS.map((method) => [method, estimate(`${prefix}/${method}`)])) as Record<Method, Estimate>;
  return {
    groups: groups.map((group) => ({ key: group.key, count: group.rows.length })),
    metrics: Object.fromEntries(
      metrics.map((metric) => [
        metric,
        {
          overall: estimate(`${metric}/overall`),
          byGroup: Object.fromEntries(groups.map((group) => [group.key, estimate(`${metric}/group/${group.key}`)])),
          groupMin: estimate(`${metric}/min`),
          groupMax: estimate(`${metric}/max`),
          difference: byMethod(`${metric}/difference`),
          ratio: byMethod(`${metric}/ratio`),
        },
      ]),
    ),
    measures: Object.fromEntries(
      (Object.keys(FAIRNESS_MEASURES) as FairnessMeasure[]).map((measure) => [measure, byMethod(measure)]),
    ) as Record<FairnessMeasure, Record<Method, Estimate>>,
  };
}
