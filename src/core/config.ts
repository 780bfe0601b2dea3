import { z } from 'zod';
import { Severity } from './severity.js';
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

export class ConfigError extends Error {}

/** Loads a YAML or JSON config; errors name the file and the offending key. */
export function loadConfig(path: string): Promise<Config> {
  return loadYamlFile(path, Config, 'config file', (message) => new ConfigError(message));
}
