import { z } from 'zod';
import { Severity } from './severity.js';
import { loadYamlFile } from './yaml-file.js';

export const Policy = z
  .object({
    failOn: Severity.default('high').describe('Findings at or above this severity fail the gate'),
    failOnNotAnalysed: z
      .boolean()
      .default(true)
      .describe('Content that could not be analysed fails the gate with exit code 2'),
    severity: z.record(z.string(), Severity).default({}).describe('Per-rule severity overrides, keyed by rule id'),
    allowGlobals: z
      .array(
        z.object({
          global: z.string().regex(/^[\w.]+$/, 'a dotted name such as mypackage.MyClass'),
          reason: z.string().min(1, 'say why this global is safe to import'),
        }),
      )
      .default([])
      .describe('Extra pickle globals to accept, each with the reason it is safe'),
    ignorePaths: z.array(z.string()).default([]).describe('Glob patterns of files to leave out of the audit'),
  })
  .strict();
export type Policy = z.infer<typeof Policy>;

export const DEFAULT_POLICY: Policy = Policy.parse({});

export class PolicyError extends Error {}

/** Loads a YAML or JSON policy file; errors name the file and the offending key. */
export function loadPolicy(path: string): Promise<Policy> {
  return loadYamlFile(path, Policy, 'policy file', (message) => new PolicyError(message));
}
