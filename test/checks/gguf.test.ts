/** GGUF: header, metadata, tensor layout and the chat template inside, built by the TypeScript GGUF writer. */
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { Report } from '../../src/core/report.js';
import {
  arr,
  benignGguf,
  bool,
  buildGguf,
  CVE_2024_34359_TEMPLATE,
  type GgufOptions,
  type GgufValue,
  str,
  strings,
  u32,
  u64,
} from '../fixtures/gguf-writer.js';
import { buildTar } from '../fixtures/tar-writer.js';
import { auditFiles, serious } from '../helpers.js';

const summary = (report: Report) =>
  report.findings.map((finding) => `${finding.severity} ${finding.ruleId}: ${finding.message}`).join('\n');
const nonInfo = (report: Report) => report.findings.filter((finding) => finding.severity !== 'info');

async function audit(bytes: Uint8Array, name = 'model.gguf') {
  return auditFiles({ [name]: bytes });
}

async function expectHealthy(bytes: Uint8Array, name = 'model.gguf') {
  const report = await audit(bytes, name);
  expect(nonInfo(report), summary(report)).toEqual([]);
  expect(report.gate.exitCode).toBe(0);
  return report;
}

const tiny = (extra: Partial<GgufOptions> = {}): GgufOptions => ({
  kv: [['general.architecture', str('llama')]],
  tensors: [
    { name: 'a.weight', dims: [8, 2], type: 0 },
    { name: 'b.weight', dims: [32, 2], type: 8 },
  ],
  ...extra,
});

async function expectAnomaly(options: GgufOptions, code: string, severity = 'high') {
  const report = await audit(buildGguf(options));
  const found = report.findings.filter((finding) => finding.ruleId === 'security/gguf-structure');
  expect(
    found.map((finding) => [finding.evidence?.code, finding.severity]),
    summary(report),
  ).toContainEqual([code, severity]);
  return report;
}

async function expectNotAnalysed(bytes: Uint8Array, detail: RegExp) {
  const report = await audit(bytes);
  const found = report.findings.filter((finding) => finding.ruleId === 'security/not-analysed');
  expect(found.map((finding) => finding.message).join('\n'), summary(report)).toMatch(detail);
  expect(report.gate.exitCode).toBe(2);
  return found;
}

describe('healthy GGUF files', () => {
  it('pass, with their metadata in the info finding', async () => {
    const report = await expectHealthy(benignGguf());
    const [info] = report.findings.filter((finding) => finding.ruleId === 'security/gguf-metadata');
    expect(info.severity).toBe('info');
    expect(info.evidence).toMatchObject({
      version: 3,
      tensorCount: 2,
      alignment: 32,
      architecture: 'llama',
      name: 'Tiny Llama Test',
      license: 'apache-2.0',
      licenseLink: 'https://www.apache.org/licenses/LICENSE-2.0',
      baseModelCount: 1,
      baseModels: [
        { name: 'Tiny Base', organization: 'Example Org', repoUrl: 'https://huggingface.co/example/tiny-base' },
      ],
      fileType: 15,
      fileTypeName: 'MOSTLY_Q4_K_M',
      tensorTypes: { F32: 1, Q4_K: 1 },
      parameters: 32 + 512,
      chatTemplates: ['tokenizer.chat_template'],
    });
    expect(info.evidence?.sources).toContainEqual({
      key: 'general.source.repo_url',
      value: 'https://huggingface.co/example/tiny-llama',
    });
    expect(info.message).toContain('llama model');
  });

  it.each([1, 2] as const)('GGUF v%i (u32 counts in v1)', async (version) => {
    const report = await expectHealthy(benignGguf({ version }));
    expect(report.findings[0].evidence?.version).toBe(version);
  });

  it('big-endian files', async () => {
    const report = await expectHealthy(benignGguf({ bigEndian: true }));
    expect(report.findings[0].evidence?.endianness).toBe('big');
  });

  it('every value type, nested arrays and a declared alignment', async () => {
    const scalars: [string, GgufValue][] = (
      ['u8', 'i8', 'u16', 'i16', 'u32', 'i32', 'f32', 'u64', 'i64', 'f64'] as const
    ).map((type) => [`test.${type}`, { type, value: type.endsWith('64') && type !== 'f64' ? 7n : 7 }]);
    await expectHealthy(
      buildGguf(
        tiny({
          alignment: 64,
          kv: [
            ['general.alignment', u32(64)],
            ...scalars,
            ['test.bool', bool(true)],
            ['test.nested', arr('array', [strings(['a', 'b']), arr('array', [arr('u8', [{ type: 'u8', value: 1 }])])])],
            ['test.empty', arr('string', [])],
          ],
        }),
      ),
    );
  });

  it('inside a tar (size unknown until the stream ends) and gzip', async () => {
    const report = await auditFiles({
      'bundle.tar': buildTar([{ name: 'model.gguf', data: benignGguf() }]),
      'model.gguf.gz': gzipSync(benignGguf()),
    });
    expect(nonInfo(report), summary(report)).toEqual([]);
    expect(report.findings.filter((finding) => finding.ruleId === 'security/gguf-metadata')).toHaveLength(2);
  });
});

