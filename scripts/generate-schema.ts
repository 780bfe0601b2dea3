/** Writes every published JSON Schema into schema/ from the zod schemas (the one source of the types). */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PUBLISHED_SCHEMAS, publishedJsonSchema } from '../src/core/report-schema.js';

for (const entry of PUBLISHED_SCHEMAS) {
  const target = join(import.meta.dirname, '..', 'schema', entry.file);
  writeFileSync(target, `${JSON.stringify(publishedJsonSchema(entry), null, 2)}\n`);
  console.log(`wrote ${target}`);
}
