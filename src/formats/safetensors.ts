import type { BinaryFormat } from './plugins.js';

/** Facts this parser reports (to be defined with the parser). */
export type SafetensorsFact = never;

/** Scaffold: not analysed yet (the formats issue fills this in). */
export const safetensorsFormat: BinaryFormat = {
  format: 'safetensors',
  async analyse() {},
};
