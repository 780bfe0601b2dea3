import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  difference,
  evaluate,
  type FairnessMeasure,
  fairnessMeasure,
  groupMax,
  groupMin,
  groupRows,
  type Method,
  metricFrame,
  ratio,
} from '../../../src/suites/fairness/frame.js';
import type { MetricName } from '../../../src/suites/fairness/metrics.js';
import { SHARED_DATA } from '../../helpers.js';

interface GoldenCase {
  name: string;
  inputs: { y_true: number[]; y_pred: number[]; sensitive_features: (string | number)[] };
  documented: Record<string, unknown>;
  documented_via_identity: Record<string, unknown>;
  derived: Record<string, unknown>;
}

const golden = JSON.parse(readFileSync(join(SHARED_DATA, 'fairness', 'fairlearn-golden.json'), 'utf8')) as {
  cases: GoldenCase[];
};

// fairlearn's names → Assay's metric names.
const METRIC_ALIASES: Record<string, MetricName> = {
  selection_rate: 'selection_rate',
  sel: 'selection_rate',
  true_positive_rate: 'true_positive_rate',
  tpr: 'true_positive_rate',
  recall_score: 'recall',
  false_positive_rate: 'false_positive_rate',
  fpr: 'false_positive_rate',
  true_negative_rate: 'true_negative_rate',
  false_negative_rate: 'false_negative_rate',
  accuracy: 'accuracy',
  accuracy_score: 'accuracy',
  zero_one_loss: 'zero_one_loss',
  balanced_accuracy_score: 'balanced_accuracy',
  precision_score: 'precision',
  roc_auc_score: 'roc_auc',
  mean_absolute_error: 'mean_absolute_error',
  mean_squared_error: 'mean_squared_error',
  r2_score: 'r2',
  f1_score: 'f1',
  count: 'count',
};
const MEASURES = new Set<string>([
  'demographic_parity_difference',
  'demographic_parity_ratio',
  'equalized_odds_difference',
  'equalized_odds_ratio',
  'equal_opportunity_difference',
  'equal_opportunity_ratio',
]);

/** Turns a golden key such as `accuracy_score_group_min` or `equalized_odds_ratio` into the value Assay computes. */
function computed(testCase: GoldenCase, key: string, method: Method = 'between_groups'): number {
  const outcomes = {
    yTrue: testCase.inputs.y_true,
    yPred: testCase.inputs.y_pred,
    sensitive: [testCase.inputs.sensitive_features.map(String)],
  };
  const groups = groupRows(outcomes.sensitive);
  const values = (metric: MetricName) => evaluate(metric, outcomes, groups);
  if (MEASURES.has(key)) {
    const needed = ['selection_rate', 'true_positive_rate', 'false_positive_rate'] as const;
    return fairnessMeasure(
      key as FairnessMeasure,
      Object.fromEntries(needed.map((metric) => [metric, values(metric)])),
      method,
    );
  }
  const match = /^(.*)_(difference|ratio|group_min|group_max)$/.exec(key);
  if (!match) throw new Error(`no rule for golden key ${key}`);
  const metric = METRIC_ALIASES[match[1]];
  if (!metric) throw new Error(`no metric for golden key ${key}`);
  const metricValues = values(metric);
  switch (match[2]) {
    case 'difference':
      return difference(metricValues, method);
    case 'ratio':
      return ratio(metricValues, method);
    case 'group_min':
      return groupMin(metricValues);
    default:
      return groupMax(metricValues);
  }
}

function expectClose(actual: number, expected: number, tolerance: number, what: string) {
  expect(Math.abs(actual - expected), `${what}: ${actual} vs ${expected}`).toBeLessThanOrEqual(tolerance);
}

/** Every numeric leaf of a golden block, with the path that names it. */
function* leaves(block: unknown, path: string[] = []): Generator<[string[], unknown]> {
  if (block && typeof block === 'object' && !Array.isArray(block)) {
    const record = block as Record<string, unknown>;
    if ('value' in record || 'expected' in record) {
      yield [path, record];
      return;
    }
    for (const [key, value] of Object.entries(record)) if (!key.startsWith('_')) yield* leaves(value, [...path, key]);
  } else {
    yield [path, block];
  }
}

