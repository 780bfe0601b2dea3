/**
 * Dependencies against OSV advisories, from the active advisory database (`ASSAY_OSV_DB`, the local cache of
 * `assay db update`, or the OSV API with `--online`); with none, `vulnerable-dependency` reports nothing and the
 * dependencies section lists the dependencies without advisories.
 */
import type { SectionBuilder } from '../../core/audit.js';
import type { Reference } from '../../core/finding.js';
import type { FindingDraft, RuleMeta } from '../../core/rule.js';
import type { DependencyAdvisory, Dependency as DependencyEntry } from '../../core/sections/dependencies.js';
import type { Severity } from '../../core/severity.js';
import type { DependencyFact } from '../../formats/dependencies.js';
import type { Artifact } from '../../formats/facts.js';
import { CARD_LIBRARIES, type CardLibrary } from '../../knowledge/python-card-libraries.js';
import { activeAdvisoryDatabase } from '../../supply-chain/advisory-db.js';
import { groupByAlias, groupIdentifiers, OsvDatabase, type OsvRecord } from '../../supply-chain/osv.js';
import { formatInterval, matchSpecifier, PEP440, parseSpecifier } from '../../supply-chain/pep440-match.js';
import { matchNpmSpecifier, npmRangeIntervals, SEMVER } from '../../supply-chain/semver-match.js';
import type { ModelRule } from '../model-rule.js';

type Dependency = Extract<DependencyFact, { kind: 'dependency' }>;

/** Sources that imply a dependency without declaring a version (the card's library, imports in shipped code). */
const IMPLIED: readonly string[] = ['python-import', 'model-card'];
/** Lockfiles: what they pin is what gets installed, whatever range a manifest next to them allows. */
const LOCKFILES: readonly string[] = ['package-lock.json', 'Pipfile.lock'];

const packageKey = (fact: Dependency) => `${fact.ecosystem}\u0000${fact.name}`;
const folderOf = (artifact: Artifact) => artifact.file.slice(0, artifact.file.lastIndexOf('/') + 1);

/**
 * Every dependency fact. Implied ones count only when nothing declares that package, and once per package however
 * many files import it, so imports never flood the report.
 */
function* dependencies(artifacts: readonly Artifact[]): Generator<{ fact: Dependency; artifact: Artifact }> {
  // Modules the model ships itself (`import configuration_foo` next to configuration_foo.py) are not packages.
  const shipped = new Set(
    artifacts.flatMap((artifact) => {
      const match = /(?:^|\/)([A-Za-z_][A-Za-z0-9_]*)(?:\.py|\/__init__\.py)$/.exec(artifact.file);
      return match?.[1] ? [match[1]] : [];
    }),
  );
  const all = artifacts.flatMap((artifact) =>
    artifact.facts.flatMap((fact) => {
      if (fact.kind === 'model-card') {
        const library = fact.libraryName ? CARD_LIBRARIES[fact.libraryName] : undefined;
        return library ? [{ fact: cardDependency(library), artifact }] : [];
      }
      if (fact.kind !== 'dependency') return [];
      if (fact.source === 'python-import' && fact.modules?.every((module) => shipped.has(module.split('.')[0] ?? '')))
        return [];
      return [{ fact, artifact }];
    }),
  );
  const declared = new Set(
    all.filter(({ fact }) => !IMPLIED.includes(fact.source)).map(({ fact }) => packageKey(fact)),
  );
  const implied = new Set<string>();
  for (const item of all) {
    const key = packageKey(item.fact);
    if (IMPLIED.includes(item.fact.source)) {
      if (declared.has(key) || implied.has(key)) continue;
      implied.add(key);
    }
    yield item;
  }
}

function cardDependency(library: CardLibrary): Dependency {
  return { kind: 'dependency', ecosystem: library.ecosystem, name: library.name, specifier: '', source: 'model-card' };
}

/** Packages a lockfile pins, keyed by folder: a range next to such a lockfile is not what gets installed. */
function lockedPackages(artifacts: readonly Artifact[]): Set<string> {
  const locked = new Set<string>();
  for (const { fact, artifact } of dependencies(artifacts))
    if (LOCKFILES.includes(fact.source) && fact.pinnedVersion)
      locked.add(`${folderOf(artifact)}\u0000${packageKey(fact)}`);
  return locked;
}

function place(fact: Dependency, artifact: Artifact): Pick<FindingDraft, 'file' | 'location'> {
  const location = { member: artifact.member, line: fact.line };
  return {
    file: artifact.file,
    location: location.member === undefined && location.line === undefined ? undefined : location,
  };
}

