/** npm: discovery from package.json and package-lock.json, semver matching against real npm advisories. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { auditPlan, NOT_ANALYSED_RULE_ID, VERSION } from '../../src/assay.js';
import { matchDependency } from '../../src/checks/supply-chain/dependencies.js';
import { audit } from '../../src/core/audit.js';
import { DEFAULT_POLICY } from '../../src/core/policy.js';
import { DEFAULT_LIMITS } from '../../src/formats/analyse.js';
import { type DependencyFact, dependencyInspector } from '../../src/formats/dependencies.js';
import type { Fact } from '../../src/formats/facts.js';
import { OsvDatabase, type OsvRecord } from '../../src/supply-chain/osv.js';
import { matchNpmSpecifier } from '../../src/supply-chain/semver-match.js';
import {
  IP_SSRF_LAST_AFFECTED,
  LODASH_PROTOTYPE_POLLUTION,
  MINIMIST_PROTOTYPE_POLLUTION,
  NPM_ADVISORIES,
  osvFiles,
} from '../fixtures/osv-npm.js';
import { tempFolder } from '../helpers.js';

type Dependency = Extract<DependencyFact, { kind: 'dependency' }>;

function discover(name: string, text: string): Dependency[] {
  const facts: Fact[] = [];
  const input = { file: name, name, format: 'json', limits: DEFAULT_LIMITS } as const;
  expect(dependencyInspector.accepts(input)).toBe(true);
  dependencyInspector.inspect({ ...input, text, facts });
  return facts.filter((fact): fact is Dependency => fact.kind === 'dependency');
}

const npm = (name: string, specifier: string): Dependency => ({
  kind: 'dependency',
  ecosystem: 'npm',
  name,
  specifier,
  source: 'package.json',
});

function database(records: readonly OsvRecord[]): OsvDatabase {
  const db = new OsvDatabase('test');
  for (const record of records) db.add(record);
  return db;
}

const matches = (db: OsvDatabase, name: string, specifier: string) =>
  matchDependency(db, {
    ...npm(name, specifier),
    pinnedVersion: /^\d+\.\d+\.\d+$/.test(specifier) ? specifier : undefined,
  }).map((match) => [
    match.group.map((record) => record.id).join('+'),
    match.pinned ?? match.affectedRanges.join(' or '),
  ]);

const PACKAGE_JSON = `{
  "name": "model-demo",
  "dependencies": {
    "lodash": "^4.17.0",
    "minimist": "1.2.5",
    "left-pad": "github:stevemao/left-pad"
  },
  "devDependencies": {
    "ip": "~1.1.5"
  },
  "optionalDependencies": {
    "@scope/tool": ">=2 <3"
  }
}
`;

const LOCK_V3 = `{
  "name": "model-demo",
  "lockfileVersion": 3,
  "packages": {
    "": { "name": "model-demo", "dependencies": { "lodash": "^4.17.0" } },
    "node_modules/lodash": { "version": "4.17.11", "resolved": "https://registry.npmjs.org/lodash/-/lodash-4.17.11.tgz" },
    "node_modules/ip": { "version": "1.1.8", "dev": true },
    "node_modules/mkdirp/node_modules/minimist": { "version": "0.0.8" },
    "node_modules/local-thing": { "resolved": "packages/local-thing", "link": true }
  }
}
`;

describe('npm discovery', () => {
  it('reads package.json dependencies, devDependencies (dev) and optionalDependencies with their lines', () => {
    const facts = discover('package.json', PACKAGE_JSON);
    expect(
      facts.map((fact) => [fact.name, fact.specifier, fact.pinnedVersion, fact.scope, fact.line, fact.url]),
    ).toEqual([
      ['lodash', '^4.17.0', undefined, undefined, 4, undefined],
      ['minimist', '1.2.5', '1.2.5', undefined, 5, undefined],
      ['left-pad', 'github:stevemao/left-pad', undefined, undefined, 6, 'github:stevemao/left-pad'],
      ['ip', '~1.1.5', undefined, 'dev', 9, undefined],
      ['@scope/tool', '>=2 <3', undefined, 'optional', 12, undefined],
    ]);
    expect(facts.every((fact) => fact.ecosystem === 'npm' && fact.source === 'package.json')).toBe(true);
  });

  it('reads package-lock.json v2/v3 installed versions, nested ones too, and skips links', () => {
    const facts = discover('package-lock.json', LOCK_V3);
    expect(facts.map((fact) => [fact.name, fact.pinnedVersion, fact.scope, fact.line, fact.source])).toEqual([
      ['lodash', '4.17.11', undefined, 6, 'package-lock.json'],
      ['ip', '1.1.8', 'dev', 7, 'package-lock.json'],
      ['minimist', '0.0.8', undefined, 8, 'package-lock.json'],
    ]);
  });

  it('reads a v1 lockfile tree', () => {
    const facts = discover(
      'package-lock.json',
      JSON.stringify({
        lockfileVersion: 1,
        dependencies: { mkdirp: { version: '0.5.1', dependencies: { minimist: { version: '0.0.8', dev: true } } } },
      }),
    );
    expect(facts.map((fact) => [fact.name, fact.pinnedVersion, fact.scope])).toEqual([
      ['mkdirp', '0.5.1', undefined],
      ['minimist', '0.0.8', 'dev'],
    ]);
  });
});

describe('npm advisory matching (semver)', () => {
  const db = database(NPM_ADVISORIES);

  it('matches pinned versions inside SEMVER and ECOSYSTEM ranges and not outside them', () => {
    expect(matches(db, 'lodash', '4.17.11')).toEqual([
      ['GHSA-35jh-r3h4-6jhm', '4.17.11'],
      ['GHSA-jf85-cpcp-j695', '4.17.11'],
    ]);
    expect(matches(db, 'lodash', '4.17.15')).toEqual([['GHSA-35jh-r3h4-6jhm', '4.17.15']]);
    expect(matches(db, 'lodash', '4.17.21')).toEqual([]);
    expect(matches(db, 'minimist', '0.2.3')).toEqual([['GHSA-xvch-5gv4-984h', '0.2.3']]);
    expect(matches(db, 'minimist', '0.2.4')).toEqual([]);
    expect(matches(db, 'minimist', '1.2.5')).toEqual([['GHSA-xvch-5gv4-984h', '1.2.5']]);
    expect(matches(db, 'minimist', '1.2.6')).toEqual([]);
    expect(matches(db, 'lodash-es', '4.17.13')).toEqual([
      ['GHSA-35jh-r3h4-6jhm', '4.17.13'],
      ['GHSA-jf85-cpcp-j695', '4.17.13'],
    ]);
  });

  it('honours last_affected inclusively', () => {
    expect(matches(db, 'ip', '1.1.8')).toEqual([['GHSA-78xj-cgh5-2h22', '1.1.8']]);
    expect(matches(db, 'ip', '1.1.9')).toEqual([]);
    expect(matches(db, 'ip', '^1.1.5')).toEqual([['GHSA-78xj-cgh5-2h22', '>=1.1.5, <=1.1.8']]);
  });

  it('reports the affected sub-range of a range, across || alternatives, never the lowest version', () => {
    expect(matches(db, 'lodash', '^4.17.0')).toEqual([
      ['GHSA-35jh-r3h4-6jhm', '>=4.17.0, <4.17.21'],
      ['GHSA-jf85-cpcp-j695', '>=4.17.0, <4.17.12'],
    ]);
    expect(matches(db, 'minimist', '~0.2.0 || ^1.2.0')).toEqual([
      ['GHSA-xvch-5gv4-984h', '>=1.2.0, <1.2.6 or >=0.2.0, <0.2.4'],
    ]);
    expect(matches(db, 'minimist', '>=1.2.6')).toEqual([]);
    expect(matchNpmSpecifier('not a range!', MINIMIST_PROTOTYPE_POLLUTION.affected![0]!)).toMatchObject({
      kind: 'unsupported',
    });
  });

  it('skips withdrawn records and deduplicates records that alias each other', () => {
    const withdrawn = { ...IP_SSRF_LAST_AFFECTED, withdrawn: '2024-03-01T00:00:00Z' }; // the real record, marked withdrawn here
    expect(matches(database([withdrawn]), 'ip', '1.1.8')).toEqual([]);
    // A second database's record for the same CVE (id made up for the test; the alias is the real CVE).
    const mirror: OsvRecord = { ...LODASH_PROTOTYPE_POLLUTION, id: 'TEST-2019-10744', aliases: ['CVE-2019-10744'] };
    const merged = matchDependency(database([LODASH_PROTOTYPE_POLLUTION, mirror]), {
      ...npm('lodash', '4.17.11'),
      pinnedVersion: '4.17.11',
    });
    expect(merged.map((match) => match.group.map((record) => record.id))).toEqual([
      ['GHSA-jf85-cpcp-j695', 'TEST-2019-10744'],
    ]);
  });
});

describe('npm end to end', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it('reports locked vulnerable versions with ids and aliases; ranges a lockfile pins are not "unpinned"', async () => {
    vi.stubEnv('ASSAY_OSV_DB', await tempFolder(osvFiles(NPM_ADVISORIES)));
    const report = await audit(await tempFolder({ 'package.json': PACKAGE_JSON, 'package-lock.json': LOCK_V3 }), {
      policy: DEFAULT_POLICY,
      ...auditPlan('audit'),
      notAnalysedRuleId: NOT_ANALYSED_RULE_ID,
      toolVersion: VERSION,
    });
    const supplyChain = report.findings.filter((finding) => finding.pillar === 'supply-chain');
    expect(
      supplyChain
        .filter((finding) => finding.ruleId === 'supply-chain/vulnerable-dependency')
        .map((finding) => [finding.file, finding.location?.line, finding.severity, finding.message.split(':')[0]]),
    ).toEqual([
      ['package-lock.json', 6, 'critical', 'lodash==4.17.11 is affected by GHSA-jf85-cpcp-j695 (CVE-2019-10744)'],
      ['package-lock.json', 8, 'critical', 'minimist==0.0.8 is affected by GHSA-xvch-5gv4-984h (CVE-2021-44906)'],
      ['package-lock.json', 7, 'high', 'ip==1.1.8 is affected by GHSA-78xj-cgh5-2h22 (CVE-2023-42282)'],
      ['package-lock.json', 6, 'high', 'lodash==4.17.11 is affected by GHSA-35jh-r3h4-6jhm (CVE-2021-23337)'],
      ['package.json', 5, 'critical', 'minimist==1.2.5 is affected by GHSA-xvch-5gv4-984h (CVE-2021-44906)'],
    ]);
    // lodash and ip are locked; left-pad is a git reference; @scope/tool is in no lockfile.
    expect(
      supplyChain
        .filter((finding) => finding.ruleId === 'supply-chain/unpinned-dependency')
        .map((finding) => finding.message),
    ).toEqual([
      '@scope/tool is not pinned: it allows >=2 <3',
      'left-pad is not pinned: it allows a direct reference (github:stevemao/left-pad)',
    ]);
    const lodash = report.dependencies?.dependencies.filter((entry) => entry.name === 'lodash');
    expect(lodash?.map((entry) => [entry.foundBy, entry.purl, entry.pinned])).toEqual([
      ['package-lock.json', 'pkg:npm/lodash@4.17.11', true],
      ['package.json', 'pkg:npm/lodash', false],
    ]);
    expect(report.dependencies?.dependencies.find((entry) => entry.name === '@scope/tool')?.purl).toBe(
      'pkg:npm/%40scope/tool',
    );
    expect(report.dependencies?.dependencies.find((entry) => entry.name === 'ip')?.scope).toBe('dev');
  });

  it('an unlocked range is reported as unpinned with the affected sub-ranges, like PyPI', async () => {
    vi.stubEnv('ASSAY_OSV_DB', await tempFolder(osvFiles(NPM_ADVISORIES)));
    const report = await audit(await tempFolder({ 'package.json': '{"dependencies":{"lodash":"^4.17.0"}}' }), {
      policy: DEFAULT_POLICY,
      ...auditPlan('scan'),
      notAnalysedRuleId: NOT_ANALYSED_RULE_ID,
      toolVersion: VERSION,
    });
    const [unpinned] = report.findings.filter((finding) => finding.ruleId === 'supply-chain/unpinned-dependency');
    expect(unpinned?.severity).toBe('low');
    expect(unpinned?.message).toBe(
      'unpinned: lodash allows ^4.17.0, and these advisories affect part of the allowed range: GHSA-35jh-r3h4-6jhm (CVE-2021-23337) affects >=4.17.0, <4.17.21; GHSA-jf85-cpcp-j695 (CVE-2019-10744) affects >=4.17.0, <4.17.12',
    );
  });
});
