import { readFileSync } from 'node:fs';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import type { RegExpEngine } from 'ajv/dist/types/index.js';
import addFormats from 'ajv-formats';

/*
 * The SARIF schema is the OASIS one, saved verbatim (see SCHEMA-SOURCE.md). Its current text declares JSON Schema
 * 2020-12 (while using only keywords that mean the same in draft-07), so it is compiled with Ajv2020: the draft-07
 * `Ajv` refuses a schema whose `$schema` meta-schema it does not know. Two defects of that text need working
 * around, both without weakening the check of our output:
 * - `region` has its `anyOf` misplaced inside `properties`, which makes the schema itself invalid against its
 *   meta-schema, so `validateSchema: false` (the misplaced `anyOf` then constrains a property no log has);
 * - the `language` pattern `^(?i)...` uses an inline flag JavaScript lacks: the engine below turns a leading `(?i)`
 *   into the `i` flag instead of failing to compile the whole schema.
 * Formats (uri, uri-reference, date-time) are checked, through ajv-formats.
 */
const inlineFlagRegExp: RegExpEngine = Object.assign(
  (pattern: string, u: string) => {
    const inline = /^(\^?)\(\?i\)/.exec(pattern);
    return inline ? new RegExp(inline[1] + pattern.slice(inline[0].length), `${u}i`) : new RegExp(pattern, u);
  },
  { code: 'inlineFlagRegExp' },
);

function compile(schemaUrl: URL, options: { validateSchema: boolean }): ValidateFunction {
  const ajv = new Ajv2020({ strict: false, allErrors: true, code: { regExp: inlineFlagRegExp }, ...options });
  addFormats.default(ajv);
  return ajv.compile(JSON.parse(readFileSync(schemaUrl, 'utf8')));
}

export function sarifValidator(): ValidateFunction {
  return compile(new URL('./sarif-2.1.0.schema.json', import.meta.url), { validateSchema: false });
}

/** The published report schema, schema/report.schema.json. */
export function reportValidator(): ValidateFunction {
  return compile(new URL('../../schema/report.schema.json', import.meta.url), { validateSchema: true });
}
