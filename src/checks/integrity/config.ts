/** config.json and tokenizer.json against the tensors they describe. */
import type { FindingDraft } from '../../core/rule.js';
import type { ModelRule } from '../model-rule.js';
import { findEmbedding, layerStacks, modelFolders, modelTensors } from './model-view.js';

const HF_CONFIG = {
  kind: 'doc',
  id: 'transformers PretrainedConfig',
  url: 'https://huggingface.co/docs/transformers/main_classes/configuration',
} as const;

export const configShapeMismatch: ModelRule = {
  meta: {
    id: 'performance/config-shape-mismatch',
    pillar: 'performance',
    severity: 'high',
    title: 'config.json does not match the tensor shapes',
    description:
      'The model is built from config.json and then filled from the weights. An embedding with another number ' +
      'of rows than vocab_size or another width than hidden_size, or a layer stack of another depth than ' +
      'num_hidden_layers, either fails to load or (with ignore_mismatched_sizes, or layers missing) leaves ' +
      'randomly initialised weights behind a model that loads "fine".',
    remediation: 'Use the config.json published with these weights (same revision); never mix files from two models.',
    references: [HF_CONFIG],
  },
  *check(artifacts) {
    for (const folder of modelFolders(artifacts)) {
      const config = folder.config;
      if (!config) continue;
      const { tensors, complete } = modelTensors(folder);
      if (tensors.size === 0) continue;
      const dims = config.fact;
      const field = (name: string) => (config.fact.section ? `${config.fact.section}.${name}` : name);
      const embedding = findEmbedding(tensors);
      const draft = (message: string, evidence: Record<string, unknown>): FindingDraft => ({
        message,
        file: config.file,
        evidence,
      });
      if (embedding) {
        const [rows, columns] = embedding.shape;
        const shape = `${embedding.name} [${embedding.shape.join(', ')}] in ${embedding.file}`;
        if (dims.vocabSize !== undefined && rows !== dims.vocabSize) {
          yield draft(`${config.file} says ${field('vocab_size')} = ${dims.vocabSize} but ${shape} has ${rows} rows`, {
            tensor: embedding.name,
            shape: embedding.shape,
            vocabSize: dims.vocabSize,
          });
        }
        const width = dims.embeddingSize ?? dims.hiddenSize;
        if (width !== undefined && columns !== width) {
          const name = field(dims.embeddingSize !== undefined ? 'embedding_size' : 'hidden_size');
          yield draft(`${config.file} says ${name} = ${width} but ${shape} is ${columns} wide`, {
            tensor: embedding.name,
            shape: embedding.shape,
            hiddenSize: width,
          });
        }
      }
      // Counting layers needs every shard: a missing one is reported by the shard rules instead.
      const stacks = layerStacks(tensors);
      if (!complete || dims.layers === undefined || stacks.length === 0) continue;
      const expected = dims.layers;
      const fits = ({ indices }: { indices: Set<number> }) =>
        Math.max(...indices) + 1 === indices.size &&
        (indices.size === expected || indices.size === expected + (dims.extraLayers ?? 0));
      if (stacks.some(fits)) continue;
      const main = stacks[0];
      const highest = Math.max(...main.indices);
      const missing: number[] = [];
      for (let index = 0; index <= highest && missing.length < 20; index++) {
        if (!main.indices.has(index)) missing.push(index);
      }
      const gaps = missing.length > 0 ? `; layer(s) ${missing.join(', ')} are missing` : '';
      yield draft(
        `${config.file} says ${field('num_hidden_layers')} = ${expected} but the weights have ${main.prefix}.0 … ${main.prefix}.${highest} (${main.indices.size} layers)${gaps}`,
        { stack: main.prefix, layers: main.indices.size, highest, expected, missing },
      );
    }
  },
};

export const configHeadsInvalid: ModelRule = {
  meta: {
    id: 'performance/config-heads-invalid',
    pillar: 'performance',
    severity: 'high',
    title: 'Attention heads do not divide the hidden size',
    description:
      'Without an explicit head_dim, each head gets hidden_size / num_attention_heads dimensions, and grouped-' +
      'query attention shares key/value heads among num_attention_heads / num_key_value_heads query heads: ' +
      'either division leaving a remainder means the model cannot be built as configured.',
    remediation: 'Use the config.json published with these weights; a hand-edited config is the usual cause.',
    references: [HF_CONFIG],
  },
  *check(artifacts) {
    for (const folder of modelFolders(artifacts)) {
      const config = folder.config;
      if (!config) continue;
      const { hiddenSize, heads, kvHeads, headDim } = config.fact;
      if (heads === undefined) continue;
      if (hiddenSize !== undefined && headDim === undefined && (heads === 0 || hiddenSize % heads !== 0)) {
        yield {
          message: `${config.file}: hidden_size ${hiddenSize} is not divisible by num_attention_heads ${heads}`,
          file: config.file,
          evidence: { hiddenSize, heads },
        };
      }
      if (kvHeads !== undefined && (kvHeads === 0 || heads % kvHeads !== 0)) {
        yield {
          message: `${config.file}: num_attention_heads ${heads} is not divisible by num_key_value_heads ${kvHeads}`,
          file: config.file,
          evidence: { heads, kvHeads },
        };
      }
    }
  },
};

export const tokenizerVocabMismatch: ModelRule = {
  meta: {
    id: 'performance/tokenizer-vocab-mismatch',
    pillar: 'performance',
    severity: 'high',
    title: 'The tokenizer produces ids the embedding has no row for',
    description:
      'Token ids index the embedding matrix. A tokenizer whose largest id (added tokens included) is beyond the ' +
      'last row makes those tokens crash the model (index out of range, a CUDA device-side assert) or, in ' +
      'runtimes without bounds checks, read memory outside the matrix. Fewer tokens than rows is normal padding.',
    remediation: 'Use the tokenizer published with these weights, or resize the embeddings and re-train the new rows.',
    references: [],
  },
  *check(artifacts) {
    for (const folder of modelFolders(artifacts)) {
      const tokenizer = folder.tokenizer;
      if (!tokenizer) continue;
      const embedding = findEmbedding(modelTensors(folder).tensors);
      const rows = embedding?.shape[0] ?? folder.config?.fact.vocabSize;
      if (rows === undefined || tokenizer.fact.vocabulary <= rows) continue;
      const against = embedding
        ? `${embedding.name} in ${embedding.file} has ${rows} rows`
        : `${folder.config?.file} says vocab_size = ${rows}`;
      yield {
        message: `${tokenizer.file} has token ids up to ${tokenizer.fact.vocabulary - 1} (${tokenizer.fact.addedTokens} added tokens) but ${against}`,
        file: tokenizer.file,
        evidence: {
          vocabulary: tokenizer.fact.vocabulary,
          addedTokens: tokenizer.fact.addedTokens,
          rows,
          ...(embedding ? { tensor: embedding.name } : {}),
        },
      };
    }
  },
};
