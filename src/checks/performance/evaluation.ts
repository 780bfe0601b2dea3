/**
 * Rules that judge an evaluation (the report's `evaluation` section): metrics below their threshold, significant
 * regressions against a baseline, cases the model failed on, edge cases that broke it and fragile outputs.
 */

import type { FindingDraft, Rule } from '../../core/rule.js';
import type { EvaluationSection, MetricResult } from '../../core/sections/evaluation.js';

export type EvaluationRule = Rule<EvaluationSection>;

const format = (value: number | null) => (value === null ? 'undefined' : Number(value.toPrecision(4)).toString());

/** The overall metrics and every slice's, each with where it was measured. */
function everyMetric(section: EvaluationSection): { metric: MetricResult; scope: string }[] {
  return [
    ...section.metrics.map((metric) => ({ metric, scope: 'all cases' })),
    ...section.slices.flatMap((slice) =>
      slice.metrics.map((metric) => ({ metric, scope: `slice ${slice.column}=${slice.value} (${slice.cases} cases)` })),
    ),
  ];
}

export const metricBelowThreshold: EvaluationRule = {
  meta: {
    id: 'performance/metric-threshold',
    pillar: 'performance',
    severity: 'high',
    title: 'Metric outside its threshold',
    description:
      'A metric measured on the evaluation data is below the minimum (or above the maximum) the suite or the ' +
      'command line set. The model does not do the job as well as it was required to on this workload.',
    remediation:
      'Look at the failed cases and slices in the evaluation section; retrain or choose another model, or revise ' +
      'the threshold if it was wrong (and say why in the suite).',
    references: [],
  },
  *check(section) {
    for (const { metric, scope } of everyMetric(section)) {
      const { threshold } = metric;
      if (!threshold) continue;
      const value = metric.value;
      const below = threshold.min !== undefined && (value === null || value < threshold.min);
      const above = threshold.max !== undefined && (value === null || value > threshold.max);
      if (!below && !above) continue;
      const bound = below ? `minimum ${threshold.min}` : `maximum ${threshold.max}`;
      yield {
        message: `${metric.name} is ${format(value)} on ${scope}, outside the ${bound}`,
        evidence: { metric: metric.name, value, threshold, interval: metric.interval, scope },
      } satisfies FindingDraft;
    }
  },
};

export const metricRegression: EvaluationRule = {
  meta: {
    id: 'performance/metric-regression',
    pillar: 'performance',
    severity: 'high',
    title: 'Metric regressed against the baseline',
    description:
      'A metric is worse than in the baseline run by more than the tolerance, and the bootstrap confidence interval ' +
      'of the new value lies entirely beyond the tolerated bound: the drop is not explained by sampling noise on ' +
      'these cases. (Latency metrics are not compared: they measure the machine as much as the model.)',
    remediation:
      'Compare the two runs case by case (the failures list the inputs); find what changed in the model, the ' +
      'runtime or the data before promoting this version.',
    references: [
      {
        kind: 'url',
        id: 'Efron & Tibshirani, An Introduction to the Bootstrap (percentile interval)',
        url: 'https://doi.org/10.1201/9780429246593',
      },
    ],
  },
  *check(section) {
    for (const metric of section.metrics) {
      const { baseline, interval, value } = metric;
      if (!baseline || baseline.value === null || value === null || !interval) continue;
      const bound = metric.higherIsBetter ? baseline.value - baseline.tolerance : baseline.value + baseline.tolerance;
      const regressed = metric.higherIsBetter ? interval.upper < bound : interval.lower > bound;
      if (!regressed) continue;
      yield {
        message:
          `${metric.name} fell from ${format(baseline.value)} to ${format(value)} ` +
          `(${Math.round(section.bootstrap.confidence * 100)}% interval ${format(interval.lower)}–${format(interval.upper)}, ` +
          `tolerance ${baseline.tolerance}) against ${section.baseline?.source ?? 'the baseline'}`,
        evidence: { metric: metric.name, value, interval, baseline },
      };
    }
  },
};

