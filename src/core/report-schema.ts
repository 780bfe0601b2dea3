import { z } from 'zod';
import { Report } from './report.js';

/** The published JSON Schema of the report, generated from the zod schema. */
export function reportJsonSchema(): Record<string, unknown> {
  return {
    $id: 'https://assay.dev/schema/report.schema.json',
    title: 'Assay report',
    ...z.toJSONSchema(Report, { target: 'draft-2020-12', io: 'output' }),
  };
}
