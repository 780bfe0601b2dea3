import { z } from 'zod';

const PersonalDataKind = z.enum(['email', 'phone', 'credit-card', 'iban', 'us-ssn', 'ip-address']);
const Counts = z.partialRecord(PersonalDataKind, z.number().int().nonnegative());

export const PrivacyDataset = z.object({
  id: z.string().describe('As written in the card'),
  declaredIn: z.array(z.enum(['datasets', 'source_datasets'])),
  known: z.boolean().describe('Found in the data-set knowledge table; unknown data sets are not assumed clean'),
  entry: z.string().optional().describe('Knowledge-table id it matched'),
  source: z.array(z.string()).describe('web-crawl, curated, user-generated, synthetic, licensed, public-domain'),
  personalData: z.enum(['high', 'medium', 'low', 'none', 'unknown']),
  specialCategories: z.array(z.string()).describe('GDPR Art. 9 categories present by design'),
  children: z.enum(['yes', 'possible', 'no', 'unknown']),
  licence: z.string().optional(),
  reason: z.string().optional(),
  reference: z.string().optional(),
});
export type PrivacyDataset = z.infer<typeof PrivacyDataset>;

export const PrivacySignal = z.object({
  kind: z.enum(['language-creators', 'tag', 'eu-gated']),
  value: z.string(),
  meaning: z.string(),
});
export type PrivacySignal = z.infer<typeof PrivacySignal>;

export const PrivacyFlag = z.object({
  id: z.string(),
  law: z.enum(['GDPR', 'CCPA']),
  article: z.string(),
  title: z.string(),
  explanation: z.string().describe('Plain language: what it means and what to do'),
  because: z.array(z.string()).describe('The data sets, tags or files that raised it'),
  reference: z.string(),
  notLegalAdvice: z.literal(true),
});
export type PrivacyFlag = z.infer<typeof PrivacyFlag>;

export const PersonalDataFile = z.object({
  file: z.string(),
  member: z.string().optional(),
  layout: z.enum(['csv', 'tsv', 'json', 'jsonl', 'text', 'parquet']),
  counts: Counts.describe('Matches per kind in the sample'),
  fields: z.array(z.object({ name: z.string(), counts: Counts })).describe('Columns or keys holding matches'),
  examples: z
    .array(
      z.object({
        kind: PersonalDataKind,
        masked: z.string().describe('Masked value: never the value itself'),
        confidence: z.number().min(0).max(1),
        where: z.string(),
        detail: z.string().optional(),
      }),
    )
    .describe('At most three masked examples per kind'),
  sample: z.object({
    complete: z.boolean(),
    bytesRead: z.number().int().nonnegative(),
    totalBytes: z.number().int().nonnegative(),
    rowsRead: z.number().int().nonnegative().optional(),
    totalRows: z.number().int().nonnegative().optional(),
    description: z.string().describe('What was read of the file'),
  }),
  readAsText: z.string().optional().describe('Why the structure was not used'),
});
export type PersonalDataFile = z.infer<typeof PersonalDataFile>;

export const PrivacySection = z.object({
  disclaimer: z.string(),
  gdprInScope: z
    .boolean()
    .describe('The policy intendedUse.regions include the EU, the EEA or a member state (severities rise)'),
  datasets: z.array(PrivacyDataset).describe('Training data declared in the model card'),
  signals: z.array(PrivacySignal).describe('Other card metadata that bears on personal data'),
  flags: z.array(PrivacyFlag).describe('GDPR and CCPA points to look into; not legal advice'),
  files: z
    .array(PersonalDataFile)
    .describe('Data files shipped with the model, scanned (or sampled) for personal data'),
});
export type PrivacySection = z.infer<typeof PrivacySection>;
