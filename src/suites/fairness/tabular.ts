import type { FairnessPolicy, TabularFairness } from '../../core/sections/fairness.js';
import { type Cell, readRecords, TabularError } from '../../formats/tabular/index.js';
import { hashFile } from '../../provenance/signing-digests.js';
import type { Runner } from '../../runners/types.js';
import { type Estimate, FAIRNESS_MEASURES, type FairnessMeasure, type Method, metricFrame } from './frame.js';
import type { MetricName } from './metrics.js';
import type { BootstrapSettings } from './statistics.js';

/** A model that makes the predictions: every row's feature values go through the runner (an ONNX classifier). */
export interface ModelPredictions {
  runner: Runner;
  /** Columns fed to the model, in this order. */
  features: readonly string[];
  /** Probability at or above which the prediction is positive. */
  decisionThreshold: number;
}

export interface TabularFairnessOptions {
  data: string;
  label: string;
  /** The prediction column; absent when `model` predicts. */
  prediction?: string;
  model?: ModelPredictions;
  sensitive: readonly string[];
  /** Column of positive-class scores in [0, 1]: adds ROC AUC and calibration error per group. */
  score?: string;
  /** Label/prediction value counted as positive; default 1 / true / yes / positive, else the largest value seen. */
  positiveLabel?: string;
  policy: FairnessPolicy;
  bootstrap: BootstrapSettings;
}

/** A column is missing, a required cell is empty, a score is not a number: says which column and row. */
export class FairnessDataError extends Error {}

const CLASSIFICATION_METRICS: readonly MetricName[] = [
  'count',
  'selection_rate',
  'accuracy',
  'true_positive_rate',
  'false_positive_rate',
  'precision',
  'f1',
];

const text = (cell: Cell) => (cell === null || typeof cell === 'object' ? undefined : String(cell));

const asEstimate = ({ value, ci }: Estimate) => ({
  value: Number.isFinite(value) ? value : null,
  ...(ci ? { interval: ci } : {}),
});

