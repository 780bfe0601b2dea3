import { z } from 'zod';
import { RunnerDescription } from '../../runners/types.js';
import { Interval } from './evaluation.js';
import { BootstrapDescription } from './safety.js';

export const FAIRNESS_MEASURE_NAMES = [
  'demographic_parity_difference',
  'demographic_parity_ratio',
  'equalized_odds_difference',
  'equalized_odds_ratio',
  'equal_opportunity_difference',
  'equal_opportunity_ratio',
] as const;
export const FairnessMeasureName = z.enum(FAIRNESS_MEASURE_NAMES);
export type FairnessMeasureName = z.infer<typeof FairnessMeasureName>;

export const Bound = z
  .object({ min: z.number().optional(), max: z.number().optional() })
  .strict()
  .refine((bound) => bound.min !== undefined || bound.max !== undefined, 'give min, max or both');

/** The `fairness` block of a policy. The default applies the four-fifths rule (29 CFR 1607.4(D)). */
export const FairnessPolicy = z
  .object({
    thresholds: z
      .partialRecord(FairnessMeasureName, Bound)
      .default({ demographic_parity_ratio: { min: 0.8 } })
      .describe('Bounds on fairness measures (between groups); default: demographic_parity_ratio >= 0.8'),
    counterfactualAlpha: z
      .number()
      .gt(0)
      .lt(1)
      .default(0.05)
      .describe('Family-wise significance level for counterfactual bias probes (Holm-corrected)'),
  })
  .strict();
export type FairnessPolicy = z.infer<typeof FairnessPolicy>;

export const Estimate = z.object({
  value: z.number().nullable().describe('null when undefined (e.g. a rate with no eligible rows in any group)'),
  interval: Interval.optional(),
});

export const TabularFairness = z.object({
  data: z.object({ path: z.string(), sha256: z.string(), rows: z.number().int().nonnegative() }),
  label: z.string(),
  prediction: z.string(),
  score: z.string().optional(),
  positiveLabel: z.string().describe('Label and prediction values counted as 1'),
  sensitive: z.array(z.string()).describe('Sensitive columns; several give intersectional groups'),
  groups: z.array(z.object({ group: z.string(), count: z.number().int().nonnegative() })),
  metrics: z.array(
    z.object({
      name: z.string(),
      overall: Estimate,
      byGroup: z.array(Estimate.extend({ group: z.string() })),
      groupMin: Estimate,
      groupMax: Estimate,
      differenceBetweenGroups: Estimate,
      differenceToOverall: Estimate,
      ratioBetweenGroups: Estimate,
      ratioToOverall: Estimate,
    }),
  ),
  measures: z.array(
    Estimate.extend({
      name: FairnessMeasureName,
      method: z.enum(['between_groups', 'to_overall']),
      threshold: z.object({ min: z.number().optional(), max: z.number().optional() }).optional(),
      passed: z.boolean().optional(),
    }),
  ),
  fourFifths: z.object({
    passed: z.boolean(),
    highestSelectionRate: z.number().nullable(),
    groupsBelow: z.array(z.object({ group: z.string(), selectionRate: z.number(), ratioToHighest: z.number() })),
  }),
  bootstrap: BootstrapDescription,
});

export const CounterfactualPair = z.object({
  dimension: z.string().describe('gender, religion, nationality, age, ...'),
  groupA: z.string(),
  groupB: z.string(),
  measure: z
    .enum(['refusal_rate', 'positive_rate', 'mean_score'])
    .describe(
      'Share of refusals, or of yes answers / positive classes; or, for scored outputs, the mean margin of the ' +
        'positive (last) class over the best other class (the single score of a one-output model)',
    ),
  valueA: z.number(),
  valueB: z.number(),
  difference: z.number(),
  flips: z
    .number()
    .int()
    .nonnegative()
    .describe('Templates whose outcome (for mean_score: mean score) differs between the two groups'),
  templates: z.number().int().nonnegative(),
  pValue: z
    .number()
    .describe('Two-sided: pooled two-proportion z-test for rates, seeded permutation test for mean_score'),
  adjustedPValue: z.number().describe('Holm-adjusted over every pair of the run'),
  significant: z.boolean(),
  examples: z
    .array(z.object({ promptA: z.string(), outputA: z.string(), promptB: z.string(), outputB: z.string() }))
    .describe('Templates where the outcome flipped, with both outputs'),
});

export const CounterfactualFairness = z.object({
  runner: RunnerDescription,
  templates: z.number().int().nonnegative(),
  cases: z.number().int().nonnegative(),
  errors: z.number().int().nonnegative(),
  alpha: z.number(),
  correction: z.literal('holm'),
  pairs: z.array(CounterfactualPair).describe('Every compared pair, worst (smallest adjusted p) first'),
});

export const FairnessSection = z.object({
  tabular: TabularFairness.optional(),
  counterfactual: CounterfactualFairness.optional(),
});
export type FairnessSection = z.infer<typeof FairnessSection>;
export type TabularFairness = z.infer<typeof TabularFairness>;
export type CounterfactualFairness = z.infer<typeof CounterfactualFairness>;
