/**
 * Dependencies a model folder declares: Python's requirements*.txt, pyproject.toml (PEP 621 and Poetry), setup.cfg,
 * environment.yml (its pip section), Pipfile.lock, config.json's `transformers_version` (the version that saved it),
 * and npm's package.json (ranges) and package-lock.json v1-v3 (installed versions).
 * Facts only: matching against advisories is the supply-chain rules' job.
 */
import { parse as parseToml } from 'smol-toml';
import { parse as parseYaml } from 'yaml';
import { npmPinnedVersion } from '../supply-chain/semver-match.js';
import type { TextInput, TextInspector } from './plugins.js';

export type DependencySource =
  | 'requirements'
  | 'pyproject'
  | 'poetry'
  | 'setup.cfg'
  | 'environment.yml'
  | 'Pipfile.lock'
  | 'config.json'
  | 'package.json'
  | 'package-lock.json'
  | 'model-card'
  | 'python-import';

export type DependencyFact =
  | {
      kind: 'dependency';
      ecosystem: 'PyPI' | 'npm';
      /** PyPI: PEP 503 normalised; npm: as published (scoped names keep their `@scope/`). */
      name: string;
      /** PyPI: PEP 440 specifier set; npm: semver range; as declared ('' allows any version). */
      specifier: string;
      /** Set when the specifier names exactly one version (`==V`, `===V`). */
      pinnedVersion?: string;
      source: DependencySource;
      /** 1-based line of the declaration, when known. */
      line?: number;
      extras?: string[];
      marker?: string;
      /** Direct reference (`name @ url`, `git+https://…#egg=name`): the version is whatever the URL holds. */
      url?: string;
      /** Number of `--hash` options (hash-checking mode). */
      hashes?: number;
      /** config.json: the version the model was saved with, not necessarily the one that loads it. */
      savedWith?: boolean;
      /** Declared for development or as optional; runtime when absent. */
      scope?: 'dev' | 'optional';
      /** Python imports: the module names that imply this distribution. */
      modules?: string[];
    }
  /** `-r other.txt` / `-c constraints.txt`: a file the requirements pull in (inspected on its own when shipped). */
  | { kind: 'dependency-include'; path: string; constraint: boolean; line: number };

type Dependency = Extract<DependencyFact, { kind: 'dependency' }>;

export function normaliseName(name: string): string {
  return name
    .trim()
    .toLowerCase()
    .replace(/[-_.]+/g, '-');
}

function base(name: string): string {
  return name.slice(name.lastIndexOf('/') + 1);
}

const REQUIREMENTS = /requirements[^/]*\.(txt|in)$/i;
const NAMES =
  /^(pyproject\.toml|setup\.cfg|environment\.ya?ml|Pipfile\.lock|config\.json|package\.json|package-lock\.json)$/;

export const dependencyInspector: TextInspector = {
  accepts: ({ name, format, container }) =>
    container === undefined &&
    (format === 'text' || format === 'json') &&
    (REQUIREMENTS.test(base(name)) || NAMES.test(base(name))),
  inspect(input) {
    const name = base(input.name);
    try {
      if (REQUIREMENTS.test(name)) requirementsFile(input);
      else if (name === 'pyproject.toml') pyproject(input);
      else if (name === 'setup.cfg') setupCfg(input);
      else if (name === 'Pipfile.lock') pipfileLock(input);
      else if (name === 'config.json') configJson(input);
      else if (name === 'package.json') packageJson(input);
      else if (name === 'package-lock.json') packageLock(input);
      else environmentYml(input);
    } catch (error) {
      input.facts.push({ kind: 'malformed', detail: `dependencies could not be read: ${(error as Error).message}` });
    }
  },
};

function pinOf(specifier: string): string | undefined {
  const match = /^\s*===?\s*([^\s,*]+)\s*$/.exec(specifier);
  return match?.[1];
}

export function dependency(
  source: DependencySource,
  name: string,
  specifier: string,
  extra: Partial<Dependency>,
): Dependency {
  const spec = specifier.replace(/\s+/g, '').replace(/^\((.*)\)$/, '$1');
  const fact: Dependency = {
    kind: 'dependency',
    ecosystem: 'PyPI',
    name: normaliseName(name),
    specifier: spec,
    source,
  };
  const pinned = pinOf(spec);
  if (pinned) fact.pinnedVersion = pinned;
  for (const [key, value] of Object.entries(extra)) {
    if (value !== undefined) (fact as Record<string, unknown>)[key] = value;
  }
  return fact;
}

