/** Writes schema/report.schema.json from the zod schemas (the one source of the report's types). */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { reportJsonSchema } from '../src/core/report-schema.js';

const target = join(import.meta.dirname, '..', 'schema', 'report.schema.json');
writeFileSync(target, `${JSON.stringify(reportJsonSchema(), null, 2)}\n`);
console.log(`wrote ${target}`);
