/**
 * PEP 440 evaluation of OSV `ECOSYSTEM` ranges and of requirement specifiers.
 *
 * Versions are ordered by @renovatebot/pep440 (`2.6.0rc1 < 2.6.0`, `1.0 == 1.0.0`, epochs, post and dev releases).
 * Local versions compare as their public part: `2.5.1+cu121` is a build of 2.5.1 and is affected exactly when 2.5.1 is.
 * `satisfies` is not used for advisory ranges: PEP 440's `<V` excludes V's pre-releases, OSV's `fixed: V` does not.
 * The interval algebra takes a `VersionScheme`, so npm's semver (`semver-match.ts`) reuses it with its own order.
 */
import { compare, valid } from '@renovatebot/pep440';

/** How an ecosystem orders versions, and which OSV range type it uses. */
export interface VersionScheme {
  /** OSV range types read with this order (osv.dev writes npm ranges as SEMVER, GitHub's own files as ECOSYSTEM). */
  rangeTypes: readonly string[];
  valid(version: string): boolean;
  /** Negative, zero or positive; only called with valid versions. */
  compare(a: string, b: string): number;
}

export interface VersionBound {
  version: string;
  inclusive: boolean;
}

/** A contiguous set of versions; a missing bound is unbounded. */
export interface VersionInterval {
  lower?: VersionBound;
  upper?: VersionBound;
}

export interface OsvEvent {
  introduced?: string;
  fixed?: string;
  last_affected?: string;
  limit?: string;
}

export interface OsvRange {
  type: string;
  events: OsvEvent[];
}

export interface OsvAffected {
  package?: { ecosystem?: string; name?: string };
  ranges?: OsvRange[];
  versions?: string[];
}

/** The public part of a version (`2.5.1+cu121` → `2.5.1`). */
export function publicVersion(version: string): string {
  const plus = version.indexOf('+');
  return (plus < 0 ? version : version.slice(0, plus)).trim();
}

export function isValidVersion(version: string): boolean {
  return valid(publicVersion(version)) !== null;
}

/** Orders two versions by their public parts; invalid versions throw. */
export function compareVersions(a: string, b: string): number {
  const left = publicVersion(a);
  const right = publicVersion(b);
  if (valid(left) === null) throw new Error(`not a PEP 440 version: ${a}`);
  if (valid(right) === null) throw new Error(`not a PEP 440 version: ${b}`);
  return Math.sign(compare(left, right));
}

export const PEP440: VersionScheme = { rangeTypes: ['ECOSYSTEM'], valid: isValidVersion, compare: compareVersions };

function aboveLower(version: string, lower: VersionBound | undefined, scheme: VersionScheme): boolean {
  if (!lower) return true;
  const order = scheme.compare(version, lower.version);
  return order > 0 || (order === 0 && lower.inclusive);
}

function belowUpper(version: string, upper: VersionBound | undefined, scheme: VersionScheme): boolean {
  if (!upper) return true;
  const order = scheme.compare(version, upper.version);
  return order < 0 || (order === 0 && upper.inclusive);
}

export function contains(interval: VersionInterval, version: string, scheme = PEP440): boolean {
  return aboveLower(version, interval.lower, scheme) && belowUpper(version, interval.upper, scheme);
}

/**
 * The affected intervals an `ECOSYSTEM` range describes: events sorted by version, `introduced` opens an interval,
 * `fixed` closes it exclusively, `last_affected` inclusively. `introduced: "0"` means every version.
 * Events whose version is not PEP 440 are ignored (reported by `unparsedEvents`).
 */
export function rangeIntervals(range: OsvRange, scheme = PEP440): VersionInterval[] {
  const events = range.events
    .map((event) => {
      if (event.introduced !== undefined) return { type: 'introduced' as const, version: event.introduced };
      if (event.fixed !== undefined) return { type: 'fixed' as const, version: event.fixed };
      if (event.last_affected !== undefined) return { type: 'last_affected' as const, version: event.last_affected };
      return undefined;
    })
    .filter((event) => event !== undefined)
    .filter((event) => event.version === '0' || scheme.valid(event.version));
  const rank = (event: (typeof events)[number]) => (event.type === 'introduced' && event.version === '0' ? -1 : 0);
  events.sort((a, b) => rank(a) - rank(b) || (rank(a) < 0 ? 0 : scheme.compare(a.version, b.version)));
  const intervals: VersionInterval[] = [];
  let open: VersionInterval | undefined;
  for (const event of events) {
    if (event.type === 'introduced') {
      if (!open) open = event.version === '0' ? {} : { lower: { version: event.version, inclusive: true } };
    } else if (open) {
      open.upper = { version: event.version, inclusive: event.type === 'last_affected' };
      intervals.push(open);
      open = undefined;
    }
  }
  if (open) intervals.push(open);
  return intervals;
}

