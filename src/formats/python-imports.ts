/**
 * Imports in shipped Python code → the PyPI distributions they need, one fact per distribution. Standard library
 * modules are left out; module names map to distributions through `knowledge/python-distributions.ts`. Imports name
 * no version, so these dependencies are unpinned; the supply-chain rules drop them when a requirement declares the
 * same package, and when the module is a file the model ships itself.
 */
import { distributionOf } from '../knowledge/python-distributions.js';
import { isStandardLibrary } from '../knowledge/python-stdlib.js';
import { type DependencyFact, dependency } from './dependencies.js';

/** `modules`: top-level (or `namespace.module`) import → first line it was imported on. */
export function importDependencies(modules: ReadonlyMap<string, number>): DependencyFact[] {
  const byDistribution = new Map<string, { line: number; modules: string[] }>();
  for (const [module, line] of modules) {
    if (isStandardLibrary(module)) continue;
    const found = distributionOf(module);
    if (!found) continue;
    const entry = byDistribution.get(found.distribution) ?? { line, modules: [] };
    entry.line = Math.min(entry.line, line);
    if (!entry.modules.includes(found.module)) entry.modules.push(found.module);
    byDistribution.set(found.distribution, entry);
  }
  return [...byDistribution].map(([distribution, { line, modules: names }]) =>
    dependency('python-import', distribution, '', { line, modules: names.sort() }),
  );
}
