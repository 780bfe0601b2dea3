import { describe, expect, it } from 'vitest';
import { onnxRunner } from '../../src/runners/onnx.js';
import { logisticRegressionOnnx } from '../fixtures/onnx-builder.js';
import { tempFolder } from '../helpers.js';

const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));

describe('ONNX runner (onnxruntime-node)', () => {
  it('runs a logistic regression built in the test and returns each row’s probability', async () => {
    const folder = await tempFolder({ 'lr.onnx': logisticRegressionOnnx([2, -1], 0.5) });
    const runner = await onnxRunner({ path: `${folder}/lr.onnx`, settings: { batchSize: 2 } });
    const rows = [
      [1, 0],
      [0, 1],
      [-1, 2],
    ];
    const results = await runner.run(rows.map((values, i) => ({ id: `r${i}`, input: { kind: 'tensor', values } })));
    await runner.close();
    expect(results.map((result) => result.id)).toEqual(['r0', 'r1', 'r2']);
    results.forEach((result, i) => {
      expect(result.error).toBeUndefined();
      expect(result.output?.kind).toBe('scores');
      const [p] = result.output?.kind === 'scores' ? result.output.values : [];
      expect(p).toBeCloseTo(sigmoid(2 * rows[i][0] - rows[i][1] + 0.5), 6);
    });
    const description = runner.describe();
    expect(description.kind).toBe('onnx');
    expect(description.modelDigest).toMatch(/^[0-9a-f]{64}$/);
    expect(description.runtime).toMatch(/^onnxruntime-node \d/);
  });

  it('refuses rows of the wrong width and other input kinds per case, and keeps running the rest', async () => {
    const folder = await tempFolder({ 'lr.onnx': logisticRegressionOnnx([1, 1], 0) });
    const runner = await onnxRunner({ path: `${folder}/lr.onnx` });
    const results = await runner.run([
      { id: 'short', input: { kind: 'tensor', values: [1] } },
      { id: 'ok', input: { kind: 'tensor', values: [0, 0] } },
      { id: 'text', input: { kind: 'text', text: 'hello' } },
      { id: 'nan', input: { kind: 'tensor', values: [Number.NaN, 0] } },
    ]);
    await runner.close();
    expect(results[0].error).toMatchObject({ kind: 'input' });
    expect(results[0].error?.message).toContain('takes 2 values per row, this case has 1');
    expect(results[1].output).toEqual({ kind: 'scores', values: [0.5] });
    expect(results[2].error?.kind).toBe('input');
    expect(results[3].output?.kind === 'scores' && Number.isNaN(results[3].output.values[0])).toBe(true);
  });

  it('says which file could not be loaded', async () => {
    const folder = await tempFolder({ 'broken.onnx': 'not a model' });
    await expect(onnxRunner({ path: `${folder}/broken.onnx` })).rejects.toThrow(
      /broken\.onnx: onnxruntime could not load/,
    );
  });
});
