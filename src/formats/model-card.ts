/**
 * The model card (README.md): its YAML front matter is where the Hub keeps licence, lineage (`base_model`),
 * training data and task metadata. Parsed as data only (no tags, no custom types, aliases capped); judging it is the
 * compliance and provenance rules' job.
 */
import type { TextInspector } from './plugins.js';

export interface ModelCardFields {
  license?: string;
  licenseName?: string;
  licenseLink?: string;
  /** `base_model`: one id or several (merges), as written. */
  baseModels: string[];
  /** `base_model_relation`: adapter, merge, quantized, finetune. */
  baseModelRelation?: string;
  datasets: string[];
  sourceDatasets: string[];
  languageCreators: string[];
  languages: string[];
  libraryName?: string;
  pipelineTag?: string;
  tags: string[];
  /** `extra_gated_eu_disallowed: true`: the publisher refuses access from the EU. */
  euDisallowed: boolean;
  /** The model's own name in the card (`model_name` or `model-index[0].name`), for naming-rule checks. */
  modelName?: string;
}

export type ModelCardFact =
  | ({
      kind: 'model-card';
      /** The front matter as parsed, for renderers and diffs (JSON-safe values only). */
      metadata: Record<string, unknown>;
      /** Characters of Markdown after the front matter. */
      bodyLength: number;
    } & ModelCardFields)
  /** Front matter present but not valid YAML, or not a mapping: the card's claims cannot be read. */
  | { kind: 'model-card-malformed'; detail: string; line?: number };

const CARD_NAME = /^(readme|modelcard|model_card)\.md$/i;

/** Whether a path (relative to the model folder) is a card that speaks for the model: top level, README.md and kin. */
export function isModelCardPath(path: string): boolean {
  return CARD_NAME.test(path);
}
const FRONT_MATTER = /^\uFEFF?---[ \t]*\r?\n([\s\S]*?)\r?\n(?:---|\.\.\.)[ \t]*(?:\r?\n|$)/;

export const modelCardInspector: TextInspector = {
  // Only the card at the top of the model folder speaks for the model; READMEs deeper down describe other things.
  accepts: ({ name, container, file }) => container === undefined && file === name && isModelCardPath(name),
  async inspect(input) {
    const fact = await parseModelCard(input.text);
    if (fact) input.facts.push(fact);
  },
};

/** Undefined when the text has no front matter at all (a plain README claims nothing). */
export async function parseModelCard(text: string): Promise<ModelCardFact | undefined> {
  const match = FRONT_MATTER.exec(text);
  if (!match) return undefined;
  const { parseDocument } = await import('yaml');
  // Plain YAML 1.2 core schema: no custom tags; a billion-laughs alias bomb stops at the alias cap.
  const document = parseDocument(match[1] as string, { schema: 'core', customTags: [], uniqueKeys: false });
  const problem = document.errors[0];
  if (problem) {
    return { kind: 'model-card-malformed', detail: problem.message.split('\n')[0] as string, line: lineOf(problem) };
  }
  let value: unknown;
  try {
    value = document.toJS({ maxAliasCount: 100 });
  } catch (error) {
    return { kind: 'model-card-malformed', detail: (error as Error).message };
  }
  if (value === null || value === undefined) value = {};
  if (typeof value !== 'object' || Array.isArray(value))
    return { kind: 'model-card-malformed', detail: 'the front matter is not a mapping of keys to values' };
  const metadata = jsonSafe(value) as Record<string, unknown>;
  return {
    kind: 'model-card',
    metadata,
    bodyLength: text.length - match[0].length,
    ...cardFields(metadata),
  };
}

export function cardFields(metadata: Record<string, unknown>): ModelCardFields {
  const modelIndex = metadata['model-index'];
  const indexName = Array.isArray(modelIndex)
    ? text((modelIndex[0] as Record<string, unknown> | undefined)?.name)
    : undefined;
  return {
    license: text(metadata.license) ?? list(metadata.license)[0],
    licenseName: text(metadata.license_name),
    licenseLink: text(metadata.license_link),
    baseModels: list(metadata.base_model),
    baseModelRelation: text(metadata.base_model_relation),
    datasets: list(metadata.datasets),
    sourceDatasets: list(metadata.source_datasets),
    languageCreators: list(metadata.language_creators),
    languages: list(metadata.language),
    libraryName: text(metadata.library_name),
    pipelineTag: text(metadata.pipeline_tag),
    tags: list(metadata.tags),
    euDisallowed: metadata.extra_gated_eu_disallowed === true,
    modelName: text(metadata.model_name) ?? indexName,
  };
}

function text(value: unknown): string | undefined {
  if (typeof value === 'string') return value.trim() || undefined;
  if (typeof value === 'number') return String(value);
  return undefined;
}

function list(value: unknown): string[] {
  const items = Array.isArray(value) ? value : [value];
  return items.map(text).filter((item): item is string => item !== undefined);
}

/** Dates become ISO strings, Maps and Sets become plain values, so the fact can go into a JSON report. */
function jsonSafe(value: unknown): unknown {
  if (value instanceof Date) return value.toISOString();
  if (value instanceof Map) return Object.fromEntries([...value].map(([key, item]) => [String(key), jsonSafe(item)]));
  if (value instanceof Set) return [...value].map(jsonSafe);
  if (Array.isArray(value)) return value.map(jsonSafe);
  if (value && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, jsonSafe(item)]));
  if (typeof value === 'bigint') return value.toString();
  return value;
}

function lineOf(problem: { linePos?: [{ line: number }, ...unknown[]] }): number | undefined {
  // +1: the front matter starts on the line after the opening `---`.
  return problem.linePos ? problem.linePos[0].line + 1 : undefined;
}
