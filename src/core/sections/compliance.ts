import { z } from 'zod';
import { IntendedUse } from '../policy.js';

const LicenceRef = z.object({
  id: z.string().describe('Hub licence id (or license_name slug)'),
  spdx: z.string().describe('SPDX id, or LicenseRef-hf-<id> where SPDX has none'),
  name: z.string(),
});

export const LicenceEvidence = z.object({
  source: z
    .enum([
      'card-license',
      'card-license-name',
      'card-license-link',
      'licence-file',
      'gguf-license',
      'gguf-license-name',
    ])
    .describe('Where the claim was read'),
  file: z.string(),
  value: z.string().describe('The value as written (for files: the file role)'),
  status: z
    .enum(['identified', 'ambiguous', 'unidentified'])
    .describe('identified: one licence; ambiguous: a family or tied texts; unidentified: unknown id or text'),
  candidates: z.array(z.string()).describe('Licence ids this evidence is consistent with'),
  score: z.number().min(0).max(1).optional().describe('Text similarity with the best-matching licence text'),
  closest: z.string().optional().describe('The best-matching licence text, even below the threshold'),
  runnerUp: z.object({ licence: z.string(), score: z.number() }).optional(),
});
export type LicenceEvidence = z.infer<typeof LicenceEvidence>;

export const LicenceStatus = z
  .enum(['identified', 'conflict', 'ambiguous', 'unidentified', 'none'])
  .describe('What the evidence of one model says together');

export const LineageNode = z.object({
  model: z.string().describe('Hub id; "." is the audited model'),
  depth: z.number().int().nonnegative(),
  parents: z.array(z.string()).describe('Its base_model entries'),
  childOf: z.array(z.string()),
  found: z.enum(['target', 'cards-folder', 'hf-cache', 'hub', 'not-found', 'unreadable', 'depth-limit']),
  detail: z.string().optional(),
  licenceStatus: LicenceStatus,
  licence: LicenceRef.optional(),
  evidence: z.array(LicenceEvidence),
});
export type LineageNode = z.infer<typeof LineageNode>;

export const Obligation = z.object({
  licence: z.string(),
  clause: z.string(),
  text: z.string(),
  models: z.array(z.string()).describe('Models in the lineage whose licence imposes it'),
});
export type Obligation = z.infer<typeof Obligation>;

export const Decision = z.enum(['allowed', 'allowed-with-obligations', 'denied', 'unknown']);

export const LicenceDecision = z.object({
  licence: LicenceRef,
  models: z.array(z.string()).describe('Models in the lineage under this licence'),
  decision: Decision,
  reasons: z.array(z.object({ clause: z.string(), text: z.string() })).describe('Why, clause by clause'),
});
export type LicenceDecision = z.infer<typeof LicenceDecision>;

export const ComplianceSection = z.object({
  licence: z.object({
    status: LicenceStatus,
    effective: LicenceRef.optional().describe('The licence the audited model is under, when the evidence agrees'),
    evidence: z.array(LicenceEvidence),
  }),
  lineage: z.array(LineageNode).describe('The audited model first, then its ancestors by depth'),
  intendedUse: IntendedUse.optional(),
  /** Per licence in the lineage; empty when the policy has no intendedUse. */
  decisions: z.array(LicenceDecision),
  overall: Decision.or(z.literal('not-evaluated')).describe(
    'The strictest decision; not-evaluated without intendedUse',
  ),
  obligations: z.array(Obligation).describe('What the team must do; all conditional terms when no intendedUse is set'),
  disclaimer: z.string(),
});
export type ComplianceSection = z.infer<typeof ComplianceSection>;
