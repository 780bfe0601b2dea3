/**
 * Evaluation metrics over one run's cases. Every metric is a function of index-addressable case data, so the same
 * code computes the value on all cases and on each bootstrap resample. Binary rates reuse the fairness module's
 * scikit-learn-compatible definitions (zero division → 0, ROC AUC by mid-ranks, 10-bin ECE).
 */
import { calibrationError, METRICS, rocAuc } from './fairness/metrics.js';
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

function labelsOf(cases: readonly ScoredCase[]): string[] {
  const labels = new Set<string>();
  for (const item of cases) {
    if (item.expected !== undefined) labels.add(String(item.expected));
    if (item.predicted !== undefined) labels.add(String(item.predicted));
  }
  return [...labels].sort();
}

/**
 * What every classification metric is computed from, built in one pass over the cases and shared by all metrics of
 * the same set of cases (a bootstrap round computes ~15 metrics over one resample: one pass, not fifteen). Case
 * arrays are never changed once built, so the array itself identifies the set.
 */
interface ClassificationSummary {
  /** counts[expected * K + predicted] over `labels`. */
  counts: Float64Array;
  total: number;
  /** Binary outcomes for ROC AUC and calibration, when a positive label is set (score: when every case has one). */
  binary?: { yTrue: Uint8Array; yPred: Uint8Array; score?: Float64Array };
}

function summariser(labels: readonly string[], positiveLabel: string | undefined) {
  const code = new Map(labels.map((label, index) => [label, index]));
  const k = labels.length;
  // One slot, not a WeakMap: metrics are computed set by set (all metrics of one resample, then the next), and a
  // WeakMap would keep every resample's summary alive until a full garbage collection. For the same reason the
  // buffers are reused: a summary is valid until the next set is summarised.
  let last: { cases: readonly ScoredCase[]; summary: ClassificationSummary } | undefined;
  let buffers = { yTrue: new Uint8Array(0), yPred: new Uint8Array(0), score: new Float64Array(0) };
  return (cases: readonly ScoredCase[]): ClassificationSummary => {
    if (last?.cases === cases) return last.summary;
    const n = cases.length;
    if (positiveLabel !== undefined && buffers.yTrue.length < n)
      buffers = { yTrue: new Uint8Array(n), yPred: new Uint8Array(n), score: new Float64Array(n) };
    const counts = new Float64Array(k * k);
    const binary =
      positiveLabel === undefined
        ? undefined
        : {
            yTrue: buffers.yTrue.subarray(0, n),
            yPred: buffers.yPred.subarray(0, n),
            score: buffers.score.subarray(0, n) as Float64Array | undefined,
          };
    for (let i = 0; i < n; i++) {
      const item = cases[i];
      const [expectedLabel, predictedLabel] = [String(item.expected), String(item.predicted)];
      const expected = code.get(expectedLabel);
      const predicted = code.get(predictedLabel);
      if (expected !== undefined && predicted !== undefined) counts[expected * k + predicted]++;
      if (!binary) continue;
      binary.yTrue[i] = expectedLabel === positiveLabel ? 1 : 0;
      binary.yPred[i] = predictedLabel === positiveLabel ? 1 : 0;
      if (item.score === undefined) binary.score = undefined;
      else if (binary.score) binary.score[i] = item.score;
    }
    const summary = { counts, total: n, binary };
    last = { cases, summary };
    return summary;
  };
}

const share = (part: number, whole: number) => (whole === 0 ? 0 : part / whole);

/** One-vs-rest precision, recall or F1 of class `index` from the confusion counts (zero division → 0, as sklearn). */
function perClass(metric: 'precision' | 'recall' | 'f1', index: number, k: number, counts: Float64Array): number {
  let predicted = 0;
  let actual = 0;
  for (let j = 0; j < k; j++) {
    predicted += counts[j * k + index];
    actual += counts[index * k + j];
  }
  const tp = counts[index * k + index];
  if (metric === 'precision') return share(tp, predicted);
  if (metric === 'recall') return share(tp, actual);
  return share(2 * tp, predicted + actual);
}

function mean(values: readonly number[]): number {
  return values.length === 0 ? Number.NaN : values.reduce((total, value) => total + value, 0) / values.length;
}

function classificationMetrics(cases: readonly ScoredCase[], positiveLabel: string | undefined): MetricDefinition[] {
  const labels = labelsOf(cases);
  const k = labels.length;
  const summary = summariser(labels, positiveLabel);
  const quality = (name: string, compute: (summary: ClassificationSummary) => number): MetricDefinition => ({
    name,
    higherIsBetter: true,
    compute: (subset) => compute(summary(subset)),
    bootstrap: true,
  });
  const definitions = [
    quality('accuracy', ({ counts, total }) => {
      let correct = 0;
      for (let i = 0; i < k; i++) correct += counts[i * k + i];
      return total === 0 ? Number.NaN : correct / total;
    }),
  ];
  const positive = positiveLabel === undefined ? -1 : labels.indexOf(positiveLabel);
  if (positiveLabel !== undefined) {
    const binaryRate = (metric: 'precision' | 'recall' | 'f1') => (s: ClassificationSummary) =>
      positive < 0 ? 0 : perClass(metric, positive, k, s.counts);
    definitions.push(
      quality('precision', binaryRate('precision')),
      quality('recall', binaryRate('recall')),
      quality('f1', binaryRate('f1')),
      quality('roc_auc', ({ binary }) => (binary ? rocAuc(binary.yTrue, binary.score ?? binary.yPred) : Number.NaN)),
      {
        name: 'ece',
        higherIsBetter: false,
        bootstrap: true,
        compute: (subset) => {
          const { binary } = summary(subset);
          return binary?.score ? calibrationError(binary.yTrue, binary.score) : Number.NaN;
        },
      },
    );
  }
  for (const metric of ['precision', 'recall', 'f1'] as const) {
    definitions.push(
      quality(`macro_${metric}`, (s) => mean(labels.map((_, index) => perClass(metric, index, k, s.counts)))),
    );
    labels.forEach((label, index) => {
      definitions.push(quality(`${metric}[${label}]`, (s) => perClass(metric, index, k, s.counts)));
    });
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
  const passed = checks.map((check) => passesCheck(check, text, expected));
  return { passed, length: text.length };
}

function passesCheck(check: TextCheck, text: string, expected: string | number | undefined): boolean {
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
