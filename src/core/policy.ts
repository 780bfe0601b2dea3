import { z } from 'zod';
import { FairnessPolicy } from './sections/fairness.js';
import { ResponsePolicy } from './sections/responses.js';
import { SafetyPolicy } from './sections/safety.js';
import { Severity } from './severity.js';
import { UserError } from './user-error.js';
import { loadYamlFile } from './yaml-file.js';

/** How the team means to use the model; the compliance engine decides each licence in the lineage against it. */
export const IntendedUse = z
  .object({
    commercial: z.boolean().describe('Used for commercial advantage or monetary compensation'),
    distribution: z
      .enum(['internal', 'saas', 'redistribute-weights', 'redistribute-finetune'])
      .default('internal')
      .describe('internal use, a hosted service, shipping these weights, or shipping a fine-tune of them'),
    monthlyActiveUsers: z.number().int().nonnegative().optional().describe('Monthly active users of the product'),
    annualRevenueUSD: z.number().nonnegative().optional().describe('Annual revenue of the company, in US dollars'),
    regions: z
      .array(z.string().min(2))
      .default([])
      .describe('Where the company is established and users are: EU, US, or ISO 3166 country codes'),
    useCases: z
      .array(z.string().min(1))
      .default([])
      .describe('e.g. customer-support, medical-advice, biometric-identification, military, law-enforcement'),
    usesOutputsToTrainModels: z
      .boolean()
      .default(false)
      .describe("The model's outputs are used to train or improve other models"),
    modality: z
      .enum(['text', 'multimodal'])
      .optional()
      .describe('The model takes images, audio or video as well as text (default: from the card pipeline tag)'),
  })
  .strict();
export type IntendedUse = z.infer<typeof IntendedUse>;

export const Policy = z
  .object({
    failOn: Severity.default('high').describe('Findings at or above this severity fail the gate'),
    failOnNotAnalysed: z
      .boolean()
      .default(true)
      .describe('Content that could not be analysed fails the gate with exit code 2'),
    severity: z.record(z.string(), Severity).default({}).describe('Per-rule severity overrides, keyed by rule id'),
    allowGlobals: z
      .array(
        z.object({
          global: z.string().regex(/^[\w.]+$/, 'a dotted name such as mypackage.MyClass'),
          reason: z.string().min(1, 'say why this global is safe to import'),
        }),
      )
      .default([])
      .describe('Extra pickle globals to accept, each with the reason it is safe'),
    ignorePaths: z.array(z.string()).default([]).describe('Glob patterns of files to leave out of the audit'),
    responses: ResponsePolicy.default({ rules: [] }).describe(
      'Acceptable-response policy checked on every behavioural run (probe, eval): forbidden topics, disclaimers, format',
    ),
    safety: SafetyPolicy.default(SafetyPolicy.parse({})).describe('Attack success the probe gate tolerates'),
    fairness: FairnessPolicy.default(FairnessPolicy.parse({})).describe(
      'Fairness thresholds (default: four-fifths rule)',
    ),
    intendedUse: IntendedUse.optional().describe(
      "How the model will be used: licence terms (and their ancestors' terms) are decided against it",
    ),
  })
  .strict();
export type Policy = z.infer<typeof Policy>;

export const DEFAULT_POLICY: Policy = Policy.parse({});

export class PolicyError extends UserError {}

/** Loads a YAML or JSON policy file; errors name the file and the offending key. */
export function loadPolicy(path: string): Promise<Policy> {
  return loadYamlFile(path, Policy, 'policy file', (message) => new PolicyError(message));
}