/** Every affected interval of one `affected` entry (its `ECOSYSTEM` ranges, or `SEMVER` ones for npm). */
export function affectedIntervals(affected: OsvAffected, scheme = PEP440): VersionInterval[] {
  return (affected.ranges ?? [])
    .filter((range) => scheme.rangeTypes.includes(range.type))
    .flatMap((range) => rangeIntervals(range, scheme));
}

function listedVersion(affected: OsvAffected, version: string, scheme: VersionScheme): boolean {
  return (affected.versions ?? []).some((listed) => scheme.valid(listed) && scheme.compare(listed, version) === 0);
}

/** Whether an exact version is affected: inside a range or named in `versions`. */
export function isAffected(affected: OsvAffected, version: string, scheme = PEP440): boolean {
  if (!scheme.valid(version)) return false;
  return (
    affectedIntervals(affected, scheme).some((interval) => contains(interval, version, scheme)) ||
    listedVersion(affected, version, scheme)
  );
}

/** What a requirement specifier allows. */
export type ParsedSpecifier =
  | { kind: 'pinned'; version: string }
  | { kind: 'range'; interval: VersionInterval; excluded: string[] }
  | { kind: 'unsupported'; detail: string };

function bumpPrefix(release: string, dropLast: boolean): string {
  const parts = release.split('.');
  if (dropLast && parts.length > 1) parts.pop();
  const last = Number.parseInt(parts[parts.length - 1] ?? '0', 10);
  parts[parts.length - 1] = String(last + 1);
  return `${parts.join('.')}.dev0`;
}

function tighterLower(
  a: VersionBound | undefined,
  b: VersionBound | undefined,
  scheme: VersionScheme,
): VersionBound | undefined {
  if (!a) return b;
  if (!b) return a;
  const order = scheme.compare(a.version, b.version);
  if (order !== 0) return order > 0 ? a : b;
  return a.inclusive ? b : a;
}

function tighterUpper(
  a: VersionBound | undefined,
  b: VersionBound | undefined,
  scheme: VersionScheme,
): VersionBound | undefined {
  if (!a) return b;
  if (!b) return a;
  const order = scheme.compare(a.version, b.version);
  if (order !== 0) return order < 0 ? a : b;
  return a.inclusive ? b : a;
}

/** The intersection of two intervals, or undefined when it is empty. */
export function intersect(a: VersionInterval, b: VersionInterval, scheme = PEP440): VersionInterval | undefined {
  const result: VersionInterval = {
    lower: tighterLower(a.lower, b.lower, scheme),
    upper: tighterUpper(a.upper, b.upper, scheme),
  };
  if (result.lower && result.upper) {
    const order = scheme.compare(result.lower.version, result.upper.version);
    if (order > 0 || (order === 0 && !(result.lower.inclusive && result.upper.inclusive))) return undefined;
  }
  if (!result.lower) delete result.lower;
  if (!result.upper) delete result.upper;
  return result;
}

/**
 * Parses a PEP 440 specifier set (`>=2.0,<3`, `~=4.36`, `==2.5.*`, `==2.5.1+cu121`, `!=2.1`).
 * An empty specifier allows every version.
 */
