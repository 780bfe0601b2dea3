import type { TextInspector } from './plugins.js';

/** Facts this inspector reports (to be defined with the inspector). */
export type ModelConfigFact = never;

/** Scaffold: nothing inspected yet (the formats issue fills this in). */
export const modelConfigInspector: TextInspector = {
  accepts: () => false,
  inspect() {},
};
