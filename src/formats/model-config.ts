/**
 * The JSON files that describe a Hugging Face model next to its weights: config.json (dimensions),
 * *.safetensors.index.json (which shard holds which tensor) and tokenizer.json (how many token ids exist).
 * Only compact facts come out; judging them against the tensors is the whole-model rules' job.
 */
import type { TextInput, TextInspector } from './plugins.js';
import { type JsonNode, readJsonObject } from './safetensors.js';

/** The dimensions a config declares, under the names architectures use for them. */
export interface ModelDimensions {
  hiddenSize?: number;
  /** Width of the token embedding when it differs from the hidden size (ALBERT's `embedding_size`). */
  embeddingSize?: number;
  vocabSize?: number;
  layers?: number;
  /** Extra decoder layers stored after the main stack (DeepSeek's multi-token-prediction layers). */
  extraLayers?: number;
  heads?: number;
  kvHeads?: number;
  headDim?: number;
}

export type ModelConfigFact =
  /** config.json; dimensions come from the top level, or from `text_config` for multimodal wrappers. */
  | ({
      kind: 'model-config';
      architectures: string[];
      modelType?: string;
      torchDtype?: string;
      /** Where the dimensions were read: '' for the top level, 'text_config' for a nested language model. */
      section: string;
    } & ModelDimensions)
  /** A shard index: `shards` lists the files, `weightMap` maps each tensor to an index into `shards`. */
  | {
      kind: 'model-shard-index';
      shards: string[];
      weightMap: { tensor: string; shard: number }[];
      /** Tensors listed more than once in weight_map, with every shard they were listed under. */
      duplicates: { tensor: string; shards: number[] }[];
      /** Entries whose value is not a string file name. */
      invalid: number;
    }
  /** tokenizer.json: `vocabulary` is the largest token id + 1, the embedding rows the model needs. */
  | { kind: 'model-tokenizer'; model?: string; baseVocabulary: number; addedTokens: number; vocabulary: number };

/** Field names for each dimension, in the order transformers' configs prefer them. */
const DIMENSION_FIELDS: Readonly<Record<keyof ModelDimensions, readonly string[]>> = {
  hiddenSize: ['hidden_size', 'n_embd', 'd_model', 'dim'],
  embeddingSize: ['embedding_size'],
  vocabSize: ['vocab_size', 'n_vocab', 'padded_vocab_size'],
  layers: ['num_hidden_layers', 'n_layer', 'num_layers', 'n_layers'],
  extraLayers: ['num_nextn_predict_layers'],
  heads: ['num_attention_heads', 'n_head', 'num_heads', 'n_heads'],
  kvHeads: ['num_key_value_heads', 'n_kv_heads', 'multi_query_group_num'],
  headDim: ['head_dim', 'kv_channels'],
};

const INDEX_NAME = /\.safetensors\.index\.json$/;

export const modelConfigInspector: TextInspector = {
  // Inside archives a config.json belongs to that format (Keras), not to a Hugging Face model folder.
  accepts: ({ name, format, container }) =>
    format === 'json' &&
    container === undefined &&
    /^(config|tokenizer)\.json$|\.safetensors\.index\.json$/.test(base(name)),
  inspect(input) {
    const name = base(input.name);
    if (INDEX_NAME.test(name)) inspectIndex(input);
    else if (name === 'config.json') inspectConfig(input);
    else inspectTokenizer(input);
  },
};

function base(name: string): string {
  return name.slice(name.lastIndexOf('/') + 1);
}

function parse(input: TextInput): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(input.text);
    if (value && typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
    input.facts.push({ kind: 'malformed', detail: `${base(input.name)} is JSON but not an object` });
  } catch (error) {
    input.facts.push({
      kind: 'malformed',
      detail: `${base(input.name)} is not valid JSON: ${(error as Error).message}`,
    });
  }
  return undefined;
}

