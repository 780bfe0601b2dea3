import { z } from 'zod';
import { Severity } from './severity.js';

export const PILLARS = [
  'security',
  'supply-chain',
  'provenance',
  'compliance',
  'performance',
  'safety',
  'fairness',
] as const;
export const Pillar = z.enum(PILLARS);
export type Pillar = z.infer<typeof Pillar>;

export const Reference = z.object({
  kind: z.enum(['cve', 'ghsa', 'cwe', 'url', 'licence-clause', 'doc']).describe('What the reference points at'),
  id: z.string().describe('Identifier, e.g. CVE-2025-32434, CWE-502, or a short label'),
  url: z.string().optional(),
});
export type Reference = z.infer<typeof Reference>;

export const Location = z
  .object({
    member: z.string().optional().describe('Path inside a container, outermost first, joined with "!/"'),
    offset: z.number().int().nonnegative().optional().describe('Byte offset inside the innermost stream'),
    line: z.number().int().positive().optional(),
  })
  .describe('Where inside the file the finding was made');
export type Location = z.infer<typeof Location>;

export const Finding = z.object({
  ruleId: z.string().describe('Stable rule id, namespaced by pillar'),
  severity: Severity,
  pillar: Pillar,
  title: z.string(),
  message: z.string().describe('What was found, in one or two sentences'),
  file: z.string().optional().describe('Path of the file relative to the target root'),
  location: Location.optional(),
  evidence: z.record(z.string(), z.unknown()).optional().describe('Machine-readable facts behind the finding'),
  remediation: z.string(),
  references: z.array(Reference),
  suppressed: z
    .object({ reason: z.string() })
    .optional()
    .describe('Set when the policy accepted this finding; suppressed findings never fail the gate'),
});
export type Finding = z.infer<typeof Finding>;
