import type { ModelRule } from '../model-rule.js';
import { PYTHON_MODEL_RULES } from '../security/python-code.js';
import { DEPENDENCY_MODEL_RULES } from '../supply-chain/dependencies.js';
import { configHeadsInvalid, configShapeMismatch, tokenizerVocabMismatch } from './config.js';
import { shardIndexCoverage, shardMissing } from './shards.js';

/** Whole-model rules: config and tokenizer against tensor shapes, shard index against shards, auto_map code. */
export const MODEL_RULES: readonly ModelRule[] = [
  configShapeMismatch,
  configHeadsInvalid,
  tokenizerVocabMismatch,
  shardMissing,
  shardIndexCoverage,
  ...PYTHON_MODEL_RULES,
  ...DEPENDENCY_MODEL_RULES,
];
