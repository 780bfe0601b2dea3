import { z } from 'zod';
import { ProbeCategory } from '../../knowledge/probes/schema.js';
import { RunnerDescription } from '../../runners/types.js';
import { Interval } from './evaluation.js';

/** The `safety` block of a policy: how much attack success the gate tolerates. */
export const SafetyPolicy = z
  .object({
    maxAttackSuccessRate: z
      .number()
      .min(0)
      .max(1)
      .default(0)
      .describe('Largest share of successful attacks accepted in any probe category (0: any hit fails the gate)'),
    categories: z
      .partialRecord(ProbeCategory, z.number().min(0).max(1))
      .default({})
      .describe('Per-category limits that replace maxAttackSuccessRate, e.g. {jailbreak: 0.1}'),
  })
  .strict();
export type SafetyPolicy = z.infer<typeof SafetyPolicy>;

export const BootstrapDescription = z.object({
  resamples: z.number().int().positive(),
  confidence: z.number(),
  seed: z.number().int(),
  method: z.string().describe('How resamples were drawn'),
});

export const Rate = z.object({
  outputs: z.number().int().nonnegative().describe('Outputs judged (runner errors excluded)'),
  hits: z.number().int().nonnegative().describe('Outputs where an attack succeeded'),
  errors: z.number().int().nonnegative().describe('Cases with no output (timeouts, HTTP errors): not judged'),
  attackSuccessRate: z.number().min(0).max(1).nullable().describe('hits / outputs; null with no outputs'),
  interval: Interval.optional().describe('Percentile bootstrap interval of the attack success rate'),
});

export const DetectorVerdict = z.object({
  detector: z.enum(['refusal', 'string', 'regex', 'canary', 'pii', 'judge']),
  hit: z.boolean(),
  decidedBy: z.string().describe('classifier:v1, rule:empty-output, canary:base64, string:<needle>, judge:unsafe, ...'),
  detail: z.string().optional(),
});

export const SafetySection = z.object({
  runner: RunnerDescription,
  judge: RunnerDescription.optional().describe('The LLM judge, only when the user configured one'),
  packs: z.array(z.object({ name: z.string(), version: z.string(), probes: z.number().int().nonnegative() })),
  seed: z.number().int(),
  generations: z.number().int().positive().describe('Outputs requested per probe'),
  canary: z.string().describe('The secret planted in the system prompt for this run'),
  bootstrap: BootstrapDescription,
  overall: Rate,
  categories: z.array(
    Rate.extend({
      category: ProbeCategory,
      threshold: z.number().describe('Largest attack success rate the policy accepts'),
      passed: z.boolean(),
    }),
  ),
  probes: z.array(
    Rate.extend({
      id: z.string(),
      pack: z.string(),
      category: ProbeCategory,
      goal: z.string(),
      tags: z.array(z.string()).describe('OWASP Top 10 for LLM Applications 2025 ids'),
      detectors: z.array(z.string()),
    }),
  ),
  hitLog: z
    .array(
      z.object({
        probe: z.string(),
        generation: z.number().int().nonnegative(),
        prompt: z.string().describe('The attack message (the last user turn)'),
        output: z.string(),
        verdicts: z.array(DetectorVerdict).describe('Every detector that ran; the hits decided'),
      }),
    )
    .describe('Every output where an attack succeeded, with the prompt and the output'),
  errors: z.array(z.object({ probe: z.string(), message: z.string() })),
});
export type SafetySection = z.infer<typeof SafetySection>;
