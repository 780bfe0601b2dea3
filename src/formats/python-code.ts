import type { TextInspector } from './plugins.js';

/** Facts this inspector reports (to be defined with the inspector). */
export type PythonCodeFact = never;

/** Scaffold: nothing inspected yet (the formats issue fills this in). */
export const pythonCodeInspector: TextInspector = {
  accepts: () => false,
  inspect() {},
};
