/**
 * The `dependencies` report section: every dependency the model declares or implies, where it was found, whether it
 * is pinned, and the OSV advisories that affect it (the pinned version, or part of the allowed range).
 * SBOM writers (CycloneDX, SPDX) read their package components from here.
 */
import { z } from 'zod';
import { Severity } from '../severity.js';

export const DEPENDENCY_ECOSYSTEMS = ['PyPI', 'npm'] as const;

/** How a dependency was found. */
export const DEPENDENCY_SOURCES = [
  'requirements',
  'pyproject',
  'poetry',
  'setup.cfg',
  'environment.yml',
  'Pipfile.lock',
  'config.json',
  'package.json',
  'package-lock.json',
  'model-card',
  'python-import',
] as const;

export const DependencyAdvisory = z.object({
  ids: z.array(z.string()).min(1).describe('OSV ids of the records describing this advisory (aliases deduplicated)'),
  aliases: z.array(z.string()).describe('Other identifiers (CVE-…, GHSA-…, PYSEC-…) not already in ids'),
  summary: z.string().optional(),
  severity: Severity.optional().describe("The advisory's own severity (CVSS 3 or the database's rating), when stated"),
  affected: z
    .array(z.string())
    .describe(
      'What is affected: the pinned version (`==V`), or the affected sub-ranges of an unpinned requirement (`>=2.0, <2.6.0`)',
    ),
});
export type DependencyAdvisory = z.infer<typeof DependencyAdvisory>;

export const Dependency = z.object({
  ecosystem: z.enum(DEPENDENCY_ECOSYSTEMS),
  name: z.string().describe('Package name (PyPI names PEP 503 normalised)'),
  specifier: z
    .string()
    .describe('Version requirement as declared (PEP 440 or npm semver range); empty when any version is allowed'),
  version: z.string().optional().describe('The exact version, when the requirement pins one'),
  pinned: z.boolean(),
  purl: z.string().describe('Package URL (with @version only when pinned)'),
  scope: z
    .enum(['runtime', 'dev', 'optional'])
    .describe('runtime unless declared as a development or optional dependency'),
  url: z.string().optional().describe('Direct reference (VCS or archive URL): the version is whatever it holds'),
  file: z.string().describe('File the dependency was found in, relative to the target'),
  member: z.string().optional().describe('Member of an archive, when the file is one'),
  line: z.number().int().positive().optional(),
  foundBy: z.enum(DEPENDENCY_SOURCES),
  advisories: z.array(DependencyAdvisory),
});
export type Dependency = z.infer<typeof Dependency>;

export const DependenciesSection = z.object({
  advisoryDatabase: z
    .object({
      origin: z.string().describe('Where the records came from: a path, the local cache, or the OSV API URL'),
      records: z.number().int().nonnegative(),
      newestModified: z.string().optional().describe('Newest `modified` time among the records (ISO 8601)'),
    })
    .optional()
    .describe('Absent when no advisory database was configured: then advisories are empty, not "none known"'),
  dependencies: z.array(Dependency),
});
export type DependenciesSection = z.infer<typeof DependenciesSection>;