export function parseSpecifier(specifier: string): ParsedSpecifier {
  let interval: VersionInterval = {};
  const excluded: string[] = [];
  const clauses = specifier
    .split(',')
    .map((clause) => clause.trim())
    .filter((clause) => clause !== '');
  for (const clause of clauses) {
    const match = /^(~=|===|==|!=|<=|>=|<|>)\s*(.+)$/.exec(clause);
    if (!match) return { kind: 'unsupported', detail: `cannot read "${clause}"` };
    const [, operator, raw] = match as unknown as [string, string, string];
    const wildcard = raw.endsWith('.*');
    const version = wildcard ? raw.slice(0, -2) : raw;
    if (operator === '===') {
      if (clauses.length === 1) return { kind: 'pinned', version };
      continue;
    }
    if (!isValidVersion(version)) return { kind: 'unsupported', detail: `"${version}" is not a PEP 440 version` };
    let next: VersionInterval;
    switch (operator) {
      case '==':
        if (!wildcard) {
          if (clauses.length === 1) return { kind: 'pinned', version };
          next = { lower: { version, inclusive: true }, upper: { version, inclusive: true } };
        } else {
          next = {
            lower: { version: `${publicVersion(version)}.dev0`, inclusive: true },
            upper: { version: bumpPrefix(publicVersion(version), false), inclusive: false },
          };
        }
        break;
      case '!=':
        excluded.push(raw);
        continue;
      case '~=':
        next = {
          lower: { version, inclusive: true },
          upper: {
            version: bumpPrefix(publicVersion(version).replace(/(\.?(a|b|rc|post|dev)\d*)+$/, ''), true),
            inclusive: false,
          },
        };
        break;
      case '>=':
        next = { lower: { version, inclusive: true } };
        break;
      case '>':
        next = { lower: { version, inclusive: false } };
        break;
      case '<=':
        next = { upper: { version, inclusive: true } };
        break;
      default:
        next = { upper: { version, inclusive: false } };
    }
    const merged = intersect(interval, next);
    if (!merged) return { kind: 'unsupported', detail: `"${specifier}" allows no version` };
    interval = merged;
  }
  return { kind: 'range', interval, excluded };
}

/** `>=2.0, <2.6.0`; `any version` when unbounded; `==V` for a single version. */
export function formatInterval(interval: VersionInterval, scheme = PEP440): string {
  const { lower, upper } = interval;
  if (lower && upper && lower.inclusive && upper.inclusive && scheme.compare(lower.version, upper.version) === 0) {
    return `==${lower.version}`;
  }
  const parts: string[] = [];
  if (lower) parts.push(`${lower.inclusive ? '>=' : '>'}${lower.version}`);
  if (upper) parts.push(`${upper.inclusive ? '<=' : '<'}${upper.version}`);
  return parts.length === 0 ? 'any version' : parts.join(', ');
}

/** What an advisory's `affected` entry means for one requirement. */
export type SpecifierMatch =
  | { kind: 'pinned'; version: string; affected: boolean }
  /** The parts of the allowed range the advisory affects; empty when it affects none of it. */
  | { kind: 'unpinned'; allowed: VersionInterval[]; subRanges: VersionInterval[]; listed: string[] }
  | { kind: 'unsupported'; detail: string };

export function matchSpecifier(specifier: string, affected: OsvAffected): SpecifierMatch {
  const parsed = parseSpecifier(specifier);
  if (parsed.kind === 'unsupported') return parsed;
  if (parsed.kind === 'pinned') {
    return { kind: 'pinned', version: parsed.version, affected: isAffected(affected, parsed.version) };
  }
  return matchAllowed([parsed.interval], parsed.excluded, affected, PEP440);
}

/**
 * The parts of an allowed range (a union of intervals, minus excluded single versions) an `affected` entry covers:
 * its ranges intersected with each allowed interval, plus listed versions outside those.
 */
export function matchAllowed(
  allowed: readonly VersionInterval[],
  excluded: readonly string[],
  affected: OsvAffected,
  scheme: VersionScheme,
): Extract<SpecifierMatch, { kind: 'unpinned' }> {
  const isExcluded = (version: string) =>
    excluded.some((entry) => scheme.valid(entry) && scheme.compare(entry, version) === 0);
  const subRanges = affectedIntervals(affected, scheme)
    .flatMap((interval) => allowed.map((range) => intersect(range, interval, scheme)))
    .filter((interval) => interval !== undefined)
    .filter(
      (interval) =>
        // A sub-range that is a single excluded version (`!=V`) is not allowed after all.
        !(
          interval.lower &&
          interval.upper &&
          formatInterval(interval, scheme) === `==${interval.lower.version}` &&
          isExcluded(interval.lower.version)
        ),
    );
  const listed = (affected.versions ?? []).filter(
    (version) =>
      scheme.valid(version) &&
      allowed.some((range) => contains(range, version, scheme)) &&
      !isExcluded(version) &&
      !subRanges.some((interval) => contains(interval, version, scheme)),
  );
  return { kind: 'unpinned', allowed: [...allowed], subRanges, listed };
}
