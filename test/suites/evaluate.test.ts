import { describe, expect, it } from 'vitest';
import { onnxRunner } from '../../src/runners/onnx.js';
import { type EvalCase, evaluate } from '../../src/suites/evaluate.js';
import { logisticRegressionOnnx } from '../fixtures/onnx-builder.js';
import { tempFolder } from '../helpers.js';

const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));

// Logits 3, 2, 1, 0.5 | -0.5, -1, -2, -3 (the model is p = sigmoid(x1 - x2)); at threshold 0.5 the first four are
// predicted positive. Labels make TP = 3 (rows 0, 1, 3), FP = 1 (row 2), FN = 1 (row 4), TN = 3.
const logits = [3, 2, 1, 0.5, -0.5, -1, -2, -3];
const labels = [1, 1, 0, 1, 1, 0, 0, 0];
const groups = ['a', 'a', 'a', 'a', 'b', 'b', 'b', 'b'];

async function run(bootstrapSeed = 1) {
  const folder = await tempFolder({ 'lr.onnx': logisticRegressionOnnx([1, -1], 0) });
  const runner = await onnxRunner({ path: `${folder}/lr.onnx` });
  const cases: EvalCase[] = logits.map((z, i) => ({
    id: `row-${i + 1}`,
    input: { kind: 'tensor', values: [z, 0] },
    expected: String(labels[i]),
    slices: { group: groups[i] },
  }));
  try {
    return await evaluate({
      suite: { name: 'hand-computed' },
      datasets: [],
      runner,
      cases,
      task: { kind: 'classification', positiveLabel: '1' },
      decoding: { positiveLabel: '1', negativeLabel: '0', threshold: 0.5 },
      thresholds: { accuracy: { min: 0.9 } },
      sliceColumns: ['group'],
      bootstrap: { resamples: 200, confidence: 0.95, seed: bootstrapSeed },
    });
  } finally {
    await runner.close();
  }
}

describe('evaluate: an ONNX logistic regression through onnxruntime, metrics against hand-computed values', () => {
  it('computes accuracy, precision, recall, F1, ROC AUC, ECE and the confusion matrix', async () => {
    const section = await run();
    const value = (name: string) => section.metrics.find((metric) => metric.name === name)?.value;
    expect(value('accuracy')).toBeCloseTo(6 / 8, 12);
    expect(value('precision')).toBeCloseTo(3 / 4, 12);
    expect(value('recall')).toBeCloseTo(3 / 4, 12);
    expect(value('f1')).toBeCloseTo(3 / 4, 12);
    // 16 positive–negative pairs; the positive scores sigmoid(0.5) and sigmoid(-0.5) lose to sigmoid(1) only.
    expect(value('roc_auc')).toBeCloseTo(14 / 16, 12);
    // One case per 10%-wide bin, so ECE is the mean |label - p| (float32 model output: 6 digits).
    const ece = logits.reduce((total, z, i) => total + Math.abs(labels[i] - sigmoid(z)), 0) / 8;
    expect(value('ece')).toBeCloseTo(ece, 6);
    expect(value('precision[0]')).toBeCloseTo(3 / 4, 12);
    expect(value('macro_f1')).toBeCloseTo(3 / 4, 12);
    expect(section.confusionMatrix).toEqual({
      labels: ['0', '1'],
      counts: [
        [3, 1],
        [1, 3],
      ],
    });
    expect(section.cases).toEqual({ total: 8, succeeded: 8, failed: 0, cached: 0 });
    const accuracy = section.metrics.find((metric) => metric.name === 'accuracy');
    expect(accuracy?.threshold).toEqual({ min: 0.9 });
    expect(accuracy?.interval?.lower).toBeLessThanOrEqual(0.75);
    expect(accuracy?.interval?.upper).toBeGreaterThanOrEqual(0.75);
  });

  it('breaks metrics down by slice', async () => {
    const section = await run();
    const accuracy = (group: string) =>
      section.slices.find((slice) => slice.value === group)?.metrics.find((metric) => metric.name === 'accuracy')
        ?.value;
    // Group a: rows 0–3 predicted 1, labels 1 1 0 1 → 3/4. Group b: predicted 0, labels 1 0 0 0 → 3/4.
    expect(accuracy('a')).toBeCloseTo(3 / 4, 12);
    expect(accuracy('b')).toBeCloseTo(3 / 4, 12);
  });

  it('gives the same intervals for the same seed', async () => {
    const [first, second] = [await run(7), await run(7)];
    expect(first.metrics.map((metric) => metric.interval)).toEqual(second.metrics.map((metric) => metric.interval));
  });

  it('probes tensor edge cases and records each failure with its input', async () => {
    const section = await run();
    const family = (name: string) => section.edgeCases.find((group) => group.name === name);
    expect(family('nan')).toMatchObject({ errors: 1 });
    expect(family('missing-column')).toMatchObject({ errors: 0, refused: 1 });
    expect(family('zeros')).toMatchObject({ errors: 0, refused: 0 });
    const nan = section.failures.find((failure) => failure.id === 'edge:nan');
    expect(nan?.message).toContain('non-finite');
    expect(nan?.input).toEqual({ kind: 'tensor', values: [Number.NaN, 0] });
    expect(section.robustness).toEqual([{ name: 'noise-1pct', cases: 8, errors: 0, changed: 0, changedShare: 0 }]);
  });
});