/** Reads a predictions table and computes group fairness with bootstrap intervals and the policy's verdicts. */
export async function tabularFairness(options: TabularFairnessOptions): Promise<TabularFairness> {
  const labels: string[] = [];
  const predictions: string[] = [];
  const scores: number[] = [];
  const sensitive: string[][] = options.sensitive.map(() => []);
  const featureRows: number[][] = [];
  const required = [
    options.label,
    ...(options.prediction ? [options.prediction] : []),
    ...(options.model?.features ?? []),
    ...options.sensitive,
    ...(options.score ? [options.score] : []),
  ];
  let row = 0;
  for await (const record of readRecords(options.data)) {
    row++;
    if (row === 1) {
      const missing = required.filter((column) => !(column in record));
      if (missing.length > 0) {
        throw new FairnessDataError(
          `${options.data}: no column ${missing.join(', ')} (columns: ${Object.keys(record).join(', ')})`,
        );
      }
    }
    const label = text(record[options.label]);
    const prediction = options.prediction ? text(record[options.prediction]) : '';
    if (label === undefined || prediction === undefined) {
      throw new FairnessDataError(
        `${options.data}, row ${row}: empty ${label === undefined ? options.label : options.prediction}; every row needs a label and a prediction`,
      );
    }
    labels.push(label);
    predictions.push(prediction);
    if (options.model) {
      featureRows.push(
        options.model.features.map((column) => {
          const value = Number(text(record[column]));
          if (!Number.isFinite(value)) {
            throw new FairnessDataError(`${options.data}, row ${row}: feature ${column} is not a number`);
          }
          return value;
        }),
      );
    }
    options.sensitive.forEach((column, i) => {
      sensitive[i].push(text(record[column]) ?? '(missing)');
    });
    if (options.score) {
      const score = Number(text(record[options.score]));
      if (!Number.isFinite(score)) {
        throw new FairnessDataError(`${options.data}, row ${row}: ${options.score} is not a number`);
      }
      scores.push(score);
    }
  }
  if (row === 0) throw new TabularError(options.data, undefined, 'no data rows');
  if (options.model) await predict(options.model, featureRows, predictions, scores);

  const seen = [...new Set(options.model ? labels : [...labels, ...predictions])].sort();
  const positiveLabel =
    options.positiveLabel ??
    seen.find((value) => /^(1|1\.0|true|yes|positive|pos)$/i.test(value)) ??
    seen.at(-1) ??
    '1';
  const yTrue = labels.map((value) => (value === positiveLabel ? 1 : 0));
  const yPred = predictions.map((value) => (value === MODEL_POSITIVE || value === positiveLabel ? 1 : 0));
  const metrics: MetricName[] = [
    ...CLASSIFICATION_METRICS,
    ...(options.score || options.model ? (['roc_auc', 'calibration_error'] as const) : []),
  ];
  const frame = metricFrame(
    { yTrue, yPred, score: scores.length > 0 ? scores : undefined, sensitive },
    metrics,
    options.bootstrap,
  );

  const measures = (Object.keys(FAIRNESS_MEASURES) as FairnessMeasure[]).flatMap((name) =>
    (['between_groups', 'to_overall'] as Method[]).map((method) => {
      const estimate = asEstimate(frame.measures[name][method]);
      const threshold = method === 'between_groups' ? options.policy.thresholds[name] : undefined;
      if (!threshold) return { name, method, ...estimate };
      const value = estimate.value;
      const passed =
        value !== null &&
        (threshold.min === undefined || value >= threshold.min) &&
        (threshold.max === undefined || value <= threshold.max);
      return { name, method, ...estimate, threshold, passed };
    }),
  );

  const selection = frame.metrics.selection_rate;
  const rates = frame.groups.map((group) => ({ group: group.key, rate: selection.byGroup[group.key].value }));
  const highest = Math.max(...rates.map(({ rate }) => rate));
  const groupsBelow = rates
    .filter(({ rate }) => highest > 0 && rate < 0.8 * highest)
    .map(({ group, rate }) => ({ group, selectionRate: rate, ratioToHighest: rate / highest }));

  return {
    data: { path: options.data, sha256: await hashFile(options.data), rows: row },
    label: options.label,
    prediction:
      options.prediction ??
      `${options.model?.runner.describe().model} (probability >= ${options.model?.decisionThreshold})`,
    ...(options.score ? { score: options.score } : {}),
    positiveLabel,
    sensitive: [...options.sensitive],
    groups: frame.groups.map((group) => ({ group: group.key, count: group.count })),
    metrics: metrics.map((name) => {
      const summary = frame.metrics[name];
      return {
        name,
        overall: asEstimate(summary.overall),
        byGroup: frame.groups.map((group) => ({ group: group.key, ...asEstimate(summary.byGroup[group.key]) })),
        groupMin: asEstimate(summary.groupMin),
        groupMax: asEstimate(summary.groupMax),
        differenceBetweenGroups: asEstimate(summary.difference.between_groups),
        differenceToOverall: asEstimate(summary.difference.to_overall),
        ratioBetweenGroups: asEstimate(summary.ratio.between_groups),
        ratioToOverall: asEstimate(summary.ratio.to_overall),
      };
    }),
    measures,
    fourFifths: {
      passed: groupsBelow.length === 0,
      highestSelectionRate: Number.isFinite(highest) ? highest : null,
      groupsBelow,
    },
    bootstrap: {
      ...options.bootstrap,
      method: 'percentile; rows resampled with replacement within each group (group sizes fixed)',
    },
  };
}

/** Marks a row the model predicted positive (labels are compared as text; this never collides with one). */
const MODEL_POSITIVE = '\u0000model-positive';

/** Runs the model on every row; a row the model failed on is an error, not a silent negative. */
async function predict(model: ModelPredictions, rows: number[][], predictions: string[], scores: number[]) {
  const results = await model.runner.run(
    rows.map((values, i) => ({ id: String(i + 1), input: { kind: 'tensor', values } })),
  );
  results.forEach((result, i) => {
    const probability = result.output?.kind === 'scores' ? result.output.values.at(-1) : undefined;
    if (probability === undefined || !Number.isFinite(probability)) {
      throw new FairnessDataError(
        `row ${i + 1}: the model gave no probability (${result.error?.message ?? 'no scores'})`,
      );
    }
    predictions[i] = probability >= model.decisionThreshold ? MODEL_POSITIVE : '';
    scores[i] = probability;
  });
}
