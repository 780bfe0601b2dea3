import type { BinaryFormat, TextInspector } from './plugins.js';

/** Facts this parser reports (to be defined with the parser). */
export type KerasFact = never;

/** Scaffold: `.h5` files are not analysed yet (the formats issue fills this in). */
export const kerasH5Format: BinaryFormat = {
  format: 'hdf5',
  async analyse() {},
};

/** Scaffold: `config.json` of `.keras` archives is not analysed yet. */
export const kerasConfigInspector: TextInspector = {
  accepts: () => false,
  inspect() {},
};
