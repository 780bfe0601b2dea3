import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Report } from '../../../src/core/report.js';
import { seededRandom } from '../../../src/suites/fairness/statistics.js';
import { trainLogisticRegression } from '../../fixtures/logistic-regression.js';
import { logisticRegressionOnnx } from '../../fixtures/onnx-builder.js';
import { PROJECT_ROOT, runAssay, tempFolder } from '../../helpers.js';

const FEATURES = ['Beak Length (mm)', 'Beak Depth (mm)', 'Flipper Length (mm)'] as const;
type Penguin = Record<(typeof FEATURES)[number] | 'Body Mass (g)', number | null> & { Sex: string | null };

/**
 * The Palmer penguins (Gorman, Williams and Fraser 2014, as shipped by the vega-datasets package): 344 real
 * measurements with the bird's sex. Rows without a recorded sex (null or ".") or measurement are left out: 333 remain.
 */
async function penguins() {
  // The package's exports map leaves its data files out, so they are read by path.
  const path = join(PROJECT_ROOT, 'node_modules', 'vega-datasets', 'data', 'penguins.json');
  const rows = JSON.parse(await readFile(path, 'utf8')) as Penguin[];
  return rows.flatMap((row) => {
    const values = [...FEATURES, 'Body Mass (g)' as const].map((column) => row[column]);
    if ((row.Sex !== 'MALE' && row.Sex !== 'FEMALE') || values.some((value) => value === null)) return [];
    return [{ features: values.slice(0, 3) as number[], mass: values[3] as number, sex: row.Sex.toLowerCase() }];
  });
}

/**
 * The target: is the bird heavier than the median (4,050 g)? Chosen because it is a decision made from body
 * measurements with a real, known link to the sensitive attribute: penguins are sexually dimorphic, 65% of the males
 * and 35% of the females are above the median. A model trained on beak and flipper size (sex is not a feature)
 * learns that link through them, as a credit model learns it through proxies. Predicting the species instead
 * would find no disparity to report: each species is an equal share of both sexes (Adelie: 44% of the females,
 * 43% of the males).
 */
describe('assay fairness on real data: a classifier trained on the Palmer penguins, sex as the sensitive attribute', () => {
  it('reports the selection-rate disparity with its bootstrap interval and fails the four-fifths rule', async () => {
    const birds = await penguins();
    expect(birds.length).toBe(333);
    const masses = birds.map((bird) => bird.mass).sort((a, b) => a - b);
    const median = masses[Math.floor(masses.length / 2)];
    // A seeded shuffle, then half to train and half to audit.
    const random = seededRandom(42);
    const shuffled = birds
      .map((bird) => ({ bird, key: random() }))
      .sort((a, b) => a.key - b.key)
      .map(({ bird }) => bird);
    const train = shuffled.slice(0, Math.floor(shuffled.length / 2));
    const audit = shuffled.slice(train.length);

    // Standardise on the training half, train, then fold the scaling into the weights so the ONNX model takes the
    // raw measurements in millimetres.
    const means = FEATURES.map((_, j) => train.reduce((sum, bird) => sum + bird.features[j], 0) / train.length);
    const deviations = FEATURES.map((_, j) =>
      Math.sqrt(train.reduce((sum, bird) => sum + (bird.features[j] - means[j]) ** 2, 0) / train.length),
    );
    const model = trainLogisticRegression(
      train.map((bird) => bird.features.map((value, j) => (value - means[j]) / deviations[j])),
      train.map((bird) => (bird.mass > median ? 1 : 0)),
    );
    const weights = model.weights.map((weight, j) => weight / deviations[j]);
    const bias = model.bias - model.weights.reduce((sum, weight, j) => sum + (weight * means[j]) / deviations[j], 0);

    const header = ['beak_length_mm', 'beak_depth_mm', 'flipper_length_mm', 'sex', 'heavy'];
    const csv = [
      header.join(','),
      ...audit.map((bird) => [...bird.features, bird.sex, bird.mass > median ? 1 : 0].join(',')),
    ].join('\n');
    const folder = await tempFolder({
      'heavy.onnx': logisticRegressionOnnx(weights, bias),
      'penguins.csv': `${csv}\n`,
    });
    const { code, stdout, stderr } = await runAssay([
      'fairness',
      '--data',
      `${folder}/penguins.csv`,
      '--label',
      'heavy',
      '--sensitive',
      'sex',
      '--model',
      `${folder}/heavy.onnx`,
      '--format',
      'json',
    ]);
    expect(stderr).toBe('');
    const report = JSON.parse(stdout) as Report;
    const tabular = report.fairness?.tabular;
    if (!tabular) throw new Error('no fairness section');
    // Measured with seed 42: 167 audited birds, accuracy 0.86; 38% of the females and 51% of the males predicted
    // heavy, a selection-rate ratio of 0.74 (95% bootstrap interval about 0.51 to 0.98): the model passes on less of
    // the dimorphism than the labels carry (ratio 0.54 in the whole table), and the point estimate fails the four-fifths rule
    // although the interval reaches above 0.8 on so small a sample.
    expect(code).toBe(1);
    const rates = tabular.metrics.find((metric) => metric.name === 'selection_rate')?.byGroup;
    const rateOf = (group: string) => rates?.find((entry) => entry.group === group)?.value ?? Number.NaN;
    expect(rateOf('female')).toBeLessThan(rateOf('male'));
    const ratio = tabular.measures.find((m) => m.name === 'demographic_parity_ratio' && m.method === 'between_groups');
    if (!ratio?.interval) throw new Error('no demographic parity ratio with an interval');
    expect(ratio.value).toBeCloseTo(rateOf('female') / rateOf('male'), 12);
    expect(ratio.value).toBeLessThan(0.8);
    expect(ratio.passed).toBe(false);
    expect(ratio.interval.lower).toBeLessThan(ratio.value ?? Number.NaN);
    expect(ratio.interval.upper).toBeGreaterThan(ratio.value ?? Number.NaN);
    expect(tabular.fourFifths.groupsBelow.map((entry) => entry.group)).toEqual(['female']);
    const accuracy = tabular.metrics.find((metric) => metric.name === 'accuracy')?.overall.value;
    expect(accuracy).toBeGreaterThan(0.8);
    expect(report.findings.find((finding) => finding.ruleId === 'fairness/measure-threshold')?.message).toContain(
      'demographic_parity_ratio',
    );
  });
});
