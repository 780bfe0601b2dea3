/**
 * The `drift` report section (`assay drift`): per column the test used, its statistic and p-value or distance, the
 * threshold and comparison, every parameter that determines the number, and the binned distributions for charts;
 * then dataset drift as the share of drifted columns against a threshold.
 */
import { z } from 'zod';
import { DRIFT_METHOD_NAMES } from '../../monitor/methods.js';

export const DriftMethodName = z.enum(DRIFT_METHOD_NAMES as [string, ...string[]]);

const DriftSide = z.object({
  source: z.string().describe('File or stored profile the side was read from'),
  kind: z.enum(['data', 'profile']).describe('Raw rows, or a stored profile (sketches, no raw data)'),
  format: z.string().describe('csv, jsonl, parquet, or profile'),
  rows: z.number().int().nonnegative(),
});

const ColumnCounts = z.object({
  rows: z.number().int().nonnegative(),
  nulls: z.number().int().nonnegative().describe('Missing values (null, NA tokens, NaN, ±inf), excluded from tests'),
});

export const DriftColumn = z.object({
  column: z.string(),
  type: z.enum(['numeric', 'datetime', 'boolean', 'categorical', 'text', 'empty']),
  reference: ColumnCounts,
  current: ColumnCounts,
  tested: z.boolean(),
  skipped: z.string().optional().describe('Why the column was not tested'),
  method: DriftMethodName.optional(),
  chosenBy: z.enum(['default', 'column', 'all-columns']).optional().describe('Evidently default or an override'),
  kind: z.enum(['p-value', 'distance']).optional(),
  statistic: z
    .number()
    .nullable()
    .optional()
    .describe('null when infinite (e.g. a category absent from the reference)'),
  pValue: z.number().optional(),
  threshold: z.number().optional(),
  comparison: z.enum(['<', '<=', '>=', '>']).optional().describe('Drift when score <comparison> threshold'),
  drifted: z.boolean().optional(),
  uniqueValues: z.number().int().nonnegative().optional().describe('Distinct values of reference ∪ current'),
  parameters: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
  approximate: z
    .boolean()
    .optional()
    .describe('The reference came from a sketch; the statistic is within parameters.rankError of the exact one'),
  distribution: z
    .object({
      rule: z.enum(['sturges', 'per-value']),
      labels: z.array(z.string()),
      reference: z.array(z.number()).describe('Share of reference rows per bin'),
      current: z.array(z.number()),
    })
    .optional(),
  warnings: z.array(z.string()).optional(),
});
export type DriftColumn = z.infer<typeof DriftColumn>;

export const DriftSection = z.object({
  reference: DriftSide,
  current: DriftSide,
  columns: z.array(DriftColumn),
  correction: z
    .object({
      method: z.enum(['none', 'bonferroni', 'bh']),
      alpha: z.number(),
      threshold: z.number().describe('p-values are compared with this after correction'),
      tests: z.number().int().nonnegative().describe('p-value tests corrected together'),
    })
    .describe('Multiple-testing correction over the p-value tests; distance tests keep their thresholds'),
  dataset: z.object({
    testedColumns: z.number().int().nonnegative(),
    driftedColumns: z.number().int().nonnegative(),
    share: z.number(),
    driftShare: z.number().describe('Dataset drift when share ≥ this (Evidently default 0.5)'),
    drifted: z.boolean(),
  }),
});
export type DriftSection = z.infer<typeof DriftSection>;
