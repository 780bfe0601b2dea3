import type { TextInspector } from './plugins.js';

/** Facts this inspector reports (to be defined with the inspector). */
export type SecretFact = never;

/** Scaffold: nothing inspected yet (the formats issue fills this in). */
export const secretsInspector: TextInspector = {
  accepts: () => false,
  inspect() {},
};
