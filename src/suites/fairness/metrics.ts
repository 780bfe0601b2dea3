/**
 * Per-sample metrics for a binary classifier, with fairlearn's conventions (which are scikit-learn's): labels and
 * predictions are 0/1, a rate whose denominator is empty is 0 (sklearn's `zero_division` default, which fairlearn
 * inherits), and `roc_auc` ranks the score when one is given, else the hard prediction.
 */

/** The rows of one group (or of everyone): true label, prediction, and optionally a score in [0, 1]. */
export interface Outcomes {
  yTrue: readonly number[];
  yPred: readonly number[];
  score?: readonly number[];
}

export type Metric = (outcomes: Outcomes) => number;

interface Confusion {
  tp: number;
  fp: number;
  tn: number;
  fn: number;
}

function confusion({ yTrue, yPred }: Outcomes): Confusion {
  const counts = { tp: 0, fp: 0, tn: 0, fn: 0 };
  for (let i = 0; i < yTrue.length; i++) {
    if (yPred[i] === 1) yTrue[i] === 1 ? counts.tp++ : counts.fp++;
    else yTrue[i] === 1 ? counts.fn++ : counts.tn++;
  }
  return counts;
}

const share = (part: number, whole: number) => (whole === 0 ? 0 : part / whole);

/** Sort space reused between calls: a bootstrap computes ROC AUC a thousand times over the same number of rows. */
let scratch = new Float64Array(0);

/** ROC AUC of `ranked` (a score, or the hard prediction) against 0/1 labels; typed arrays welcome. */
export function rocAuc(yTrue: ArrayLike<number>, ranked: ArrayLike<number>): number {
  let positives = 0;
  for (let i = 0; i < yTrue.length; i++) if (yTrue[i] === 1) positives++;
  const negatives = yTrue.length - positives;
  if (positives === 0 || negatives === 0) return Number.NaN;
  // Mann–Whitney U: the probability a positive outranks a negative, ties counting half (as mid-ranks do). Both
  // classes' scores sorted once (native numeric sort), then one merge walk: O(n log n) without per-row objects.
  if (scratch.length < yTrue.length) scratch = new Float64Array(yTrue.length);
  const positive = scratch.subarray(0, positives);
  const negative = scratch.subarray(positives, yTrue.length);
  for (let i = 0, p = 0, n = 0; i < yTrue.length; i++) {
    if (yTrue[i] === 1) positive[p++] = ranked[i];
    else negative[n++] = ranked[i];
  }
  positive.sort();
  negative.sort();
  let below = 0;
  let notAbove = 0;
  let wins = 0;
  for (const value of positive) {
    while (below < negatives && negative[below] < value) below++;
    while (notAbove < negatives && negative[notAbove] <= value) notAbove++;
    wins += below + (notAbove - below) / 2;
  }
  return wins / (positives * negatives);
}

function meanOf(values: readonly number[]): number {
  return values.reduce((total, value) => total + value, 0) / values.length;
}

const residuals = ({ yTrue, yPred }: Outcomes) => yTrue.map((value, i) => value - yPred[i]);

/** Expected calibration error over 10 equal-width score bins (HELM's `ece_10_bin`); typed arrays welcome. */
export function calibrationError(yTrue: ArrayLike<number>, score: ArrayLike<number>): number {
  if (score.length === 0) return Number.NaN;
  const bins = Array.from({ length: 10 }, () => ({ count: 0, labels: 0, scores: 0 }));
  for (let i = 0; i < score.length; i++) {
    const value = score[i];
    const bin = bins[Math.min(9, Math.max(0, Math.floor(value * 10)))];
    bin.count++;
    bin.labels += yTrue[i];
    bin.scores += value;
  }
  return bins.reduce(
    (total, bin) =>
      bin.count === 0
        ? total
        : total + (bin.count / score.length) * Math.abs(bin.labels / bin.count - bin.scores / bin.count),
    0,
  );
}

/** Every metric `assay fairness` can break down by group, keyed by the name used in reports and policies. */
export const METRICS: Readonly<Record<string, Metric>> = {
  count: ({ yTrue }) => yTrue.length,
  selection_rate: ({ yPred }) => share(yPred.filter((value) => value === 1).length, yPred.length),
  true_positive_rate: (outcomes) => {
    const { tp, fn } = confusion(outcomes);
    return share(tp, tp + fn);
  },
  false_positive_rate: (outcomes) => {
    const { fp, tn } = confusion(outcomes);
    return share(fp, fp + tn);
  },
  true_negative_rate: (outcomes) => {
    const { fp, tn } = confusion(outcomes);
    return share(tn, fp + tn);
  },
  false_negative_rate: (outcomes) => {
    const { tp, fn } = confusion(outcomes);
    return share(fn, tp + fn);
  },
  accuracy: (outcomes) => {
    const { tp, tn } = confusion(outcomes);
    return share(tp + tn, outcomes.yTrue.length);
  },
  zero_one_loss: (outcomes) => 1 - METRICS.accuracy(outcomes),
  precision: (outcomes) => {
    const { tp, fp } = confusion(outcomes);
    return share(tp, tp + fp);
  },
  recall: (outcomes) => METRICS.true_positive_rate(outcomes),
  f1: (outcomes) => {
    const { tp, fp, fn } = confusion(outcomes);
    return share(2 * tp, 2 * tp + fp + fn);
  },
  balanced_accuracy: (outcomes) => (METRICS.true_positive_rate(outcomes) + METRICS.true_negative_rate(outcomes)) / 2,
  roc_auc: ({ yTrue, yPred, score }) => rocAuc(yTrue, score ?? yPred),
  mean_absolute_error: (outcomes) => meanOf(residuals(outcomes).map(Math.abs)),
  mean_squared_error: (outcomes) => meanOf(residuals(outcomes).map((value) => value * value)),
  r2: (outcomes) => {
    const mean = meanOf(outcomes.yTrue);
    const total = outcomes.yTrue.reduce((sum, value) => sum + (value - mean) ** 2, 0);
    const residual = residuals(outcomes).reduce((sum, value) => sum + value * value, 0);
    // scikit-learn's force_finite: a constant target scores 1 when predicted exactly, else 0.
    if (total === 0) return residual === 0 ? 1 : 0;
    return 1 - residual / total;
  },
  // NaN without a score.
  calibration_error: ({ yTrue, score }) => (score ? calibrationError(yTrue, score) : Number.NaN),
};

export type MetricName = keyof typeof METRICS;

export function isMetricName(name: string): name is MetricName {
  return Object.hasOwn(METRICS, name);
}
