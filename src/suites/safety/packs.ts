import { readFile } from 'node:fs/promises';
import { CORE_PACK } from '../../knowledge/probes/core-v1.js';
import { ProbePack } from '../../knowledge/probes/schema.js';

/** Built-in packs by name; `assay probe --pack core` (the default). */
export const BUILT_IN_PACKS: Readonly<Record<string, ProbePack>> = { core: CORE_PACK };

export class PackError extends Error {}

/** A built-in pack by name, or a pack file (YAML or JSON) validated against the ProbePack schema. */
export async function loadPack(nameOrPath: string): Promise<ProbePack> {
  const builtIn = BUILT_IN_PACKS[nameOrPath];
  if (builtIn) return builtIn;
  let text: string;
  try {
    text = await readFile(nameOrPath, 'utf8');
  } catch (error) {
    throw new PackError(
      `no built-in probe pack named ${nameOrPath} (built-in: ${Object.keys(BUILT_IN_PACKS).join(', ')}) and cannot read it as a file: ${(error as Error).message}`,
    );
  }
  let raw: unknown;
  try {
    const { parse } = await import('yaml');
    raw = parse(text);
  } catch (error) {
    throw new PackError(`probe pack ${nameOrPath} is not valid YAML or JSON: ${(error as Error).message}`);
  }
  const result = ProbePack.safeParse(raw);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`);
    throw new PackError(`probe pack ${nameOrPath} is invalid:\n  ${problems.join('\n  ')}`);
  }
  const ids = new Set<string>();
  for (const probe of result.data.probes) {
    if (ids.has(probe.id)) throw new PackError(`probe pack ${nameOrPath}: probe id ${probe.id} appears twice`);
    ids.add(probe.id);
  }
  return result.data;
}