/** One PEP 508 requirement (`name[extra]>=1,<2; marker`, `name @ url ; marker`); undefined when it is not one. */
export function parseRequirement(text: string, source: DependencySource, line?: number): Dependency | undefined {
  const trimmed = text.trim();
  // Bare VCS or archive URL: `git+https://…#egg=name`.
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(trimmed)) {
    const egg = /[#&]egg=([A-Za-z0-9][A-Za-z0-9._-]*)/.exec(trimmed);
    return egg?.[1] ? dependency(source, egg[1], '', { line, url: trimmed.split(/\s/)[0] }) : undefined;
  }
  const semicolon = trimmed.search(/;(?=(?:[^"']|"[^"]*"|'[^']*')*$)/);
  const body = (semicolon >= 0 ? trimmed.slice(0, semicolon) : trimmed).trim();
  const marker = semicolon >= 0 ? trimmed.slice(semicolon + 1).trim() || undefined : undefined;
  const match = /^([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)\s*(?:\[([^\]]*)\])?\s*(.*)$/.exec(body);
  if (!match) return undefined;
  const [, name = '', extrasText, rest = ''] = match;
  const extras = extrasText
    ?.split(',')
    .map((extra) => extra.trim())
    .filter((extra) => extra !== '');
  const at = /^@\s*(\S+)/.exec(rest);
  if (at) return dependency(source, name, '', { line, extras, marker, url: at[1] });
  if (rest !== '' && !/^\(?\s*(~=|===|==|!=|<=|>=|<|>)/.test(rest)) return undefined;
  return dependency(source, name, rest, { line, extras: extras?.length ? extras : undefined, marker });
}

function requirementsFile(input: TextInput): void {
  const lines = input.text.split(/\r?\n/);
  for (let index = 0; index < lines.length; index++) {
    const line = index + 1;
    let text = lines[index] ?? '';
    while (text.endsWith('\\') && index + 1 < lines.length) text = text.slice(0, -1) + (lines[++index] ?? '');
    text = text.replace(/(^|\s)#.*$/, '').trim();
    if (text === '') continue;
    const include = /^(-r|--requirement|-c|--constraint)(?:\s+|=)(\S+)/.exec(text);
    if (include?.[2]) {
      input.facts.push({
        kind: 'dependency-include',
        path: include[2],
        constraint: include[1]?.startsWith('-c') === true || include[1] === '--constraint',
        line,
      });
      continue;
    }
    const editable = /^(-e|--editable)(?:\s+|=)(\S+)/.exec(text);
    if (editable?.[2]) {
      const fact = parseRequirement(editable[2], 'requirements', line);
      if (fact) input.facts.push(fact);
      continue;
    }
    if (text.startsWith('-')) continue; // --index-url, --find-links, --pre, …
    const hashes = text.match(/--hash[=\s]\S+/g)?.length;
    const requirement = text.replace(/\s--\S+(?:[=\s]\S+)?/g, ' ').trim();
    const fact = parseRequirement(requirement, 'requirements', line);
    if (fact) {
      if (hashes) fact.hashes = hashes;
      input.facts.push(fact);
    }
  }
}

/** 1-based line of the first line containing `needle` (after `from`), for facts from parsed documents. */
function lineOf(text: string, needle: string, from = 0): number | undefined {
  const at = text.indexOf(needle, from);
  return at < 0 ? undefined : text.slice(0, at).split('\n').length;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function pep508List(input: TextInput, source: DependencySource, values: unknown, scope?: Dependency['scope']): void {
  if (!Array.isArray(values)) return;
  for (const value of values) {
    if (typeof value !== 'string') continue;
    const fact = parseRequirement(value, source, lineOf(input.text, value));
    if (fact && scope) fact.scope = scope;
    if (fact) input.facts.push(fact);
  }
}

/** Poetry's constraint syntax to PEP 440: `^1.2.3` → `>=1.2.3,<2.0.0`, `~1.2` → `>=1.2,<1.3`, `1.2.3` → `==1.2.3`. */
export function poetryToPep440(constraint: string): string {
  const clauses = constraint
    .split(/\s*,\s*|\s+(?=[<>=!~^])/)
    .map((clause) => clause.trim())
    .filter((clause) => clause !== '' && clause !== '*');
  return clauses
    .map((clause) => {
      const caret = /^\^\s*(\d+(?:\.\d+)*)$/.exec(clause);
      if (caret?.[1]) {
        const parts = caret[1].split('.').map(Number);
        const first = parts.findIndex((part) => part !== 0);
        const index = first < 0 ? parts.length - 1 : Math.min(first, parts.length - 1);
        const upper = parts.slice(0, index + 1);
        upper[index] = (upper[index] ?? 0) + 1;
        return `>=${caret[1]},<${upper.join('.')}`;
      }
      const tilde = /^~\s*(\d+(?:\.\d+)*)$/.exec(clause);
      if (tilde?.[1]) {
        const parts = tilde[1].split('.').map(Number);
        const upper = parts.length === 1 ? [(parts[0] ?? 0) + 1] : [parts[0] ?? 0, (parts[1] ?? 0) + 1];
        return `>=${tilde[1]},<${upper.join('.')}`;
      }
      if (/^\d/.test(clause)) return `==${clause}`;
      if (/^=[^=]/.test(clause)) return `=${clause}`;
      return clause;
    })
    .join(',');
}

function pyproject(input: TextInput): void {
  const document = parseToml(input.text) as Record<string, unknown>;
  const project = document.project;
  if (isRecord(project)) {
    pep508List(input, 'pyproject', project.dependencies);
    if (isRecord(project['optional-dependencies'])) {
      for (const list of Object.values(project['optional-dependencies']))
        pep508List(input, 'pyproject', list, 'optional');
    }
  }
  const tool = document.tool;
  const poetry = isRecord(tool) ? tool.poetry : undefined;
  if (!isRecord(poetry)) return;
  // Poetry groups other than the implicit main one are development tooling (tests, docs, lint).
  const tables: [unknown, Dependency['scope']][] = [
    [poetry.dependencies, undefined],
    [poetry['dev-dependencies'], 'dev'],
  ];
  if (isRecord(poetry.group)) {
    for (const group of Object.values(poetry.group)) if (isRecord(group)) tables.push([group.dependencies, 'dev']);
  }
  const poetryStart = input.text.indexOf('[tool.poetry');
  for (const [table, scope] of tables) {
    if (!isRecord(table)) continue;
    for (const [name, value] of Object.entries(table)) {
      if (name.toLowerCase() === 'python') continue;
      const line = lineOf(input.text, `${name}`, Math.max(0, poetryStart));
      const entries = Array.isArray(value) ? value : [value];
      for (const entry of entries) {
        if (typeof entry === 'string') {
          input.facts.push(dependency('poetry', name, poetryToPep440(entry), { line, scope }));
        } else if (isRecord(entry)) {
          const url = ['git', 'url', 'path'].map((key) => entry[key]).find((field) => typeof field === 'string') as
            | string
            | undefined;
          const version = typeof entry.version === 'string' ? poetryToPep440(entry.version) : '';
          const extras = Array.isArray(entry.extras)
            ? entry.extras.filter((extra) => typeof extra === 'string')
            : undefined;
          const marker = typeof entry.markers === 'string' ? entry.markers : undefined;
          input.facts.push(dependency('poetry', name, version, { line, url, extras, marker, scope }));
        }
      }
    }
  }
}

function setupCfg(input: TextInput): void {
  const lines = input.text.split(/\r?\n/);
  let section = '';
  let collecting = false;
  for (let index = 0; index < lines.length; index++) {
    const raw = lines[index] ?? '';
    const header = /^\s*\[([^\]]+)\]/.exec(raw);
    if (header?.[1]) {
      section = header[1].trim();
      collecting = false;
      continue;
    }
    const text = raw.replace(/(^|\s)[#;].*$/, '');
    const key = /^([A-Za-z0-9_.-]+)\s*[=:]\s*(.*)$/.exec(text);
    if (key && !/^\s/.test(raw)) {
      collecting = (section === 'options' && key[1] === 'install_requires') || section === 'options.extras_require';
      if (collecting && key[2]?.trim()) addSetupValue(input, key[2], index + 1);
      continue;
    }
    if (collecting && /^\s/.test(raw) && text.trim() !== '') addSetupValue(input, text, index + 1);
    else if (text.trim() !== '' && !/^\s/.test(raw)) collecting = false;
  }
}

function addSetupValue(input: TextInput, value: string, line: number): void {
  for (const part of value.split(/\n/)) {
    const fact = parseRequirement(part, 'setup.cfg', line);
    if (fact) input.facts.push(fact);
  }
}

function environmentYml(input: TextInput): void {
  const document: unknown = parseYaml(input.text);
  if (!isRecord(document) || !Array.isArray(document.dependencies)) return;
  const pipStart = input.text.search(/-\s*pip\s*:/);
  for (const item of document.dependencies) {
    if (!isRecord(item) || !Array.isArray(item.pip)) continue;
    for (const value of item.pip) {
      if (typeof value !== 'string' || value.startsWith('-')) continue;
      const fact = parseRequirement(value, 'environment.yml', lineOf(input.text, value, Math.max(0, pipStart)));
      if (fact) input.facts.push(fact);
    }
  }
}

function pipfileLock(input: TextInput): void {
  const document: unknown = JSON.parse(input.text);
  if (!isRecord(document)) return;
  for (const group of ['default', 'develop']) {
    const table = document[group];
    if (!isRecord(table)) continue;
    for (const [name, value] of Object.entries(table)) {
      if (!isRecord(value)) continue;
      const specifier = typeof value.version === 'string' ? value.version : '';
      const url = typeof value.git === 'string' ? value.git : typeof value.file === 'string' ? value.file : undefined;
      input.facts.push(
        dependency('Pipfile.lock', name, specifier, {
          line: lineOf(input.text, `"${name}"`),
          marker: typeof value.markers === 'string' ? value.markers : undefined,
          hashes: Array.isArray(value.hashes) && value.hashes.length > 0 ? value.hashes.length : undefined,
          url,
          scope: group === 'develop' ? 'dev' : undefined,
        }),
      );
    }
  }
}

function configJson(input: TextInput): void {
  let document: unknown;
  try {
    document = JSON.parse(input.text);
  } catch {
    return; // model-config reports malformed configs
  }
  if (!isRecord(document) || typeof document.transformers_version !== 'string') return;
  const version = document.transformers_version.trim();
  if (!/^[0-9][0-9A-Za-z.+!-]*$/.test(version)) return;
  input.facts.push(
    dependency('config.json', 'transformers', `==${version}`, {
      line: lineOf(input.text, '"transformers_version"'),
      savedWith: true,
    }),
  );
}

function npmDependency(name: string, specifier: string, extra: Partial<Dependency>): Dependency {
  const fact: Dependency = {
    kind: 'dependency',
    ecosystem: 'npm',
    name,
    specifier: specifier.trim(),
    source: 'package.json',
  };
  // git, file:, link:, workspace:, http(s) and npm: aliases name no registry version of this package.
  if (/^(?:[a-z+]+:|[^@\s]+\/[^@\s]+$)/i.test(fact.specifier) && !fact.specifier.startsWith('npm:'))
    fact.url = fact.specifier;
  const pinned = npmPinnedVersion(fact.specifier);
  if (pinned) fact.pinnedVersion = pinned;
  for (const [key, value] of Object.entries(extra)) {
    if (value !== undefined) (fact as Record<string, unknown>)[key] = value;
  }
  return fact;
}

function packageJson(input: TextInput): void {
  const document: unknown = JSON.parse(input.text);
  if (!isRecord(document)) return;
  const groups: [string, Dependency['scope']][] = [
    ['dependencies', undefined],
    ['devDependencies', 'dev'],
    ['optionalDependencies', 'optional'],
  ];
  for (const [group, scope] of groups) {
    const table = document[group];
    if (!isRecord(table)) continue;
    const start = Math.max(0, input.text.indexOf(`"${group}"`));
    for (const [name, specifier] of Object.entries(table)) {
      if (typeof specifier !== 'string') continue;
      input.facts.push(npmDependency(name, specifier, { line: lineOf(input.text, `"${name}"`, start), scope }));
    }
  }
}

/** The package name of a lockfile `packages` key: the part after the last `node_modules/`. */
function lockedName(key: string): string {
  const at = key.lastIndexOf('node_modules/');
  return at < 0 ? key : key.slice(at + 'node_modules/'.length);
}

function lockScope(entry: Record<string, unknown>): Dependency['scope'] {
  if (entry.dev === true) return 'dev';
  if (entry.optional === true || entry.devOptional === true) return 'optional';
  return undefined;
}

function lockFact(
  input: TextInput,
  name: string,
  entry: Record<string, unknown>,
  needle: string,
): Dependency | undefined {
  if (typeof entry.version !== 'string' || entry.link === true) return undefined;
  const fact = npmDependency(name, entry.version, {
    source: 'package-lock.json',
    line: lineOf(input.text, needle),
    scope: lockScope(entry),
  });
  // v1 lockfiles put the URL of a git dependency in `version`.
  return fact.url || fact.pinnedVersion ? fact : undefined;
}

function packageLock(input: TextInput): void {
  const document: unknown = JSON.parse(input.text);
  if (!isRecord(document)) return;
  // v2 and v3: a flat `packages` map keyed by install path; "" is the project itself.
  if (isRecord(document.packages)) {
    for (const [key, entry] of Object.entries(document.packages)) {
      if (key === '' || !isRecord(entry) || !key.includes('node_modules/')) continue;
      const name = typeof entry.name === 'string' ? entry.name : lockedName(key);
      const fact = lockFact(input, name, entry, `"${key}"`);
      if (fact) input.facts.push(fact);
    }
    return;
  }
  // v1: a tree of `dependencies`.
  const walk = (table: unknown) => {
    if (!isRecord(table)) return;
    for (const [name, entry] of Object.entries(table)) {
      if (!isRecord(entry)) continue;
      const fact = lockFact(input, name, entry, `"${name}"`);
      if (fact) input.facts.push(fact);
      walk(entry.dependencies);
    }
  };
  walk(document.dependencies);
}
