import type { ValidateFunction } from 'ajv/dist/2020.js';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Report } from '../../src/core/report.js';
import { renderSarif } from '../../src/report/sarif.js';
import { buildReport, finding, hostileReport, SAMPLE_FILES, SAMPLE_RULES, sampleReport } from './sample-report.js';
import { sarifValidator } from './schema-validators.js';

interface SarifResult {
  ruleId: string;
  ruleIndex: number;
  level: string;
  message: { text: string };
  locations?: {
    physicalLocation: {
      artifactLocation: { uri: string; uriBaseId?: string; index?: number };
      region?: { startLine?: number; byteOffset?: number };
    };
    logicalLocations?: { name?: string; fullyQualifiedName?: string }[];
  }[];
  partialFingerprints: Record<string, string>;
  suppressions?: { kind: string; status?: string; justification?: string }[];
  properties: Record<string, unknown>;
}

interface SarifLog {
  $schema: string;
  version: string;
  runs: {
    tool: {
      driver: {
        name: string;
        version: string;
        informationUri: string;
        rules: {
          id: string;
          name: string;
          shortDescription: { text: string };
          fullDescription: { text: string };
          help: { text: string; markdown?: string };
          defaultConfiguration: { level: string };
          properties: { pillar: string; 'security-severity': string; tags: string[] };
        }[];
      };
    };
    invocations: { executionSuccessful: boolean; startTimeUtc?: string; endTimeUtc?: string }[];
    originalUriBaseIds?: Record<string, { uri: string }>;
    artifacts: { location: { uri: string }; length: number; hashes: Record<string, string> }[];
    results: SarifResult[];
    properties: Record<string, unknown>;
  }[];
}

let validate: ValidateFunction;

beforeAll(() => {
  validate = sarifValidator();
});

function sarif(report: Report = sampleReport()): SarifLog {
  return JSON.parse(renderSarif(report, SAMPLE_RULES)) as SarifLog;
}

function expectValid(log: unknown): void {
  const ok = validate(log);
  expect(validate.errors ?? [], JSON.stringify(validate.errors, null, 2)).toEqual([]);
  expect(ok).toBe(true);
}

function resultFor(log: SarifLog, ruleId: string, offset?: number): SarifResult {
  const found = log.runs[0].results.find(
    (result) => result.ruleId === ruleId && (offset === undefined || result.properties.offset === offset),
  );
  if (!found) throw new Error(`no result for ${ruleId} at ${offset}`);
  return found;
}

