import { describe, expect, it } from 'vitest';
import { decode } from '../../src/suites/evaluate.js';
import { checkText, latencyMetrics, metricsFor, type ScoredCase, type TextCheck } from '../../src/suites/metrics.js';
import { perturbations } from '../../src/suites/robustness.js';

const values = (cases: ScoredCase[], kind: Parameters<typeof metricsFor>[0]) =>
  Object.fromEntries(metricsFor(kind, cases).map((metric) => [metric.name, metric.compute(cases)]));

describe('metrics', () => {
  it('regression: MAE, RMSE and R² by hand', () => {
    const cases: ScoredCase[] = [
      { expected: 3, predicted: 2.5, latencyMs: 1 },
      { expected: -0.5, predicted: 0, latencyMs: 1 },
      { expected: 2, predicted: 2, latencyMs: 1 },
      { expected: 7, predicted: 8, latencyMs: 1 },
    ];
    const result = values(cases, { kind: 'regression' });
    // scikit-learn's documented example: MAE 0.5, MSE 0.375, R² 0.9486081370449679.
    expect(result.mae).toBeCloseTo(0.5, 12);
    expect(result.rmse).toBeCloseTo(Math.sqrt(0.375), 12);
    expect(result.r2).toBeCloseTo(0.9486081370449679, 12);
  });

  it('text: exact match, contains, regex, JSON validity and length', () => {
    const checks: TextCheck[] = [
      { kind: 'exact_match' },
      { kind: 'contains' },
      { kind: 'regex', pattern: '^[A-Z]' },
      { kind: 'json_valid' },
      { kind: 'length' },
    ];
    const cases: ScoredCase[] = [
      ['Paris', 'Paris'],
      ['Paris', 'It is paris.'],
      ['{"a":1}', '{"a": 1}'],
      ['x', 'not json'],
    ].map(([expected, text]) => ({ expected, ...checkText(checks, text, expected), latencyMs: 1 }));
    const result = values(cases, { kind: 'text', checks });
    expect(result).toEqual({
      exact_match: 1 / 4,
      contains: 2 / 4,
      'regex[^[A-Z]]': 2 / 4,
      json_valid: 1 / 4,
      length: (5 + 12 + 8 + 8) / 4,
    });
  });

  it('latency percentiles interpolate like numpy', () => {
    const cases = [10, 20, 30, 40, 50].map((latencyMs) => ({ latencyMs }));
    const [p50, p95, p99] = latencyMetrics().map((metric) => metric.compute(cases));
    expect([p50, p95, p99]).toEqual([30, 48, 49.6]);
  });

  it('multi-class: argmax over labelled scores, per-class and macro metrics', () => {
    const decoded = decode(
      { kind: 'scores', values: [0.1, 0.7, 0.2] },
      { labels: ['cat', 'dog', 'eel'], threshold: 0.5 },
      {
        kind: 'classification',
      },
    );
    expect(decoded).toEqual({ predicted: 'dog', score: undefined });
    const cases: ScoredCase[] = [
      { expected: 'cat', predicted: 'cat', latencyMs: 0 },
      { expected: 'cat', predicted: 'dog', latencyMs: 0 },
      { expected: 'dog', predicted: 'dog', latencyMs: 0 },
      { expected: 'eel', predicted: 'eel', latencyMs: 0 },
    ];
    const result = values(cases, { kind: 'classification' });
    expect(result.accuracy).toBe(3 / 4);
    expect(result['recall[cat]']).toBe(1 / 2);
    expect(result['precision[dog]']).toBe(1 / 2);
    // F1: cat 2/3, dog 2/3, eel 1.
    expect(result.macro_f1).toBeCloseTo((2 / 3 + 2 / 3 + 1) / 3, 12);
  });
});

describe('robustness perturbations', () => {
  it('are the same for the same seed and change the text', () => {
    const input = { kind: 'text' as const, text: 'The service was wonderful, thank you!' };
    const first = perturbations(input, 42);
    expect(perturbations(input, 42)).toEqual(first);
    expect(first.map((variant) => variant.name)).toEqual(['typos', 'casing', 'punctuation', 'whitespace']);
    for (const variant of first) expect(variant.input).not.toEqual(input);
  });
});
