import type { BinaryFormat } from './plugins.js';

/** Facts this parser reports (to be defined with the parser). */
export type GgufFact = never;

/** Scaffold: not analysed yet (the formats issue fills this in). */
export const ggufFormat: BinaryFormat = {
  format: 'gguf',
  async analyse() {},
};