describe('SARIF renderer', () => {
  it('is valid against the official SARIF 2.1.0 schema', () => {
    expectValid(sarif());
  });

  it('uses a schema check that rejects what GitHub would reject', () => {
    const bad = (mutate: (log: SarifLog) => void): boolean => {
      const log = sarif();
      mutate(log);
      return validate(log) as boolean;
    };
    expect(bad(() => {})).toBe(true);
    expect(bad((log) => Object.assign(log.runs[0].results[0], { level: 'critical' }))).toBe(false);
    expect(bad((log) => Object.assign(log.runs[0].artifacts[0].location, { uri: 'has space.bin' }))).toBe(false);
    expect(bad((log) => Object.assign(log.runs[0].invocations[0], { startTimeUtc: 'yesterday' }))).toBe(false);
    expect(bad((log) => Object.assign(log.runs[0].results[0], { suppressions: [{ justification: 'no kind' }] }))).toBe(
      false,
    );
  });

  it('stays valid for hostile names, a clean report, a file target and an absolute target', () => {
    expectValid(sarif(hostileReport()));
    expectValid(sarif(buildReport({ files: [], findings: [] })));
    expectValid(
      sarif(
        buildReport({
          target: { kind: 'file', path: 'downloads/pytorch_model.bin' },
          files: SAMPLE_FILES,
          findings: sampleReport().findings,
        }),
      ),
    );
    expectValid(
      sarif(
        buildReport({
          target: { kind: 'directory', path: '/srv/models/bert tiny' },
          files: SAMPLE_FILES,
          findings: sampleReport().findings,
        }),
      ),
    );
    expectValid(
      sarif(
        buildReport({ target: { kind: 'directory', path: 'C:\\models\\bert' }, files: SAMPLE_FILES, findings: [] }),
      ),
    );
  });

  it('describes the tool, every rule that ran, and one invocation', () => {
    const log = sarif();
    expect(log.version).toBe('2.1.0');
    expect(log.runs).toHaveLength(1);
    const { driver } = log.runs[0].tool;
    expect(driver).toMatchObject({ name: 'assay', version: '0.1.0', informationUri: 'https://github.com/assay/assay' });
    expect(driver.rules.map((rule) => rule.id)).toEqual([...SAMPLE_RULES.map((rule) => rule.id)].sort());

    const dangerous = driver.rules.find((rule) => rule.id === 'security/pickle-dangerous-global');
    expect(dangerous).toMatchObject({
      name: 'Pickle imports a dangerous global',
      shortDescription: { text: 'Pickle imports a dangerous global' },
      defaultConfiguration: { level: 'error' },
      properties: { pillar: 'security', 'security-severity': '9.5' },
    });
    expect(dangerous?.fullDescription.text).toMatch(/^Loading this pickle imports/);
    expect(dangerous?.help.text).toMatch(/^Do not load this file/);
    expect(dangerous?.properties.tags).toEqual(['security', 'external/cwe/cwe-502']);

    const licence = driver.rules.find((rule) => rule.id === 'compliance/licence-missing');
    expect(licence?.properties.tags).toEqual(['compliance']);
    expect(licence?.defaultConfiguration.level).toBe('warning');

    expect(log.runs[0].invocations).toEqual([
      { executionSuccessful: true, startTimeUtc: '2025-06-01T12:00:00.000Z', endTimeUtc: '2025-06-01T12:00:02.350Z' },
    ]);
    expect(log.runs[0].properties).toMatchObject({ verdict: 'fail', gate: { failOn: 'high' } });
  });

  it('maps severities to levels and security-severity, and points ruleIndex at the rule', () => {
    const log = sarif();
    const { rules } = log.runs[0].tool.driver;
    for (const result of log.runs[0].results) {
      expect(rules[result.ruleIndex].id).toBe(result.ruleId);
    }
    const expected: Record<string, [string, string]> = {
      'security/pickle-dangerous-global': ['error', '9.5'],
      'security/payload-string': ['error', '8.0'],
      'security/pickle-unknown-global': ['warning', '5.5'],
      'provenance/unsigned': ['note', '0.0'],
    };
    for (const [ruleId, [level, score]] of Object.entries(expected)) {
      const result = resultFor(log, ruleId);
      expect(result.level).toBe(level);
      expect(result.properties['security-severity']).toBe(score);
    }
    const low = sarif(
      buildReport({ files: [], findings: [finding('provenance/unsigned', { message: 'x', severity: 'low' })] }),
    );
    expect(low.runs[0].results[0].level).toBe('note');
    expect(low.runs[0].results[0].properties['security-severity']).toBe('3.0');
  });

  it('gives repository-relative, per-segment encoded URIs and sha-256 artifacts', () => {
    const log = sarif();
    const run = log.runs[0];
    const uris = run.artifacts.map((artifact) => artifact.location.uri);
    expect(uris).toContain('models/bert-tiny/legacy/optimizer%20state%20%232.pkl');
    expect(uris).toContain('models/bert-tiny/pytorch_model.bin');
    const pytorch = run.artifacts.find((artifact) => artifact.location.uri.endsWith('pytorch_model.bin'));
    expect(pytorch).toMatchObject({ length: 17_612_311, hashes: { 'sha-256': SAMPLE_FILES[3].sha256 } });

    const payload = resultFor(log, 'security/payload-string');
    const where = payload.locations?.[0].physicalLocation;
    expect(where?.artifactLocation).toMatchObject({
      uri: 'models/bert-tiny/legacy/optimizer%20state%20%232.pkl',
      uriBaseId: '%SRCROOT%',
    });
    expect(run.artifacts[where?.artifactLocation.index as number].location.uri).toBe(where?.artifactLocation.uri);
  });

  it('puts an offset into the file in region.byteOffset, and an offset inside a member in the logical location', () => {
    const log = sarif();
    const plain = resultFor(log, 'security/payload-string').locations?.[0];
    expect(plain?.physicalLocation.region).toEqual({ startLine: 1, byteOffset: 312 });
    expect(plain?.logicalLocations).toBeUndefined();

    const nested = resultFor(log, 'security/pickle-dangerous-global');
    const location = nested.locations?.[0];
    expect(location?.physicalLocation.artifactLocation.uri).toBe('models/bert-tiny/pytorch_model.bin');
    expect(location?.physicalLocation.region).toEqual({ startLine: 1 });
    expect(location?.logicalLocations).toEqual([{ name: 'data.pkl', fullyQualifiedName: 'archive/data.pkl' }]);
    expect(nested.properties).toMatchObject({
      member: 'archive/data.pkl',
      offset: 439,
      severity: 'critical',
      pillar: 'security',
    });
    expect(nested.properties.evidence).toMatchObject({ global: 'posix.system' });
    // The message already names the member, so only the offset is added.
    expect(nested.message.text).toMatch(/\(in archive\/data\.pkl\) \[offset 439 \(0x1b7\)\]$/);
  });

  it('names the member in the message when the rule did not', () => {
    const report = buildReport({
      files: SAMPLE_FILES,
      findings: [
        finding('security/pickle-unknown-global', {
          message: 'Loading imports a.b',
          file: 'pytorch_model.bin',
          location: { member: 'outer.zip!/inner/data.pkl', offset: 16 },
        }),
      ],
    });
    const [result] = sarif(report).runs[0].results;
    expect(result.message.text).toBe('Loading imports a.b [member outer.zip!/inner/data.pkl, offset 16 (0x10)]');
    expect(result.locations?.[0].logicalLocations?.[0]).toEqual({
      name: 'data.pkl',
      fullyQualifiedName: 'outer.zip!/inner/data.pkl',
    });
  });

  it('leaves findings about the whole target without a location', () => {
    const general = resultFor(sarif(), 'compliance/licence-missing');
    expect(general.locations).toBeUndefined();
  });

  it('marks suppressed findings with an external suppression carrying the reason', () => {
    const log = sarif();
    const suppressed = log.runs[0].results.filter((result) => result.suppressions);
    expect(suppressed).toHaveLength(1);
    expect(suppressed[0].suppressions).toEqual([
      { kind: 'external', status: 'accepted', justification: 'Our own optimizer class, reviewed in SEC-142' },
    ]);
  });

  it('fingerprints findings stably, and differently for different locations', () => {
    const first = sarif().runs[0].results;
    const second = sarif().runs[0].results;
    expect(first.map((result) => result.partialFingerprints)).toEqual(
      second.map((result) => result.partialFingerprints),
    );
    const hashes = first.map((result) => result.partialFingerprints['assayLocationHash/v1']);
    expect(new Set(hashes).size).toBe(hashes.length);
    for (const result of first) {
      expect(result.partialFingerprints['assayLocationHash/v1']).toMatch(/^[0-9a-f]{64}$/);
      expect(result.partialFingerprints.primaryLocationLineHash).toMatch(/^[0-9a-f]{16}:1$/);
    }

    // The message is not part of the identity: rewording a rule's message keeps the alert.
    const reworded = sampleReport();
    reworded.findings = reworded.findings.map((item) => ({ ...item, message: `${item.message} (reworded)` }));
    expect(sarif(reworded).runs[0].results.map((result) => result.partialFingerprints)).toEqual(
      first.map((result) => result.partialFingerprints),
    );
  });

  it('describes a rule whose metadata was not passed in from its finding', () => {
    const report = buildReport({
      files: [],
      findings: [
        {
          ruleId: 'supply-chain/vulnerable-dependency',
          severity: 'high',
          pillar: 'supply-chain',
          title: 'Dependency has a known vulnerability',
          message: 'torch 2.5.1 is affected by CVE-2025-32434',
          remediation: 'Upgrade torch to 2.6.0 or later.',
          references: [{ kind: 'cve', id: 'CVE-2025-32434' }],
        },
      ],
    });
    const log = JSON.parse(renderSarif(report, [])) as SarifLog;
    expectValid(log);
    expect(log.runs[0].tool.driver.rules).toHaveLength(1);
    expect(log.runs[0].tool.driver.rules[0]).toMatchObject({
      id: 'supply-chain/vulnerable-dependency',
      name: 'Dependency has a known vulnerability',
      help: { text: 'Upgrade torch to 2.6.0 or later.' },
      properties: { tags: ['security', 'supply-chain'], 'security-severity': '8.0' },
    });
    expect(log.runs[0].results[0].ruleIndex).toBe(0);
  });

  it('maps targets that cannot be made repository-relative to TARGETROOT', () => {
    const absolute = sarif(
      buildReport({ target: { kind: 'directory', path: '/srv/models/bert tiny' }, files: SAMPLE_FILES, findings: [] }),
    );
    expect(absolute.runs[0].originalUriBaseIds).toEqual({ TARGETROOT: { uri: 'file:///srv/models/bert%20tiny/' } });
    expect(absolute.runs[0].artifacts[0].location).toEqual({ uri: 'config.json', uriBaseId: 'TARGETROOT' });

    const file = sarif(
      buildReport({
        target: { kind: 'file', path: './downloads/x.pkl' },
        files: SAMPLE_FILES.slice(0, 1),
        findings: [],
      }),
    );
    expect(file.runs[0].artifacts[0].location).toEqual({ uri: 'downloads/config.json', uriBaseId: '%SRCROOT%' });

    const up = sarif(
      buildReport({
        target: { kind: 'directory', path: '../elsewhere' },
        files: SAMPLE_FILES.slice(0, 1),
        findings: [],
      }),
    );
    expect(up.runs[0].artifacts[0].location).toEqual({ uri: 'config.json', uriBaseId: 'TARGETROOT' });
    expect(up.runs[0].originalUriBaseIds).toBeUndefined();
  });

  it('is byte-identical for the same report, whatever the order of its findings and files', () => {
    const report = sampleReport();
    const shuffled: Report = {
      ...report,
      findings: [...report.findings].reverse(),
      files: [...report.files].reverse(),
    };
    expect(renderSarif(shuffled, [...SAMPLE_RULES].reverse())).toBe(renderSarif(report, SAMPLE_RULES));
  });
});
