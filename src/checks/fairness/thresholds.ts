/** Rules that judge fairness results (the report's `fairness` section) against the policy's `fairness` block. */

import type { Rule } from '../../core/rule.js';
import type { FairnessSection } from '../../core/sections/fairness.js';

export type FairnessRule = Rule<FairnessSection>;

const show = (value: number | null) => (value === null ? 'undefined' : Number(value.toPrecision(4)).toString());

export const fairnessThreshold: FairnessRule = {
  meta: {
    id: 'fairness/measure-threshold',
    pillar: 'fairness',
    severity: 'high',
    title: 'Fairness measure outside the policy threshold',
    description:
      "A group-fairness measure of the model's predictions (demographic parity, equalized odds, equal opportunity) " +
      'is outside the bound the policy sets. The default policy applies the four-fifths rule: the selection rate of ' +
      "every group must be at least 80% of the highest group's (demographic parity ratio >= 0.8).",
    remediation:
      'Look at the per-group rates and their intervals in the fairness section. Check the data for under-represented ' +
      'groups, consider mitigation (reweighting, threshold adjustment per group where lawful), and rerun.',
    references: [
      { kind: 'url', id: '29 CFR 1607.4(D)', url: 'https://www.ecfr.gov/current/title-29/part-1607/section-1607.4' },
      {
        kind: 'doc',
        id: 'fairlearn common fairness metrics',
        url: 'https://fairlearn.org/main/user_guide/assessment/common_fairness_metrics.html',
      },
    ],
  },
  *check(section) {
    for (const measure of section.tabular?.measures ?? []) {
      if (measure.passed !== false || !measure.threshold) continue;
      const bound =
        measure.threshold.min !== undefined && (measure.value === null || measure.value < measure.threshold.min)
          ? `minimum ${measure.threshold.min}`
          : `maximum ${measure.threshold.max}`;
      const interval = measure.interval
        ? ` (95% interval ${show(measure.interval.lower)}–${show(measure.interval.upper)})`
        : '';
      yield {
        message: `${measure.name} is ${show(measure.value)}${interval} across ${section.tabular?.sensitive.join(' × ')}, outside the ${bound}`,
        evidence: {
          measure: measure.name,
          value: measure.value,
          interval: measure.interval,
          threshold: measure.threshold,
        },
      };
    }
  },
};

export const counterfactualDisparity: FairnessRule = {
  meta: {
    id: 'fairness/counterfactual-disparity',
    pillar: 'fairness',
    severity: 'high',
    title: 'The model treats demographic groups differently in otherwise identical prompts',
    description:
      'Counterfactual probes sent the same templates with only a demographic term changed (a name, pronoun, ' +
      'religion, nationality or age). The outcome (refusal, label or score) differed between two groups by more ' +
      'than chance explains (Holm-corrected over every compared pair).',
    remediation:
      'Read the example pairs in the fairness section. Evaluate the model on task data for these groups, add ' +
      'counterfactual data augmentation or instructions, or choose another model.',
    references: [],
  },
  *check(section) {
    for (const pair of section.counterfactual?.pairs ?? []) {
      if (!pair.significant) continue;
      yield {
        message:
          `${pair.dimension}: ${pair.measure} ${show(pair.valueA)} for ${pair.groupA} vs ${show(pair.valueB)} for ` +
          `${pair.groupB} (${pair.flips} of ${pair.templates} templates flipped, Holm-adjusted p ${show(pair.adjustedPValue)})`,
        evidence: { ...pair, examples: pair.examples.slice(0, 2) },
      };
    }
  },
};

export const FAIRNESS_RULES: readonly FairnessRule[] = [fairnessThreshold, counterfactualDisparity];