const CVSS_WEIGHTS: Record<string, Record<string, number>> = {
  AV: { N: 0.85, A: 0.62, L: 0.55, P: 0.2 },
  AC: { L: 0.77, H: 0.44 },
  UI: { N: 0.85, R: 0.62 },
  C: { H: 0.56, L: 0.22, N: 0 },
  I: { H: 0.56, L: 0.22, N: 0 },
  A: { H: 0.56, L: 0.22, N: 0 },
};

/** CVSS 3.x base score from a vector string; undefined when the vector is not 3.x or incomplete. */
export function cvss3BaseScore(vector: string): number | undefined {
  if (!/^CVSS:3\.[01]\//.test(vector)) return undefined;
  const metrics = Object.fromEntries(
    vector
      .split('/')
      .slice(1)
      .map((part) => part.split(':') as [string, string]),
  );
  const changed = metrics.S === 'C';
  const pr = { N: 0.85, L: changed ? 0.68 : 0.62, H: changed ? 0.5 : 0.27 }[metrics.PR as 'N' | 'L' | 'H'];
  const value = (key: string) => CVSS_WEIGHTS[key]?.[metrics[key] ?? ''];
  const [av, ac, ui, c, i, a] = ['AV', 'AC', 'UI', 'C', 'I', 'A'].map(value);
  if ([pr, av, ac, ui, c, i, a].some((weight) => weight === undefined)) return undefined;
  const iss = 1 - (1 - (c as number)) * (1 - (i as number)) * (1 - (a as number));
  const impact = changed ? 7.52 * (iss - 0.029) - 3.25 * (iss - 0.02) ** 15 : 6.42 * iss;
  const exploitability = 8.22 * (av as number) * (ac as number) * (pr as number) * (ui as number);
  if (impact <= 0) return 0;
  const raw = Math.min((changed ? 1.08 : 1) * (impact + exploitability), 10);
  return Math.ceil(raw * 10 - 1e-9) / 10;
}

function scoreSeverity(score: number): Severity {
  if (score >= 9) return 'critical';
  if (score >= 7) return 'high';
  if (score >= 4) return 'medium';
  if (score > 0) return 'low';
  return 'info';
}

/** The record's own severity: a CVSS 3 vector, else `database_specific.severity`; undefined when it states none. */
export function recordSeverity(record: OsvRecord): Severity | undefined {
  for (const entry of record.severity ?? []) {
    const score = cvss3BaseScore(entry.score);
    if (score !== undefined) return scoreSeverity(score);
  }
  const stated = record.database_specific?.severity;
  if (typeof stated === 'string') {
    const mapped = ({ CRITICAL: 'critical', HIGH: 'high', MODERATE: 'medium', MEDIUM: 'medium', LOW: 'low' } as const)[
      stated.toUpperCase() as 'CRITICAL'
    ];
    if (mapped) return mapped;
  }
  return undefined;
}

const ORDER: Severity[] = ['info', 'low', 'medium', 'high', 'critical'];

function groupSeverity(group: readonly OsvRecord[]): Severity {
  const stated = group.map(recordSeverity).filter((severity) => severity !== undefined);
  if (stated.length === 0) return 'high';
  return stated.reduce((worst, severity) => (ORDER.indexOf(severity) > ORDER.indexOf(worst) ? severity : worst));
}

function references(group: readonly OsvRecord[]): Reference[] {
  const { ids, aliases } = groupIdentifiers(group);
  return [...ids, ...aliases].map((id): Reference => {
    if (id.startsWith('CVE-')) return { kind: 'cve', id, url: `https://nvd.nist.gov/vuln/detail/${id}` };
    if (id.startsWith('GHSA-')) return { kind: 'ghsa', id, url: `https://github.com/advisories/${id}` };
    return { kind: 'url', id, url: `https://osv.dev/vulnerability/${id}` };
  });
}

function naming(group: readonly OsvRecord[]): string {
  const { ids, aliases } = groupIdentifiers(group);
  return aliases.length > 0 ? `${ids.join(', ')} (${aliases.join(', ')})` : ids.join(', ');
}

function summary(group: readonly OsvRecord[]): string | undefined {
  const text = group.map((record) => record.summary ?? record.details).find((value) => value && value.trim() !== '');
  return text?.trim().split('\n')[0]?.slice(0, 200);
}

interface GroupMatch {
  group: OsvRecord[];
  pinned?: string;
  /** The affected parts of an unpinned requirement's allowed range, formatted (`>=4.30, <4.38.0`). */
  affectedRanges: string[];
  listed: string[];
}

/** The advisory groups that affect a dependency: a pinned version inside a range, or part of an allowed range. */
export function matchDependency(database: OsvDatabase, fact: Dependency): GroupMatch[] {
  if (fact.url && !fact.pinnedVersion) return [];
  const matches: GroupMatch[] = [];
  for (const group of groupByAlias(database.recordsFor(fact.ecosystem, fact.name))) {
    let pinned: string | undefined;
    const affectedRanges = new Set<string>();
    const listed = new Set<string>();
    const npm = fact.ecosystem === 'npm';
    for (const record of group) {
      for (const affected of OsvDatabase.affectedFor(record, fact.ecosystem, fact.name)) {
        const match = npm ? matchNpmSpecifier(fact.specifier, affected) : matchSpecifier(fact.specifier, affected);
        if (match.kind === 'pinned' && match.affected) pinned = match.version;
        if (match.kind === 'unpinned') {
          for (const interval of match.subRanges) affectedRanges.add(formatInterval(interval, npm ? SEMVER : PEP440));
          for (const version of match.listed) listed.add(version);
        }
      }
    }
    if (pinned || affectedRanges.size > 0 || listed.size > 0)
      matches.push({ group, pinned, affectedRanges: [...affectedRanges], listed: [...listed] });
  }
  return matches;
}

const vulnerableMeta: RuleMeta = {
  id: 'supply-chain/vulnerable-dependency',
  pillar: 'supply-chain',
  severity: 'high',
  title: 'Pinned dependency has a known vulnerability',
  description:
    'A dependency the model declares or locks is pinned to a version an OSV advisory lists as affected (exact PEP 440 comparison for PyPI, pre-releases and local versions included; semver for npm; withdrawn advisories ignored, aliases merged). Severity comes from the advisory when it states one.',
  remediation: 'Upgrade the dependency to a fixed version named by the advisory and re-pin it.',
  references: [{ kind: 'url', id: 'OSV schema', url: 'https://ossf.github.io/osv-schema/' }],
};

export const vulnerableDependency: ModelRule = {
  meta: vulnerableMeta,
  *check(artifacts) {
    const found = [...dependencies(artifacts)];
    if (found.length === 0) return;
    const database = activeAdvisoryDatabase();
    if (!database) return;
    if (database instanceof Error) {
      yield {
        message: `${database.message}; ${found.length} dependencies were not checked for advisories`,
        severity: 'medium',
      };
      return;
    }
    for (const { fact, artifact } of found) {
      if (!fact.pinnedVersion) continue;
      for (const match of matchDependency(database, fact)) {
        if (!match.pinned) continue;
        const about = summary(match.group);
        const severity = groupSeverity(match.group);
        const saved = fact.savedWith
          ? `the model was saved with ${fact.name} ${match.pinned} (config.json), a version affected by ${naming(match.group)}; loading it with that version is exposed`
          : `${fact.name}==${match.pinned} is affected by ${naming(match.group)}`;
        yield {
          ...place(fact, artifact),
          message: `${saved}${about ? `: ${about}` : ''}`,
          severity: fact.savedWith && ORDER.indexOf(severity) > ORDER.indexOf('medium') ? 'medium' : severity,
          evidence: {
            package: fact.name,
            version: match.pinned,
            advisories: groupIdentifiers(match.group).ids,
            aliases: groupIdentifiers(match.group).aliases,
            source: fact.source,
          },
          references: references(match.group),
        };
      }
    }
  },
};

/** The plain "not pinned" sentence; implied dependencies say where they come from. */
function notPinned(fact: Dependency, allows: string): string {
  if (fact.source === 'python-import')
    return `${fact.name} is imported by shipped code (${fact.modules?.join(', ')}) but no requirement declares it: any version may be installed`;
  if (fact.source === 'model-card')
    return `${fact.name} is the library the card names (library_name) and no requirement pins it: any version may be installed`;
  return `${fact.name} is not pinned: ${allows}`;
}

/** Why a requirement cannot be read as a version range, or undefined when it can. */
function unreadableSpecifier(fact: Dependency): string | undefined {
  if (fact.url) return undefined;
  if (fact.ecosystem === 'npm')
    return npmRangeIntervals(fact.specifier) ? undefined : `"${fact.specifier}" is not a semver range`;
  const parsed = parseSpecifier(fact.specifier);
  return parsed.kind === 'unsupported' ? parsed.detail : undefined;
}

const unpinnedMeta: RuleMeta = {
  id: 'supply-chain/unpinned-dependency',
  pillar: 'supply-chain',
  severity: 'info',
  title: 'Dependency is not pinned to one version',
  description:
    "A dependency is declared as a range (or not constrained at all), so the installed version depends on when and where it is installed. When an advisory database is configured, the advisories that affect part of the allowed range are listed with the affected sub-range; the lowest allowed version is never assumed to be the installed one. Packages implied only by imports in shipped `.py` files or by the card's `library_name` are reported once per package, and not at all when a requirement declares them or a lockfile pins them.",
  remediation: 'Pin the dependency (`name==version`, ideally with `--hash`) to a version outside every affected range.',
  references: [
    { kind: 'url', id: 'pip: repeatable installs', url: 'https://pip.pypa.io/en/stable/topics/repeatable-installs/' },
  ],
};

export const unpinnedDependency: ModelRule = {
  meta: unpinnedMeta,
  *check(artifacts) {
    const database = activeAdvisoryDatabase();
    const locked = lockedPackages(artifacts);
    for (const { fact, artifact } of dependencies(artifacts)) {
      if (fact.pinnedVersion || fact.savedWith) continue;
      if (locked.has(`${folderOf(artifact)}\u0000${packageKey(fact)}`)) continue;
      const allowed = fact.url
        ? `a direct reference (${fact.url})`
        : fact.specifier === ''
          ? 'any version'
          : fact.specifier;
      const unreadable = unreadableSpecifier(fact);
      const matches = database instanceof OsvDatabase && !fact.url ? matchDependency(database, fact) : [];
      if (matches.length === 0) {
        yield {
          ...place(fact, artifact),
          message: notPinned(fact, `it allows ${allowed}${unreadable ? ` (${unreadable})` : ''}`),
          evidence: { package: fact.name, specifier: fact.specifier, source: fact.source },
        };
        continue;
      }
      const parts = matches.map((match) => {
        const ranges = [...match.affectedRanges, ...match.listed.map((version) => `==${version}`)];
        return `${naming(match.group)} affects ${ranges.join(' or ')}`;
      });
      yield {
        ...place(fact, artifact),
        message: `unpinned: ${fact.name} allows ${allowed}, and these advisories affect part of the allowed range: ${parts.join('; ')}`,
        severity: 'low',
        evidence: {
          package: fact.name,
          specifier: fact.specifier,
          source: fact.source,
          advisories: matches.map((match) => ({
            ids: groupIdentifiers(match.group).ids,
            aliases: groupIdentifiers(match.group).aliases,
            affectedRanges: match.affectedRanges,
            affectedVersions: match.listed,
          })),
        },
        references: matches.flatMap((match) => references(match.group)),
      };
    }
  },
};

export const DEPENDENCY_MODEL_RULES: readonly ModelRule[] = [vulnerableDependency, unpinnedDependency];

/** Package URL: `pkg:pypi/name@version`, `pkg:npm/%40scope/name@version` (version only when pinned). */
export function packageUrl(fact: Dependency): string {
  const type = fact.ecosystem === 'npm' ? 'npm' : 'pypi';
  const name = fact.name
    .split('/')
    .map((part) => encodeURIComponent(part))
    .join('/');
  return `pkg:${type}/${name}${fact.pinnedVersion ? `@${encodeURIComponent(fact.pinnedVersion)}` : ''}`;
}

function statedSeverity(group: readonly OsvRecord[]): Severity | undefined {
  const stated = group.map(recordSeverity).filter((severity) => severity !== undefined);
  return stated.length === 0 ? undefined : groupSeverity(group);
}

function sectionAdvisories(database: OsvDatabase | Error | undefined, fact: Dependency): DependencyAdvisory[] {
  if (!(database instanceof OsvDatabase)) return [];
  return matchDependency(database, fact).map((match) => {
    const { ids, aliases } = groupIdentifiers(match.group);
    const about = summary(match.group);
    const severity = statedSeverity(match.group);
    return {
      ids,
      aliases,
      ...(about ? { summary: about } : {}),
      ...(severity ? { severity } : {}),
      affected: match.pinned
        ? [`==${match.pinned}`]
        : [...match.affectedRanges, ...match.listed.map((version) => `==${version}`)],
    };
  });
}

/** The `dependencies` report section: every discovered dependency with the advisories that affect it. */
export const dependenciesSection: SectionBuilder = (artifacts) => {
  const found = [...dependencies(artifacts)];
  if (found.length === 0) return {};
  const database = activeAdvisoryDatabase();
  const entries = found.map(({ fact, artifact }): DependencyEntry => {
    const entry: DependencyEntry = {
      ecosystem: fact.ecosystem,
      name: fact.name,
      specifier: fact.specifier,
      pinned: fact.pinnedVersion !== undefined,
      purl: packageUrl(fact),
      scope: fact.scope ?? 'runtime',
      file: artifact.file,
      foundBy: fact.source,
      advisories: sectionAdvisories(database, fact),
    };
    if (fact.pinnedVersion) entry.version = fact.pinnedVersion;
    if (fact.url) entry.url = fact.url;
    if (artifact.member !== undefined) entry.member = artifact.member;
    if (fact.line !== undefined) entry.line = fact.line;
    return entry;
  });
  return {
    dependencies: {
      ...(database instanceof OsvDatabase
        ? {
            advisoryDatabase: {
              origin: database.origin,
              records: database.size,
              ...(database.newestModified ? { newestModified: database.newestModified } : {}),
            },
          }
        : {}),
      dependencies: entries,
    },
  };
};
