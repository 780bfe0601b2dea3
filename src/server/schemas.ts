import { z } from 'zod';

/** Request bodies the API accepts; each is checked before anything is written, and published as JSON Schema. */
export const SubmitAudit = z
  .object({
    target: z.string().min(1).max(4096).describe('A folder or file under an allowed root, or hf://org/name@revision'),
    model: z.string().min(1).max(512).optional().describe('Name in history and the gate (default: from the target)'),
    command: z.enum(['audit', 'scan']).default('audit'),
    policy: z.string().max(4096).optional().describe('Policy file on the server, under an allowed root'),
  })
  .strict();
export type SubmitAudit = z.infer<typeof SubmitAudit>;

export const CreateToken = z
  .object({
    name: z.string().min(1).max(200),
    scopes: z.array(z.enum(['read', 'write', 'admin'])).min(1),
  })
  .strict();

/** A batch of production observations for a monitor: rows of feature values, predictions and (late) labels. */
export const IngestBatch = z
  .object({
    rows: z
      .array(z.record(z.string(), z.union([z.number(), z.string(), z.boolean(), z.null()])))
      .min(1)
      .max(100_000),
  })
  .strict();
export type IngestBatch = z.infer<typeof IngestBatch>;

/** What the deploy gate answers. */
export const GateAnswer = z.object({
  allow: z.boolean(),
  reasons: z.array(z.string()),
  model: z.string(),
  digest: z.string(),
  auditId: z.string().optional(),
  auditedAt: z.string().optional(),
});
export type GateAnswer = z.infer<typeof GateAnswer>;
