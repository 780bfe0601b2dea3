import type { TextInspector } from './plugins.js';

/** Facts this inspector reports (to be defined with the inspector). */
export type ChatTemplateFact = never;

/** Scaffold: nothing inspected yet (the formats issue fills this in). */
export const chatTemplateInspector: TextInspector = {
  accepts: () => false,
  inspect() {},
};