describe('fairness metrics reproduce fairlearn', () => {
  for (const testCase of golden.cases) {
    describe(testCase.name, () => {
      const sensitive = [testCase.inputs.sensitive_features.map(String)];
      const frame = metricFrame({ yTrue: testCase.inputs.y_true, yPred: testCase.inputs.y_pred, sensitive }, [
        'selection_rate',
        'true_positive_rate',
        'false_positive_rate',
        'accuracy',
        'count',
        'recall',
      ]);

      it('matches every documented, identity and derived value', () => {
        let checked = 0;
        for (const provenance of ['documented', 'documented_via_identity', 'derived'] as const) {
          for (const [path, leaf] of leaves(testCase[provenance])) {
            const what = `${testCase.name} ${provenance} ${path.join('.')}`;
            if (path[0] === 'metricframe') {
              // The doc-printed MetricFrame, rounded to 6 decimals.
              const [, block, groupOrMetric, maybeMetric] = path;
              const metric = METRIC_ALIASES[maybeMetric ?? groupOrMetric];
              const summary = frame.metrics[metric === 'recall' ? 'true_positive_rate' : metric];
              const actual =
                block === 'overall'
                  ? summary.overall.value
                  : block === 'by_group'
                    ? summary.byGroup[groupOrMetric].value
                    : block === 'group_min'
                      ? summary.groupMin.value
                      : block === 'group_max'
                        ? summary.groupMax.value
                        : block.startsWith('difference')
                          ? summary.difference[block.endsWith('overall') ? 'to_overall' : 'between_groups'].value
                          : summary.ratio[block.endsWith('overall') ? 'to_overall' : 'between_groups'].value;
              expectClose(actual, leaf as number, 5e-7, what);
            } else if (path[0] === 'overall' || path[0] === 'by_group') {
              const metric = METRIC_ALIASES[path.at(-1) as string];
              const summary = frame.metrics[metric];
              const actual = path[0] === 'overall' ? summary.overall.value : summary.byGroup[path[1]].value;
              // null in the golden file: fairlearn's 0 for an empty denominator, which the caveat explains.
              expectClose(actual, (leaf as number | null) ?? 0, 1e-12, what);
            } else if (path[0].endsWith('_by_group')) {
              const metric = METRIC_ALIASES[path[0].replace(/_by_group$/, '')];
              expectClose(frame.metrics[metric].byGroup[path[1]].value, leaf as number, 1e-12, what);
            } else if (path[0] === 'to_overall') {
              expectClose(computed(testCase, path[1], 'to_overall'), leaf as number, 1e-12, what);
            } else {
              const joined = path.join('_');
              const toOverall = joined.endsWith('_to_overall');
              const key = joined.replace(/_to_overall$/, '');
              const entry = leaf as number | { value?: number; expected?: number; method?: Method | null };
              if (typeof entry === 'number') {
                const tolerance = provenance === 'derived' ? 1e-12 : key.includes('_ratio') ? 5e-7 : 1e-6;
                expectClose(
                  computed(testCase, key, toOverall ? 'to_overall' : 'between_groups'),
                  entry,
                  tolerance,
                  what,
                );
              } else {
                const expected = (entry.value ?? entry.expected) as number;
                expectClose(computed(testCase, key, entry.method ?? 'between_groups'), expected, 1e-6, what);
              }
            }
            checked++;
          }
        }
        expect(checked).toBeGreaterThanOrEqual(20);
      });
    });
  }
});

describe('bootstrap intervals', () => {
  const testCase = golden.cases[1];
  const input = {
    yTrue: testCase.inputs.y_true,
    yPred: testCase.inputs.y_pred,
    sensitive: [testCase.inputs.sensitive_features.map(String)],
  };
  const settings = { resamples: 500, confidence: 0.95, seed: 7 };

  it('bracket the point value and are reproducible with the same seed', () => {
    const first = metricFrame(input, ['selection_rate'], settings);
    const again = metricFrame(input, ['selection_rate'], settings);
    expect(again).toEqual(first);
    const parity = first.measures.demographic_parity_difference.between_groups;
    expect(parity.ci).toBeDefined();
    expect(parity.ci?.lower).toBeLessThanOrEqual(parity.value);
    expect(parity.ci?.upper).toBeGreaterThanOrEqual(parity.value);
    expect(first.metrics.selection_rate.byGroup.a.ci).toBeDefined();
  });

  it('changes with another seed', () => {
    const other = metricFrame(input, ['selection_rate'], { ...settings, seed: 8 });
    const first = metricFrame(input, ['selection_rate'], settings);
    expect(other).not.toEqual(first);
  });
});