describe('chat templates inside GGUF', () => {
  it('CVE-2024-34359: a malicious tokenizer.chat_template is critical', async () => {
    const bytes = benignGguf({ chatTemplate: CVE_2024_34359_TEMPLATE });
    const report = await audit(bytes);
    const found = serious(report);
    expect(
      found.map((finding) => [finding.ruleId, finding.severity]),
      summary(report),
    ).toEqual([['security/chat-template-injection', 'critical']]);
    expect(found[0].references.map((reference) => reference.id)).toEqual(
      expect.arrayContaining(['CVE-2024-34359', 'GHSA-56xg-wfcc-g829']),
    );
    expect(found[0].message).toContain('GGUF');
    // The offset is where the template's bytes start in the file.
    const offset = found[0].location?.offset ?? -1;
    expect(new TextDecoder().decode(bytes.subarray(offset, offset + 12))).toBe('{% for c in ');
    expect(report.gate.exitCode).toBe(1);
  });

  it('a named template (tokenizer.chat_template.tool_use) is checked too', async () => {
    const bytes = buildGguf(
      tiny({
        kv: [
          ['general.architecture', str('llama')],
          ['tokenizer.chat_template', str('{{ messages[0].content }}')],
          ['tokenizer.chat_template.tool_use', str("{{ cycler.__init__.__globals__.os.popen('id').read() }}")],
        ],
      }),
    );
    const report = await audit(bytes);
    expect(serious(report).map((finding) => finding.evidence?.template)).toEqual(['tokenizer.chat_template.tool_use']);
  });

  it('an unparsable template is not analysed, never clean', async () => {
    await expectNotAnalysed(
      benignGguf({ chatTemplate: '{% for x in %}' }),
      /chat template tokenizer.chat_template could not be parsed/,
    );
  });
});

describe('hostile headers are refused before anything is allocated', () => {
  const header = (tensors: bigint, kvs: bigint) => buildGguf({ tensorCount: tensors, kvCount: kvs });

  it('a tensor count of 2^63', async () => {
    const [finding] = await expectNotAnalysed(header(2n ** 63n, 0n), /tensor_count is 9223372036854775808/);
    expect(finding.location?.offset).toBe(8);
  });

  it('a key/value count larger than the file', async () => {
    const [finding] = await expectNotAnalysed(header(0n, 1_000n), /metadata_kv_count is 1000, more than/);
    expect(finding.location?.offset).toBe(16);
  });

  it('a string length of 2^64 - 1', async () => {
    await expectNotAnalysed(
      buildGguf({ kv: [['general.name', { type: 'string', value: 'x', length: 2n ** 64n - 1n }]] }),
      /general.name length is 18446744073709551615/,
    );
  });

  it('an array count bomb', async () => {
    await expectNotAnalysed(
      buildGguf({ kv: [['tokenizer.ggml.tokens', { type: 'array', itemType: 'u64', items: [], count: 1n << 40n }]] }),
      /item count of tokenizer.ggml.tokens is 1099511627776/,
    );
  });

  it('arrays nested past the limit', async () => {
    let value: GgufValue = arr('u8', []);
    for (let i = 0; i < 20; i++) value = arr('array', [value]);
    await expectNotAnalysed(buildGguf({ kv: [['test.deep', value]] }), /nest deeper than 8/);
  });

  it('an unknown value type', async () => {
    await expectNotAnalysed(
      buildGguf({ kv: [['test.odd', { type: 'raw', typeId: 99, bytes: new Uint8Array(8) }]] }),
      /unknown type 99/,
    );
  });

  it('a key longer than 65,535 bytes', async () => {
    await expectNotAnalysed(buildGguf({ kv: [['k'.repeat(70_000), u32(1)]] }), /GGUF allows 65535/);
  });

  it('a file cut inside the tensor infos', async () => {
    const full = buildGguf(tiny());
    await expectNotAnalysed(full.subarray(0, 80), /the file ends inside|more than the \d+ bytes left in the file/);
  });

  it('an unsupported version', async () => {
    await expectNotAnalysed(
      buildGguf({ version: 3 }).map((byte, index) => (index === 4 ? 9 : byte)),
      /version 9/,
    );
  });
});

