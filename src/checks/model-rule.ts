import type { Rule } from '../core/rule.js';
import type { Artifact } from '../formats/facts.js';

/** A rule that judges the model as a whole: facts from several files (config against weights, shard indexes). */
export type ModelRule = Rule<readonly Artifact[]>;
