import { z } from 'zod';
import { DriftMethodName } from './sections/drift.js';
import { Severity } from './severity.js';
import { UserError } from './user-error.js';
import { loadYamlFile } from './yaml-file.js';

/**
 * The project configuration `assay serve` and `assay init` work from: which models to keep auditing, on what
 * schedule, against which policy and suites, and where alerts go. Commands run once (`assay audit`) need none.
 */
export const ModelConfig = z
  .object({
    name: z.string().min(1).describe('How the model is named in history, the gate and alerts'),
    target: z.string().min(1).describe('A folder, a file, or hf://org/name@revision'),
    policy: z.string().optional().describe('Policy file for this model (default: the top-level policy)'),
    schedule: z.string().optional().describe('Cron expression for re-audits, e.g. "0 3 * * *" (UTC)'),
    suites: z.array(z.string()).default([]).describe('Evaluation suite files run with each scheduled audit'),
  })
  .strict();

/** A live drift monitor: production rows posted to `assay serve` compared with a stored baseline profile. */
export const MonitorConfig = z
  .object({
    name: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/, 'letters, digits, ".", "_" and "-", at most 200')
      .describe('Names the monitor in the API (/api/monitors/<name>), alerts and the dashboard'),
    model: z.string().min(1).max(512).describe('The model whose traffic this is'),
    baseline: z
      .string()
      .min(1)
      .describe('A profile saved in the store: assay drift --reference R --save-baseline <name>'),
    features: z.array(z.string().min(1)).min(1).describe('Input columns whose drift is watched'),
    prediction: z.string().optional().describe("The model's output column (its drift is watched too)"),
    label: z.string().optional().describe('The true outcome, when known; with prediction it gives the metrics'),
    id: z.string().optional().describe('Row id column: a later row with the same id (e.g. its label) merges in'),
    window: z
      .object({
        rows: z.number().int().min(1).max(100_000).default(1000).describe('The latest rows kept and compared'),
        minutes: z.number().positive().optional().describe('Only rows received within this many minutes'),
      })
      .strict()
      .default({ rows: 1000 }),
    minRows: z.number().int().min(1).default(30).describe('No verdict while the window holds fewer rows'),
    test: DriftMethodName.optional().describe("Test for every column (default: Evidently's choice per column)"),
    tests: z.record(z.string(), DriftMethodName).optional().describe('Test per column'),
    threshold: z.number().optional().describe("Threshold for every column (default: the test's own)"),
    thresholds: z.record(z.string(), z.number()).optional(),
    driftShare: z.number().min(0).max(1).optional().describe('Dataset drift at this share of drifted columns (0.5)'),
    correction: z.enum(['none', 'bonferroni', 'bh']).optional().describe('Multiple-testing correction of p-values'),
    metrics: z
      .object({
        task: z.enum(['classification', 'regression']),
        positiveLabel: z.string().optional().describe('Binary classification: adds precision, recall, f1'),
        baseline: z
          .record(z.string(), z.number())
          .describe('Expected values, e.g. from assay eval: {"accuracy": 0.91}'),
        tolerance: z
          .number()
          .min(0)
          .default(0.2)
          .describe("Regression when worse than the baseline by more than this share of it (Evidently's 0.2)"),
        minLabels: z.number().int().min(1).default(30).describe('No metric on fewer labelled rows'),
      })
      .strict()
      .optional(),
    schedule: z.string().optional().describe('Cron expression: evaluate on this schedule instead of on every batch'),
  })
  .strict();
export type MonitorConfig = z.infer<typeof MonitorConfig>;

export const WebhookConfig = z
  .object({
    url: z.url().describe('Where alerts are POSTed'),
    kind: z
      .enum(['json', 'slack'])
      .default('json')
      .describe('json: signed Assay payload; slack: Slack-compatible text'),
    secretEnv: z
      .string()
      .optional()
      .describe('Environment variable holding the HMAC-SHA256 key that signs json payloads (never the key itself)'),
  })
  .strict();

export const Config = z
  .object({
    $schema: z.string().optional(),
    policy: z.string().optional().describe('Default policy file for every model'),
    failOn: Severity.optional(),
    models: z.array(ModelConfig).default([]),
    monitors: z.array(MonitorConfig).default([]),
    alerts: z
      .object({
        webhooks: z.array(WebhookConfig).default([]),
        cooldownMinutes: z
          .number()
          .nonnegative()
          .default(60)
          .describe('The same alert for the same model is not repeated within this many minutes'),
      })
      .strict()
      .default({ webhooks: [], cooldownMinutes: 60 }),
  })
  .strict();
export type Config = z.infer<typeof Config>;

export class ConfigError extends UserError {}

/** Loads a YAML or JSON config; errors name the file and the offending key. */
export function loadConfig(path: string): Promise<Config> {
  return loadYamlFile(path, Config, 'config file', (message) => new ConfigError(message));
}
