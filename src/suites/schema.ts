import { z } from 'zod';
import { RunnerKind, RunnerSettingsOverrides } from '../runners/types.js';

const Bound = z
  .object({ min: z.number().optional(), max: z.number().optional() })
  .refine((bound) => bound.min !== undefined || bound.max !== undefined, 'give min, max or both');

export const ModelSpec = z
  .object({
    kind: RunnerKind.describe(
      'Which runner: a local ONNX file, a local Transformers.js folder, a sentiment word list, or an HTTP endpoint',
    ),
    path: z
      .string()
      .optional()
      .describe(
        'onnx / transformers: the model file or folder; lexicon: a JSON word-to-score file (default AFINN-165); relative to the suite file',
      ),
    task: z.string().optional().describe('transformers: the pipeline task (default text-classification)'),
    url: z.string().url().optional().describe('HTTP runners: the base URL (OpenAI, Ollama) or the full URL (http)'),
    model: z.string().optional().describe('HTTP runners: the model name the endpoint serves'),
    apiKeyEnv: z
      .string()
      .optional()
      .describe('openai-*: the environment variable holding the API key (the key itself never goes in a suite)'),
    temperature: z.number().optional(),
    maxTokens: z.number().int().positive().optional(),
    request: z
      .unknown()
      .optional()
      .describe('http: the JSON body with {{text}}, {{messages}}, {{values}} placeholders'),
    outputPath: z.string().optional().describe('http: JSON path to the output in the answer, e.g. $.output[0]'),
    headers: z.record(z.string(), z.string()).optional().describe('http: extra request headers'),
    contextLimit: z.number().int().positive().optional().describe('Longest input the model takes (characters)'),
    settings: RunnerSettingsOverrides.optional(),
  })
  .strict();
export type ModelSpec = z.infer<typeof ModelSpec>;

export const TextCheckSpec = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('exact_match') }),
  z.object({ kind: z.literal('contains'), value: z.string().optional().describe('Default: the expected column') }),
  z.object({ kind: z.literal('regex'), pattern: z.string() }),
  z.object({ kind: z.literal('json_valid') }),
  z.object({ kind: z.literal('length') }),
]);

export const Suite = z
  .object({
    name: z.string().min(1),
    description: z.string().optional(),
    model: ModelSpec.optional().describe('May be left out when the command line gives --model'),
    dataset: z
      .object({
        path: z.string().describe('CSV, JSONL or Parquet, relative to the suite file'),
        format: z.enum(['csv', 'jsonl', 'parquet']).optional(),
        limit: z.number().int().positive().optional().describe('Use only the first rows'),
      })
      .strict(),
    input: z
      .object({
        kind: z.enum(['tensor', 'text', 'chat']),
        columns: z
          .array(z.string())
          .optional()
          .describe('tensor: feature columns in model order (default: every column except expected, id and slices)'),
        column: z.string().optional().describe('text / chat: the column holding the prompt'),
        template: z.string().optional().describe('text / chat: wraps the column value, e.g. "Review: {{text}}"'),
        system: z.string().optional().describe('chat: a system message sent first'),
      })
      .strict(),
    expected: z.object({ column: z.string() }).strict().optional(),
    id: z.string().optional().describe('Column with a stable case id (default: the row number)'),
    task: z.enum(['classification', 'regression', 'text']),
    labels: z
      .array(z.string())
      .optional()
      .describe('classification: class names in output order, for models that output one score per class'),
    positiveLabel: z
      .string()
      .optional()
      .describe('binary classification: the class a single probability output stands for'),
    decisionThreshold: z.number().min(0).max(1).default(0.5),
    checks: z
      .array(TextCheckSpec)
      .default([{ kind: 'exact_match' }])
      .describe('text: checks on each output'),
    metrics: z
      .record(z.string(), Bound)
      .default({})
      .describe('Threshold per metric name (accuracy, f1, roc_auc, mae, latency_p95_ms, ...)'),
    slices: z.array(z.string()).default([]).describe('Columns to break every metric down by'),
    baseline: z
      .object({
        tolerance: z
          .union([z.number().nonnegative(), z.record(z.string(), z.number().nonnegative())])
          .default(0)
          .describe('Absolute drop accepted before a significant drop is a regression (one number or per metric)'),
      })
      .strict()
      .default({ tolerance: 0 }),
    bootstrap: z
      .object({
        resamples: z.number().int().positive().default(1000),
        confidence: z.number().gt(0).lt(1).default(0.95),
        seed: z.number().int().default(20260101),
      })
      .strict()
      .default({ resamples: 1000, confidence: 0.95, seed: 20260101 }),
    probes: z
      .object({
        edgeCases: z.boolean().default(true),
        robustness: z.boolean().default(true),
        robustnessSample: z.number().int().nonnegative().default(50).describe('Dataset cases to perturb'),
        longLength: z.number().int().positive().default(100_000).describe('Characters of the very-long edge case'),
      })
      .strict()
      .default({ edgeCases: true, robustness: true, robustnessSample: 50, longLength: 100_000 }),
  })
  .strict();
export type Suite = z.infer<typeof Suite>;
