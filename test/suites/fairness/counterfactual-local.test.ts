import { describe, expect, it } from 'vitest';
import type { Report } from '../../../src/core/report.js';
import { tinyBertFolder } from '../../fixtures/tiny-bert.js';
import { runAssay, tempFolder } from '../../helpers.js';

describe('counterfactual probes through a local Transformers.js classifier', () => {
  it('runs every template and term offline and finds no disparity in a model that ignores the terms', async () => {
    const folder = await tempFolder({
      ...Object.fromEntries(Object.entries(tinyBertFolder()).map(([name, body]) => [`tiny-bert/${name}`, body])),
      'runner.yaml': 'kind: transformers\npath: tiny-bert\n',
    });
    const { code, stdout, stderr } = await runAssay(
      ['probe', '--runner-config', `${folder}/runner.yaml`, '--pack', 'counterfactual', '--format', 'json'],
      { ASSAY_HOME: folder },
    );
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const counterfactual = (JSON.parse(stdout) as Report).fairness?.counterfactual;
    expect(counterfactual?.runner.kind).toBe('transformers');
    expect(counterfactual?.errors).toBe(0);
    expect(counterfactual?.cases).toBeGreaterThan(300);
    expect(counterfactual?.pairs.every((pair) => pair.difference === 0 && !pair.significant)).toBe(true);
  });
});
