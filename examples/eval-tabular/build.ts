/**
 * Regenerates this example: `npx tsx examples/eval-tabular/build.ts`. A logistic-regression model in ONNX over three
 * features, and 200 rows of synthetic data (seeded) whose labels come from a slightly different logistic law, so the
 * model is good but not perfect. Both files are committed; this script documents how they were made.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { seededRandom } from '../../src/suites/fairness/statistics.js';
import { logisticRegressionOnnx } from '../../test/fixtures/onnx-builder.js';

const folder = import.meta.dirname;
writeFileSync(join(folder, 'model.onnx'), logisticRegressionOnnx([1.5, -2, 0.75], -0.25));

const random = seededRandom(7);
const normal = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
const lines = ['income,debt_ratio,tenure_years,label'];
for (let row = 0; row < 200; row++) {
  const income = normal();
  const debt = normal();
  const tenure = normal();
  const truth = 1.3 * income - 1.8 * debt + 0.9 * tenure + 0.1;
  const label = random() < 1 / (1 + Math.exp(-truth)) ? 1 : 0;
  lines.push(`${[income, debt, tenure].map((value) => value.toFixed(3)).join(',')},${label}`);
}
writeFileSync(join(folder, 'data.csv'), `${lines.join('\n')}\n`);
