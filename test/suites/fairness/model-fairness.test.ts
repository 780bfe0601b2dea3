import { describe, expect, it } from 'vitest';
import type { Report } from '../../../src/core/report.js';
import { seededRandom } from '../../../src/suites/fairness/statistics.js';
import { trainLogisticRegression } from '../../fixtures/logistic-regression.js';
import { logisticRegressionOnnx } from '../../fixtures/onnx-builder.js';
import { runAssay, tempFolder } from '../../helpers.js';

/**
 * Historical lending decisions where group B was approved less often at the same income, and where the
 * neighbourhood feature is a proxy for the group. A model trained on them learns the disparity through the proxy.
 */
function lendingHistory(rows: number) {
  const random = seededRandom(7);
  return Array.from({ length: rows }, () => {
    const group = random() < 0.5 ? 'A' : 'B';
    const income = random() * 2 - 1;
    const neighbourhood = (group === 'A' ? 0.6 : -0.6) + (random() - 0.5) * 0.6;
    const approved = income + (group === 'A' ? 0.5 : -0.5) + (random() - 0.5) > 0 ? 1 : 0;
    return { income, neighbourhood, group, approved };
  });
}

describe('assay fairness --model: a classifier trained in the test carries the disparity of its data', () => {
  it('reports the disparity with its interval and fails the four-fifths rule', async () => {
    const train = lendingHistory(1500);
    const model = trainLogisticRegression(
      train.map((row) => [row.income, row.neighbourhood]),
      train.map((row) => row.approved),
    );
    const audit = lendingHistory(1200).slice(600);
    const csv = `income,neighbourhood,group,approved\n${audit
      .map((row) => `${row.income},${row.neighbourhood},${row.group},${row.approved}`)
      .join('\n')}\n`;
    const folder = await tempFolder({
      'model.onnx': logisticRegressionOnnx(model.weights, model.bias),
      'applicants.csv': csv,
    });
    const { code, stdout, stderr } = await runAssay([
      'fairness',
      '--data',
      `${folder}/applicants.csv`,
      '--label',
      'approved',
      '--sensitive',
      'group',
      '--model',
      `${folder}/model.onnx`,
      '--format',
      'json',
      '--resamples',
      '300',
    ]);
    expect(stderr).toBe('');
    expect(code).toBe(1);
    const report = JSON.parse(stdout) as Report;
    const tabular = report.fairness?.tabular;
    if (!tabular) throw new Error('no fairness section');
    const ratio = tabular.measures.find((m) => m.name === 'demographic_parity_ratio' && m.method === 'between_groups');
    expect(ratio?.passed).toBe(false);
    expect(ratio?.value).toBeLessThan(0.8);
    expect(ratio?.interval?.upper).toBeLessThan(0.8);
    expect(tabular.fourFifths.groupsBelow.map((entry) => entry.group)).toEqual(['B']);
    expect(tabular.metrics.map((metric) => metric.name)).toEqual(
      expect.arrayContaining(['roc_auc', 'calibration_error']),
    );
    expect(report.findings.find((finding) => finding.ruleId === 'fairness/measure-threshold')?.message).toContain(
      'demographic_parity_ratio',
    );
  });
});
