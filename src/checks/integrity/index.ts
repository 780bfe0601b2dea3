import type { ModelRule } from '../model-rule.js';

/** Whole-model rules (config against tensor shapes, shard coverage); the formats issue fills this in. */
export const MODEL_RULES: readonly ModelRule[] = [];