export const casesFailed: EvaluationRule = {
  meta: {
    id: 'performance/cases-failed',
    pillar: 'performance',
    severity: 'medium',
    title: 'Cases the model did not answer',
    description:
      'Some evaluation cases produced no usable output: a timeout, an HTTP error after retries, a malformed answer ' +
      'or a runtime error. Metrics are computed on the cases that did answer, so they may flatter the model.',
    remediation:
      'Read the failures in the evaluation section (each with its input) and fix the model, endpoint or data.',
    references: [],
  },
  *check(section) {
    const failed = section.failures.filter((failure) => !failure.id.includes('~') && !failure.id.startsWith('edge:'));
    if (section.cases.failed === 0) return;
    const kinds = [...new Set(failed.map((failure) => failure.kind))].join(', ');
    yield {
      message: `${section.cases.failed} of ${section.cases.total} cases failed (${kinds}); first: ${failed[0]?.id}: ${failed[0]?.message}`,
      evidence: { failed: section.cases.failed, total: section.cases.total, first: failed.slice(0, 5) },
    };
  },
};

export const edgeCaseFailures: EvaluationRule = {
  meta: {
    id: 'performance/edge-case-failure',
    pillar: 'performance',
    severity: 'medium',
    title: 'Model breaks on an edge case',
    description:
      'A generated edge case (empty or whitespace-only input, a very long input, emoji, right-to-left text, ' +
      'combining marks, control characters, NaN, infinities or float32 extremes) made the model fail or return ' +
      'non-finite values. Production traffic contains such inputs; the service should answer or refuse cleanly.',
    remediation: 'Validate and normalise inputs before the model, or make the serving stack return a clear error.',
    references: [{ kind: 'cwe', id: 'CWE-20', url: 'https://cwe.mitre.org/data/definitions/20.html' }],
  },
  *check(section) {
    for (const group of section.edgeCases) {
      if (group.errors === 0) continue;
      const failure = section.failures.find((item) => item.id === `edge:${group.name}`);
      yield {
        message: `edge case ${group.name}: ${failure?.message ?? 'the model failed'}`,
        evidence: { family: group.name, input: failure?.input, output: failure?.output },
      };
    }
  },
};

/** Share of perturbed cases whose output may change before robustness is a finding (Giskard's classifier default). */
export const ROBUSTNESS_TOLERANCE = 0.05;

export const fragileOutputs: EvaluationRule = {
  meta: {
    id: 'performance/robustness',
    pillar: 'performance',
    severity: 'low',
    title: 'Outputs change under harmless perturbations',
    description:
      `More than ${ROBUSTNESS_TOLERANCE * 100}% of outputs changed when inputs were perturbed in ways that should not matter ` +
      "(typos, casing, punctuation, whitespace; ±1% noise for numbers). The threshold follows Giskard's robustness " +
      'scan default for classifiers.',
    remediation: 'Augment training data with such variations, or normalise inputs before the model.',
    references: [
      {
        kind: 'url',
        id: 'Giskard robustness scan',
        url: 'https://docs.giskard.ai/en/stable/knowledge/key_vulnerabilities/robustness/index.html',
      },
    ],
  },
  *check(section) {
    for (const group of section.robustness) {
      if ((group.changedShare ?? 0) <= ROBUSTNESS_TOLERANCE) continue;
      yield {
        message: `${group.changed} of ${group.cases} outputs changed under ${group.name} perturbations`,
        evidence: { perturbation: group.name, changed: group.changed, cases: group.cases },
      };
    }
  },
};

export const EVALUATION_RULES: readonly EvaluationRule[] = [
  metricBelowThreshold,
  metricRegression,
  casesFailed,
  edgeCaseFailures,
  fragileOutputs,
];
