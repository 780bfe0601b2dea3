/**
 * Evaluation metrics over one run's cases. Every metric is a function of index-addressable case data, so the same
 * code computes the value on all cases and on each bootstrap resample. Binary rates reuse the fairness module's
 * scikit-learn-compatible definitions (zero division → 0, ROC AUC by mid-ranks, 10-bin ECE).
 */
import { METRICS } from './fairness/metrics.js';
import { quantileSorted } from './fairness/statistics.js';

/**
 * What one case contributed: the expected and predicted label or value, a score, the text checks' outcomes, latency.
 * Small on purpose: a run keeps one per case, never the inputs or outputs themselves.
 */
export interface ScoredCase {
  expected?: string | number;
  predicted?: string | number;
  /** Positive-class probability (binary classification), for ROC AUC and calibration. */
  score?: number;
  /** Text tasks: whether each of the task's checks passed, in the task's order. */
  passed?: readonly boolean[];
  /** Text tasks: characters in the output. */
  length?: number;
  latencyMs: number;
  /** Answered from the response cache: left out of latency. */
  cached?: boolean;
}

export type TextCheck =
  | { kind: 'exact_match' }
  | { kind: 'contains'; value?: string }
  | { kind: 'regex'; pattern: string }
  | { kind: 'json_valid' }
  | { kind: 'length' };

export type Task =
  | { kind: 'classification'; positiveLabel?: string }
  | { kind: 'regression' }
  | { kind: 'text'; checks: TextCheck[] };

/** A named scalar metric over a set of cases (NaN when undefined, e.g. ROC AUC with one class). */
export type MetricFunction = (cases: readonly ScoredCase[]) => number;

/** Which direction is better, for thresholds and regressions. */
export interface MetricDefinition {
  name: string;
  higherIsBetter: boolean;
  compute: MetricFunction;
  /** Resampling makes sense (not for latency: it measures the machine, not the model). */
  bootstrap: boolean;
}

const labelsOf = (cases: readonly ScoredCase[]) =>
  [...new Set(cases.flatMap((item) => [item.expected, item.predicted]).filter((value) => value !== undefined))]
    .map(String)
    .sort();

/** One-vs-rest outcomes for `label`, in the fairness module's 0/1 form. */
function oneVsRest(cases: readonly ScoredCase[], label: string) {
  return {
    yTrue: cases.map((item) => (String(item.expected) === label ? 1 : 0)),
    yPred: cases.map((item) => (String(item.predicted) === label ? 1 : 0)),
  };
}

function mean(values: readonly number[]): number {
  return values.length === 0 ? Number.NaN : values.reduce((total, value) => total + value, 0) / values.length;
}

function classificationMetrics(cases: readonly ScoredCase[], positiveLabel: string | undefined): MetricDefinition[] {
  const labels = labelsOf(cases);
  const quality = (name: string, compute: MetricFunction): MetricDefinition => ({
    name,
    higherIsBetter: true,
    compute,
    bootstrap: true,
  });
  const perClass = (metric: 'precision' | 'recall' | 'f1', label: string) => (subset: readonly ScoredCase[]) =>
    METRICS[metric](oneVsRest(subset, label));
  const macro = (metric: 'precision' | 'recall' | 'f1') => (subset: readonly ScoredCase[]) =>
    mean(labels.map((label) => perClass(metric, label)(subset)));
  const definitions = [
    quality('accuracy', (subset) =>
      mean(subset.map((item) => (String(item.expected) === String(item.predicted) ? 1 : 0))),
    ),
  ];
  if (positiveLabel !== undefined) {
    const binary = (subset: readonly ScoredCase[]) => ({
      ...oneVsRest(subset, positiveLabel),
      score: subset.every((item) => item.score !== undefined) ? subset.map((item) => item.score as number) : undefined,
    });
    definitions.push(
      quality('precision', perClass('precision', positiveLabel)),
      quality('recall', perClass('recall', positiveLabel)),
      quality('f1', perClass('f1', positiveLabel)),
      quality('roc_auc', (subset) => METRICS.roc_auc(binary(subset))),
      {
        name: 'ece',
        higherIsBetter: false,
        bootstrap: true,
        compute: (subset) => METRICS.calibration_error(binary(subset)),
      },
    );
  }
  for (const metric of ['precision', 'recall', 'f1'] as const) {
    definitions.push(quality(`macro_${metric}`, macro(metric)));
    for (const label of labels) definitions.push(quality(`${metric}[${label}]`, perClass(metric, label)));
  }
  return definitions;
}

