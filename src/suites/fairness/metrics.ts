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

function rocAuc({ yTrue, yPred, score }: Outcomes): number {
  const ranked = score ?? yPred;
  // Mann–Whitney U with mid-ranks for ties: the probability a positive outranks a negative.
  const order = ranked.map((value, index) => ({ value, index })).sort((a, b) => a.value - b.value);
  const ranks = new Array<number>(order.length);
  for (let start = 0; start < order.length; ) {
    let end = start;
    while (end + 1 < order.length && order[end + 1].value === order[start].value) end++;
    for (let k = start; k <= end; k++) ranks[order[k].index] = (start + end) / 2 + 1;
    start = end + 1;
  }
  let positives = 0;
  let rankSum = 0;
  for (let i = 0; i < yTrue.length; i++) {
    if (yTrue[i] === 1) {
      positives++;
      rankSum += ranks[i];
    }
  }
  const negatives = yTrue.length - positives;
  if (positives === 0 || negatives === 0) return Number.NaN;
  return (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}

function meanOf(values: readonly number[]): number {
  return values.reduce((total, value) => total + value, 0) / values.length;
}

const residuals = ({ yTrue, yPred }: Outcomes) => yTrue.map((value, i) => value - yPred[i]);

/** Expected calibration error over 10 equal-width score bins (HELM's `ece_10_bin`). NaN without a score. */
function expectedCalibrationError({ yTrue, score }: Outcomes): number {
  if (!score || score.length === 0) return Number.NaN;
  const bins = Array.from({ length: 10 }, () => ({ count: 0, labels: 0, scores: 0 }));
  score.forEach((value, i) => {
    const bin = bins[Math.min(9, Math.max(0, Math.floor(value * 10)))];
    bin.count++;
    bin.labels += yTrue[i];
    bin.scores += value;
  });
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
  roc_auc: rocAuc,
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
  calibration_error: expectedCalibrationError,
};

export type MetricName = keyof typeof METRICS;

export function isMetricName(name: string): name is MetricName {
  return Object.hasOwn(METRICS, name);
}