function inspectConfig(input: TextInput) {
  const config = parse(input);
  if (!config) return;
  const text = isObject(config.text_config) ? config.text_config : undefined;
  const top = dimensions(config);
  const section = top.hiddenSize === undefined && top.vocabSize === undefined && text ? 'text_config' : '';
  const dims = section ? dimensions(text ?? {}) : top;
  input.facts.push({
    kind: 'model-config',
    architectures: Array.isArray(config.architectures)
      ? config.architectures.filter((item): item is string => typeof item === 'string').slice(0, 16)
      : [],
    ...(typeof config.model_type === 'string' ? { modelType: config.model_type } : {}),
    ...(typeof config.torch_dtype === 'string' ? { torchDtype: config.torch_dtype } : {}),
    section,
    ...dims,
  });
}

function dimensions(config: Record<string, unknown>): ModelDimensions {
  const found: ModelDimensions = {};
  for (const [dimension, fields] of Object.entries(DIMENSION_FIELDS) as [keyof ModelDimensions, string[]][]) {
    const value = fields.map((field) => config[field]).find(isCount);
    if (value !== undefined) found[dimension] = value;
  }
  return found;
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Read with the position-keeping reader: JSON.parse would hide a tensor listed twice. */
function inspectIndex(input: TextInput) {
  let weightMap: JsonNode | undefined;
  const result = readJsonObject(input.text, (key, _at, value) => {
    if (key === 'weight_map') weightMap = value;
  });
  if (!result.ok) {
    input.facts.push({ kind: 'malformed', detail: `the shard index is not valid JSON: ${result.error}` });
    return;
  }
  if (weightMap?.type !== 'object') {
    input.facts.push({ kind: 'malformed', detail: 'the shard index has no "weight_map" object' });
    return;
  }
  const shards: string[] = [];
  const shardIndex = new Map<string, number>();
  const listed = new Map<string, number[]>();
  let invalid = 0;
  for (const entry of weightMap.entries) {
    if (entry.value.type !== 'string') {
      invalid++;
      continue;
    }
    const file = entry.value.value;
    let shard = shardIndex.get(file);
    if (shard === undefined) {
      shard = shards.push(file) - 1;
      shardIndex.set(file, shard);
    }
    const where = listed.get(entry.key);
    if (where) where.push(shard);
    else listed.set(entry.key, [shard]);
  }
  input.facts.push({
    kind: 'model-shard-index',
    shards,
    weightMap: [...listed].map(([tensor, where]) => ({ tensor, shard: where[where.length - 1] })),
    duplicates: [...listed]
      .filter(([, where]) => where.length > 1)
      .map(([tensor, where]) => ({ tensor, shards: where })),
    invalid,
  });
}

function inspectTokenizer(input: TextInput) {
  const tokenizer = parse(input);
  if (!tokenizer) return;
  const model = isObject(tokenizer.model) ? tokenizer.model : {};
  const vocab = model.vocab;
  let baseVocabulary = 0;
  let largest = -1;
  if (Array.isArray(vocab)) {
    // Unigram: a list of [piece, score]; the id is the position.
    baseVocabulary = vocab.length;
    largest = vocab.length - 1;
  } else if (isObject(vocab)) {
    // BPE, WordPiece, WordLevel: piece → id.
    for (const id of Object.values(vocab)) {
      baseVocabulary++;
      if (isCount(id) && id > largest) largest = id;
    }
  }
  const added = Array.isArray(tokenizer.added_tokens) ? tokenizer.added_tokens : [];
  for (const token of added) if (isObject(token) && isCount(token.id) && token.id > largest) largest = token.id;
  if (baseVocabulary === 0 && added.length === 0) return;
  input.facts.push({
    kind: 'model-tokenizer',
    ...(typeof model.type === 'string' ? { model: model.type } : {}),
    baseVocabulary,
    addedTokens: added.length,
    vocabulary: largest + 1,
  });
}
