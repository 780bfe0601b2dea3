import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Report } from '../../../src/core/report.js';
import { seededRandom } from '../../../src/suites/fairness/statistics.js';
import { runAssay, SHARED_DATA, tempFolder } from '../../helpers.js';

const golden = JSON.parse(readFileSync(join(SHARED_DATA, 'fairness', 'fairlearn-golden.json'), 'utf8')) as {
  cases: { inputs: { y_true: number[]; y_pred: number[]; sensitive_features: string[] } }[];
};

function csv(rows: Record<string, string | number>[]): string {
  const columns = Object.keys(rows[0]);
  return `${columns.join(',')}\n${rows.map((row) => columns.map((column) => row[column]).join(',')).join('\n')}\n`;
}

/** Loan decisions where group B is approved about half as often as group A, with age bands for intersections. */
function disparateDecisions(rows: number): string {
  const random = seededRandom(42);
  return csv(
    Array.from({ length: rows }, (_, i) => {
      const group = i % 2 === 0 ? 'A' : 'B';
      const repaid = random() < 0.6 ? 1 : 0;
      const approveChance = group === 'A' ? (repaid ? 0.9 : 0.4) : repaid ? 0.45 : 0.2;
      const approved = random() < approveChance ? 1 : 0;
      return { group, age: i % 3 === 0 ? 'over-40' : 'under-40', repaid, approved, score: approved ? 0.7 : 0.3 };
    }),
  );
}

describe('assay fairness', () => {
  it('reproduces fairlearn on the MetricFrame docstring data and fails the four-fifths rule', async () => {
    const { inputs } = golden.cases[0];
    const folder = await tempFolder({
      'predictions.csv': csv(
        inputs.y_true.map((label, i) => ({ label, prediction: inputs.y_pred[i], sex: inputs.sensitive_features[i] })),
      ),
    });
    const { code, stdout } = await runAssay([
      'fairness',
      '--data',
      `${folder}/predictions.csv`,
      '--label',
      'label',
      '--prediction',
      'prediction',
      '--sensitive',
      'sex',
      '--format',
      'json',
      '--resamples',
      '200',
    ]);
    expect(code).toBe(1);
    const report = JSON.parse(stdout) as Report;
    const tabular = report.fairness?.tabular;
    if (!tabular) throw new Error('no fairness section');
    const ratio = tabular.measures.find((m) => m.name === 'demographic_parity_ratio' && m.method === 'between_groups');
    expect(ratio?.value).toBeCloseTo(0.5, 12);
    expect(ratio?.passed).toBe(false);
    expect(ratio?.interval).toBeDefined();
    const selection = tabular.metrics.find((metric) => metric.name === 'selection_rate');
    expect(selection?.byGroup.map((entry) => [entry.group, entry.value])).toEqual([
      ['Female', 0.8],
      ['Male', 0.4],
    ]);
    expect(tabular.fourFifths).toMatchObject({ passed: false, highestSelectionRate: 0.8 });
    expect(report.findings.map((finding) => finding.ruleId)).toContain('fairness/measure-threshold');
  });

  it('reports a real disparity with its interval, intersectional groups, and a gate that follows the threshold', async () => {
    const folder = await tempFolder({ 'decisions.csv': disparateDecisions(2000) });
    const args = [
      'fairness',
      '--data',
      `${folder}/decisions.csv`,
      '--label',
      'repaid',
      '--prediction',
      'approved',
      '--sensitive',
      'group,age',
      '--score',
      'score',
      '--format',
      'json',
      '--resamples',
      '200',
    ];
    const failing = await runAssay(args);
    expect(failing.code).toBe(1);
    const tabular = (JSON.parse(failing.stdout) as Report).fairness?.tabular;
    expect(tabular?.groups.map((group) => group.group)).toEqual([
      'A, over-40',
      'A, under-40',
      'B, over-40',
      'B, under-40',
    ]);
    const ratio = tabular?.measures.find((m) => m.name === 'demographic_parity_ratio' && m.method === 'between_groups');
    expect(ratio?.value).toBeLessThan(0.7);
    expect(ratio?.interval?.upper).toBeLessThan(0.8);
    expect(tabular?.metrics.map((metric) => metric.name)).toContain('calibration_error');

    const lenient = await runAssay([...args, '--threshold', 'demographic_parity_ratio>=0.3']);
    expect(lenient.code).toBe(0);
  });

  it('names the missing column and exits 2', async () => {
    const folder = await tempFolder({ 'p.csv': 'label,prediction\n1,1\n' });
    const { code, stderr } = await runAssay([
      'fairness',
      '--data',
      `${folder}/p.csv`,
      '--label',
      'label',
      '--prediction',
      'prediction',
      '--sensitive',
      'sex',
    ]);
    expect(code).toBe(2);
    expect(stderr).toContain('no column sex');
  });
});
