import { z } from 'zod';
import { Finding } from './finding.js';
import { ComplianceSection } from './sections/compliance.js';
import { DependenciesSection } from './sections/dependencies.js';
import { DriftSection } from './sections/drift.js';
import { EvaluationSection } from './sections/evaluation.js';
import { FairnessSection } from './sections/fairness.js';
import { ModelSection } from './sections/model.js';
import { PrivacySection } from './sections/privacy.js';
import { ResponsesSection } from './sections/responses.js';
import { SafetySection } from './sections/safety.js';
import { Severity } from './severity.js';

export const SCHEMA_VERSION = '1.0.0';

export const FileEntry = z.object({
  path: z.string().describe('Path relative to the target root'),
  size: z.number().int().nonnegative(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  format: z.string().describe('Format sniffed from the bytes, never from the name'),
});
export type FileEntry = z.infer<typeof FileEntry>;

export const Target = z.object({
  kind: z.enum(['file', 'directory', 'endpoint']).describe('endpoint: a model served over HTTP (assay probe)'),
  path: z.string().describe('The target as the user gave it'),
});
export type Target = z.infer<typeof Target>;

export const Summary = z.object({
  files: z.number().int().nonnegative(),
  bytes: z.number().int().nonnegative(),
  findings: z.record(Severity, z.number().int().nonnegative()).describe('Unsuppressed findings per severity'),
  suppressed: z.number().int().nonnegative(),
  notAnalysed: z.number().int().nonnegative().describe('Findings that say something could not be analysed'),
});
export type Summary = z.infer<typeof Summary>;

export const Gate = z.object({
  failOn: Severity.describe('Findings at or above this severity fail the gate'),
  failOnNotAnalysed: z.boolean().describe('Whether content that could not be analysed fails the gate (exit 2)'),
  reasons: z.array(z.string()).describe('Why the gate failed; empty when it passed'),
  exitCode: z
    .union([z.literal(0), z.literal(1), z.literal(2)])
    .describe('0 passed; 1 failed on findings; 2 failed only because content could not be analysed'),
});

export const SecuritySection = z.object({
  rulesRun: z.array(z.string()),
  globals: z
    .array(
      z.object({
        file: z.string(),
        member: z.string().optional(),
        global: z.string(),
        verdict: z.enum(['dangerous', 'unknown', 'allowed', 'policy-allowed']),
      }),
    )
    .describe('Every import a pickle performs, with how the knowledge tables classed it'),
});

/**
 * Sections other pillars add to the report (dependencies, compliance, evaluation, ...). Each is optional: a section
 * appears when the analysis behind it ran. Section schemas live in their own modules under `core/sections/`.
 */
export const ReportSections = z.object({
  compliance: ComplianceSection.optional(),
  dependencies: DependenciesSection.optional(),
  privacy: PrivacySection.optional(),
  model: ModelSection.optional(),
  evaluation: EvaluationSection.optional(),
  safety: SafetySection.optional(),
  fairness: FairnessSection.optional(),
  responses: ResponsesSection.optional(),
  drift: DriftSection.optional(),
});
export type ReportSections = z.infer<typeof ReportSections>;

export const Report = z.object({
  schemaVersion: z.literal(SCHEMA_VERSION),
  tool: z.object({ name: z.literal('assay'), version: z.string() }),
  target: Target,
  startedAt: z.string().describe('ISO 8601 time the audit started'),
  finishedAt: z.string(),
  files: z.array(FileEntry),
  findings: z.array(Finding),
  summary: Summary,
  gate: Gate,
  verdict: z.enum(['pass', 'fail']),
  security: SecuritySection.optional(),
  ...ReportSections.shape,
});
export type Report = z.infer<typeof Report>;
