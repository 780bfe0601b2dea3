/**
 * npm versions against OSV `SEMVER` ranges, through the same interval algebra as PyPI (`pep440-match.ts`) with
 * semver's order. A package.json range (`^4.17.0 || ~5.0.1`) becomes a union of intervals; the advisories are
 * reported on the affected part of that union, never as if its lowest version were installed.
 */
import semver from 'semver';
import {
  isAffected,
  matchAllowed,
  type OsvAffected,
  type SpecifierMatch,
  type VersionInterval,
  type VersionScheme,
} from './pep440-match.js';

export const SEMVER: VersionScheme = {
  rangeTypes: ['SEMVER', 'ECOSYSTEM'],
  valid: (version) => semver.valid(version) !== null,
  compare: (a, b) => semver.compare(a, b),
};

/** The exact version an npm requirement names (`1.2.3`, `=1.2.3`, `v1.2.3`), or undefined for a range. */
export function npmPinnedVersion(specifier: string): string | undefined {
  const trimmed = specifier.trim().replace(/^=\s*/, '');
  return semver.valid(trimmed) ?? undefined;
}

/** A semver range as intervals: each `||` alternative is the intersection of its comparators. */
export function npmRangeIntervals(specifier: string): VersionInterval[] | undefined {
  let range: semver.Range;
  try {
    range = new semver.Range(specifier.trim() === '' ? '*' : specifier);
  } catch {
    return undefined;
  }
  return range.set.map((comparators) => {
    const interval: VersionInterval = {};
    for (const comparator of comparators) {
      if (comparator.value === '') continue; // `*`: any version
      const version = comparator.semver.version;
      const operator = comparator.operator;
      if (operator === '' || operator === '=') {
        interval.lower = { version, inclusive: true };
        interval.upper = { version, inclusive: true };
      } else if (operator.startsWith('>')) interval.lower = { version, inclusive: operator === '>=' };
      else interval.upper = { version, inclusive: operator === '<=' };
    }
    return interval;
  });
}

/** What an advisory's `affected` entry means for one npm requirement. */
export function matchNpmSpecifier(specifier: string, affected: OsvAffected): SpecifierMatch {
  const pinned = npmPinnedVersion(specifier);
  if (pinned) return { kind: 'pinned', version: pinned, affected: isAffected(affected, pinned, SEMVER) };
  const intervals = npmRangeIntervals(specifier);
  if (!intervals) return { kind: 'unsupported', detail: `"${specifier}" is not a semver range` };
  return matchAllowed(intervals, [], affected, SEMVER);
}