describe('tensor layout anomalies', () => {
  it('a tensor past the end of the file', async () => {
    await expectAnomaly(
      tiny({ tensors: [{ name: 'a', dims: [8], type: 0, offset: 4096n, data: new Uint8Array(0) }] }),
      'tensor-out-of-bounds',
    );
  });

  it('a shape larger than the file (size overflow bait)', async () => {
    await expectAnomaly(
      tiny({ tensors: [{ name: 'a', dims: [2n ** 40n, 2n ** 20n], type: 0, data: new Uint8Array(32) }] }),
      'tensor-too-large',
    );
  });

  it('overlapping tensors', async () => {
    await expectAnomaly(
      tiny({
        tensors: [
          { name: 'a', dims: [32], type: 0, offset: 0n },
          { name: 'b', dims: [16], type: 0, offset: 32n },
        ],
      }),
      'tensor-overlap',
    );
  });

  it('a misaligned offset', async () => {
    await expectAnomaly(tiny({ tensors: [{ name: 'a', dims: [4], type: 0, offset: 4n }] }), 'tensor-misaligned');
  });

  it('an alignment that is not a power of two', async () => {
    await expectAnomaly(tiny({ kv: [['general.alignment', u32(24)]] }), 'bad-alignment');
  });

  it('unknown and removed ggml types', async () => {
    await expectAnomaly(
      tiny({ tensors: [{ name: 'a', dims: [32], type: 200, data: new Uint8Array(32) }] }),
      'unknown-ggml-type',
    );
    await expectAnomaly(
      tiny({ tensors: [{ name: 'a', dims: [32], type: 4, data: new Uint8Array(32) }] }),
      'removed-ggml-type',
    );
  });

  it('rows that are not whole quantisation blocks', async () => {
    await expectAnomaly(
      tiny({ tensors: [{ name: 'a', dims: [100, 2], type: 12, data: new Uint8Array(288) }] }),
      'row-not-block-multiple',
    );
  });

  it('more than four dimensions', async () => {
    await expectAnomaly(tiny({ tensors: [{ name: 'a', dims: [1, 1, 1, 1, 2], type: 0 }] }), 'too-many-dims');
  });

  it('duplicate tensors and keys', async () => {
    await expectAnomaly(
      tiny({
        tensors: [
          { name: 'a', dims: [8], type: 0 },
          { name: 'a', dims: [8], type: 0 },
        ],
      }),
      'duplicate-tensor',
    );
    await expectAnomaly(
      tiny({
        kv: [
          ['general.name', str('one')],
          ['general.name', str('two')],
        ],
      }),
      'duplicate-key',
      'medium',
    );
  });

  it('a long tensor name and a boolean that is neither 0 nor 1', async () => {
    await expectAnomaly(
      tiny({ tensors: [{ name: 'n'.repeat(100), dims: [8], type: 0 }] }),
      'tensor-name-too-long',
      'medium',
    );
    await expectAnomaly(tiny({ kv: [['test.flag', { type: 'bool', value: 7 }]] }), 'bad-bool', 'medium');
  });

  it('bytes that belong to no tensor: a gap and a trailing payload', async () => {
    await expectAnomaly(
      tiny({
        tensors: [
          { name: 'a', dims: [8], type: 0, offset: 0n },
          { name: 'b', dims: [8], type: 0, offset: 1024n },
        ],
      }),
      'data-gap',
      'medium',
    );
    await expectAnomaly(
      tiny({ trailing: new TextEncoder().encode('PK\x03\x04 hidden payload '.repeat(8)) }),
      'trailing-bytes',
      'medium',
    );
  });

  it('a wrong type for general.alignment', async () => {
    await expectAnomaly(tiny({ kv: [['general.alignment', u64(32)]] }), 'metadata-type', 'medium');
  });
});
