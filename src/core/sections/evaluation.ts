import { z } from 'zod';
import { RunErrorKind, RunnerDescription } from '../../runners/types.js';
import { Suite } from '../../suites/schema.js';

export const Interval = z.object({ lower: z.number(), upper: z.number() });

export const MetricResult = z.object({
  name: z.string().describe('e.g. accuracy, f1, precision[cat], macro_f1, roc_auc, mae, latency_p95_ms'),
  value: z.number().nullable().describe('null when undefined on these cases (e.g. ROC AUC with a single class)'),
  higherIsBetter: z.boolean(),
  interval: Interval.optional().describe('Percentile bootstrap interval over cases (see `bootstrap`)'),
  threshold: z
    .object({ min: z.number().optional(), max: z.number().optional() })
    .optional()
    .describe('The bound the suite or command line set for this metric'),
  baseline: z
    .object({
      value: z.number().nullable(),
      interval: Interval.optional(),
      tolerance: z.number().nonnegative().describe('Absolute drop accepted before it counts as a regression'),
    })
    .optional()
    .describe('The same metric in the baseline report'),
});
export type MetricResult = z.infer<typeof MetricResult>;

export const CaseFailure = z.object({
  id: z.string(),
  kind: z.union([RunErrorKind, z.enum(['mismatch', 'changed'])]),
  message: z.string(),
  input: z.unknown().describe('The input as sent (truncated to 2,000 characters of JSON)'),
  output: z.unknown().optional(),
});
export type CaseFailure = z.infer<typeof CaseFailure>;

export const ProbeGroup = z.object({
  name: z.string().describe('Edge-case family (empty, unicode-rtl, nan, ...) or perturbation (typos, casing, ...)'),
  cases: z.number().int().nonnegative(),
  errors: z.number().int().nonnegative().describe('Cases the model failed on (error, no output, non-finite scores)'),
  refused: z
    .number()
    .int()
    .nonnegative()
    .optional()
    .describe('Edge cases the runner rejected before the model saw them (e.g. a row of the wrong width)'),
  changed: z
    .number()
    .int()
    .nonnegative()
    .optional()
    .describe('Robustness only: cases whose output differs from the unperturbed output'),
  changedShare: z.number().min(0).max(1).optional(),
});
export type ProbeGroup = z.infer<typeof ProbeGroup>;

export const EvaluationSection = z.object({
  suite: z
    .object({
      name: z.string(),
      path: z.string().optional(),
      sha256: z.string().optional(),
      asRun: Suite.optional().describe(
        'The suite as run (command-line overrides applied, absolute paths, request headers left out): what `assay rerun` repeats',
      ),
    })
    .describe('The suite file, or the short form `assay eval --model --data --label`'),
  task: z.enum(['classification', 'regression', 'text']),
  runner: RunnerDescription,
  datasets: z.array(z.object({ path: z.string(), sha256: z.string(), rows: z.number().int().nonnegative() })),
  cases: z.object({
    total: z.number().int().nonnegative(),
    succeeded: z.number().int().nonnegative(),
    failed: z.number().int().nonnegative(),
    cached: z.number().int().nonnegative(),
    resumed: z
      .number()
      .int()
      .nonnegative()
      .optional()
      .describe('Answered by an earlier, interrupted run of the same cases (assay eval --resume)'),
  }),
  throughput: z
    .number()
    .nonnegative()
    .describe('Cases run per second over this run (wall time; resumed cases left out)'),
  tokens: z.object({ prompt: z.number().int(), completion: z.number().int() }).optional(),
  metrics: z.array(MetricResult),
  confusionMatrix: z
    .object({ labels: z.array(z.string()), counts: z.array(z.array(z.number().int().nonnegative())) })
    .optional()
    .describe('Rows: expected label; columns: predicted label'),
  slices: z.array(
    z.object({
      column: z.string(),
      value: z.string(),
      cases: z.number().int().nonnegative(),
      metrics: z.array(MetricResult),
    }),
  ),
  edgeCases: z.array(ProbeGroup).describe('Generated hostile inputs, per family'),
  robustness: z
    .array(ProbeGroup)
    .describe('Seeded perturbations of dataset inputs and the share of outputs that changed'),
  failures: z.array(CaseFailure).describe('Every failed case with its input, up to `failuresOmitted` more'),
  failuresOmitted: z.number().int().nonnegative(),
  bootstrap: z.object({
    resamples: z.number().int().positive(),
    confidence: z.number(),
    seed: z.number().int(),
  }),
  baseline: z.object({ source: z.string(), startedAt: z.string().optional() }).optional(),
  environment: z.object({ node: z.string(), platform: z.string() }),
});
export type EvaluationSection = z.infer<typeof EvaluationSection>;