function regressionMetrics(): MetricDefinition[] {
  const outcomes = (cases: readonly ScoredCase[]) => ({
    yTrue: cases.map((item) => Number(item.expected)),
    yPred: cases.map((item) => Number(item.predicted)),
  });
  return [
    { name: 'mae', higherIsBetter: false, bootstrap: true, compute: (c) => METRICS.mean_absolute_error(outcomes(c)) },
    {
      name: 'rmse',
      higherIsBetter: false,
      bootstrap: true,
      compute: (c) => Math.sqrt(METRICS.mean_squared_error(outcomes(c))),
    },
    { name: 'r2', higherIsBetter: true, bootstrap: true, compute: (c) => METRICS.r2(outcomes(c)) },
  ];
}

/** Each check on one output, judged as the output arrives so the text need not be kept. */
export function checkText(
  checks: readonly TextCheck[],
  text: string,
  expected: string | number | undefined,
): Pick<ScoredCase, 'passed' | 'length'> {
  const passed = checks.map((check) => {
    switch (check.kind) {
      case 'exact_match':
        return text.trim() === String(expected ?? '').trim();
      case 'contains':
        return text.toLowerCase().includes((check.value ?? String(expected ?? '')).toLowerCase());
      case 'regex':
        return new RegExp(check.pattern, 'u').test(text);
      case 'json_valid':
        return isJson(text);
      case 'length':
        return true;
    }
  });
  return { passed, length: text.length };
}

/** Text checks; each is the share of cases that pass (length: mean characters of the output). */
export function textMetrics(checks: readonly TextCheck[]): MetricDefinition[] {
  return checks.map((check, k) => {
    if (check.kind === 'length')
      return {
        name: 'length',
        higherIsBetter: true,
        bootstrap: true,
        compute: (c) => mean(c.map((item) => item.length ?? 0)),
      };
    const name =
      check.kind === 'regex'
        ? `regex[${check.pattern}]`
        : check.kind === 'contains' && check.value
          ? `contains[${check.value}]`
          : check.kind;
    return {
      name,
      higherIsBetter: true,
      bootstrap: true,
      compute: (c) => mean(c.map((item) => (item.passed?.[k] ? 1 : 0))),
    };
  });
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/** Latency percentiles (ms) over the cases that reached the model; cache hits are left out. */
export function latencyMetrics(): MetricDefinition[] {
  const percentile = (q: number) => (cases: readonly ScoredCase[]) =>
    quantileSorted(
      cases.map((item) => item.latencyMs).sort((a, b) => a - b),
      q,
    );
  return [
    { name: 'latency_p50_ms', higherIsBetter: false, bootstrap: false, compute: percentile(0.5) },
    { name: 'latency_p95_ms', higherIsBetter: false, bootstrap: false, compute: percentile(0.95) },
    { name: 'latency_p99_ms', higherIsBetter: false, bootstrap: false, compute: percentile(0.99) },
  ];
}

/** The metrics a task reports, in display order. */
export function metricsFor(task: Task, cases: readonly ScoredCase[]): MetricDefinition[] {
  if (task.kind === 'classification') return classificationMetrics(cases, task.positiveLabel);
  if (task.kind === 'regression') return regressionMetrics();
  return textMetrics(task.checks);
}

/** Counts of [expected][predicted], rows and columns in `labels` order. */
export function confusionMatrix(cases: readonly ScoredCase[]): { labels: string[]; counts: number[][] } {
  const labels = labelsOf(cases);
  const position = new Map(labels.map((label, index) => [label, index]));
  const counts = labels.map(() => labels.map(() => 0));
  for (const item of cases) {
    const row = position.get(String(item.expected));
    const column = position.get(String(item.predicted));
    if (row !== undefined && column !== undefined) counts[row][column]++;
  }
  return { labels, counts };
}
