import type { ModelRule } from '../model-rule.js';
import { configHeadsInvalid, configShapeMismatch, tokenizerVocabMismatch } from './config.js';
import { shardIndexCoverage, shardMissing } from './shards.js';

/** Whole-model rules: config and tokenizer against tensor shapes, shard index against shards. */
export const MODEL_RULES: readonly ModelRule[] = [
  configShapeMismatch,
  configHeadsInvalid,
  tokenizerVocabMismatch,
  shardMissing,
  shardIndexCoverage,
];
