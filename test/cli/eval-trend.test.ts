import { copyFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { logisticRegressionOnnx } from '../fixtures/onnx-builder.js';
import { PROJECT_ROOT, runAssay, tempFolder } from '../helpers.js';

const EXAMPLE = join(PROJECT_ROOT, 'examples', 'eval-tabular');

describe('assay history --trend over recorded assay eval runs', () => {
  it('shows one accuracy point per recorded run, oldest first', async () => {
    const folder = await tempFolder({});
    const home = join(folder, 'home');
    const model = join(folder, 'model.onnx');
    const data = join(EXAMPLE, 'data.csv');
    const evaluate = () =>
      runAssay(['eval', '--model', model, '--data', data, '--label', 'label', '--no-probes', '--record', '--quiet'], {
        ASSAY_HOME: home,
      });
    await copyFile(join(EXAMPLE, 'model.onnx'), model);
    expect((await evaluate()).code).toBe(0);
    // The same file, retrained badly: the second point is lower.
    await writeFile(model, logisticRegressionOnnx([0.3, -0.2, 1.5], 1));
    expect((await evaluate()).code).toBe(0);

    const json = await runAssay(['history', model, '--trend', '--metric', 'accuracy', '--format', 'json'], {
      ASSAY_HOME: home,
    });
    expect(json.code).toBe(0);
    const trend = JSON.parse(json.stdout) as { metrics: Record<string, { value: number }[]> };
    const points = trend.metrics.accuracy.map((point) => point.value);
    expect(points).toHaveLength(2);
    expect(points[1]).toBeLessThan(points[0]);

    const text = await runAssay(['history', model, '--trend', '--metric', 'accuracy'], { ASSAY_HOME: home });
    expect(text.stdout).toMatch(/^accuracy\s+0\.\d+\s+0\.\d+\s+0\.\d+\s+2\s+\S{2}$/m);
  }, 240_000);
});
