import { type ZodType, z } from 'zod';
import { Suite } from '../suites/schema.js';
import { Config } from './config.js';
import { Policy } from './policy.js';
import { Report } from './report.js';

/** A JSON Schema published under schema/, generated from a zod schema (the one source of the types). */
export interface PublishedSchema {
  file: string;
  title: string;
  schema: ZodType;
  /** `input` for files people write (defaults may be left out), `output` for what Assay writes. */
  io: 'input' | 'output';
}

/** Every schema in schema/; `npm run schema` writes them and a test keeps them in sync. */
export const PUBLISHED_SCHEMAS: readonly PublishedSchema[] = [
  { file: 'report.schema.json', title: 'Assay report', schema: Report, io: 'output' },
  { file: 'policy.schema.json', title: 'Assay policy', schema: Policy, io: 'input' },
  { file: 'config.schema.json', title: 'Assay project configuration', schema: Config, io: 'input' },
  { file: 'suite.schema.json', title: 'Assay evaluation suite', schema: Suite, io: 'input' },
];

export function publishedJsonSchema(entry: PublishedSchema): Record<string, unknown> {
  return {
    $id: `https://assay.dev/schema/${entry.file}`,
    title: entry.title,
    ...z.toJSONSchema(entry.schema, { target: 'draft-2020-12', io: entry.io }),
  };
}

/** The published JSON Schema of the report. */
export function reportJsonSchema(): Record<string, unknown> {
  return publishedJsonSchema(PUBLISHED_SCHEMAS[0] as PublishedSchema);
}
