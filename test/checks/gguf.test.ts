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
  type GgufTensor,
  type GgufValue,
  ggmlValues,
  str,
  strings,
  u32,
  u64,
} from '../fixtures/gguf-writer.js';
import { randomValues } from '../fixtures/safetensors-writer.js';
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

// ---- --deep: values of the unquantised tensors ------------------------------------------------------------

const F32 = 0;
const F16 = 1;
const Q8_0 = 8;
const F64 = 28;
const BF16 = 30;
const deep = { deep: true };
const findingsOf = (report: Report, rule: string) => report.findings.filter((finding) => finding.ruleId === rule);
const random = (name: string, dims: number[], type: number, seed: number): GgufTensor => ({
  name,
  dims,
  type,
  data: ggmlValues(
    type,
    randomValues(
      dims.reduce((a, b) => a * b, 1),
      seed,
    ),
  ),
});
/** Tensor infos deliberately out of offset order: the data section is laid out by the offsets given here. */
const weights = (poisoned: GgufTensor[] = []): GgufOptions => ({
  kv: [['general.architecture', str('llama')]],
  tensors: [
    { ...random('output.weight', [8, 4], F16, 1), offset: 288n },
    { ...random('token_embd.weight', [8, 4], F32, 2), offset: 0n },
    { name: 'blk.0.ffn_down.weight', dims: [32, 2], type: Q8_0, offset: 192n },
    { ...random('blk.0.attn_norm.weight', [8], BF16, 3), offset: 128n },
    { ...random('rope_freqs', [4], F64, 4), offset: 160n },
    ...poisoned,
  ],
});

describe('--deep: weight sanity of GGUF tensors', () => {
  it('healthy F32 / F16 / BF16 / F64 tensors are clean; a Q8_0 tensor is only reported as not decoded', async () => {
    const report = await auditFiles({ 'model.gguf': buildGguf(weights()) }, {}, deep);
    expect(nonInfo(report), summary(report)).toEqual([]);
    expect(report.gate.exitCode).toBe(0);
    expect(findingsOf(report, 'performance/weights-not-decoded').map((f) => [f.severity, f.message])).toEqual([
      ['info', expect.stringMatching(/^1 tensor\(s\) of dtype Q8_0 were not decoded: Q8_0 is a quantised ggml type/)],
    ]);
  });

  const poisoned = (): GgufTensor[] => {
    const values = randomValues(16, 5);
    values[3] = Number.NaN;
    values[11] = Number.NaN;
    return [
      { name: 'blk.0.attn_k.weight', dims: [8, 2], type: F16, data: ggmlValues(F16, values), offset: 416n },
      { name: 'blk.0.attn_v.weight', dims: [4, 4], type: F32, offset: 352n },
    ];
  };

  it('NaNs in an F16 tensor and an all-zero F32 matrix are reported, naming the tensors', async () => {
    const report = await auditFiles({ 'model.gguf': buildGguf(weights(poisoned())) }, {}, deep);
    const nonFinite = findingsOf(report, 'performance/weights-non-finite');
    expect(
      nonFinite.map((f) => [f.severity, f.message]),
      summary(report),
    ).toEqual([['high', expect.stringMatching(/^Tensor "blk.0.attn_k.weight" \(F16 \[8, 2\]\) holds 2 NaN among 16/)]]);
    expect(nonFinite[0].evidence).toMatchObject({ tensor: 'blk.0.attn_k.weight', dtype: 'F16', nan: 2 });
    expect(findingsOf(report, 'performance/weights-constant').map((f) => [f.severity, f.message])).toEqual([
      ['medium', expect.stringMatching(/^Tensor "blk.0.attn_v.weight" \(F32 \[4, 4\]\) is all zeros \(16 values\)/)],
    ]);
    expect(report.gate.exitCode).toBe(1);
  });

  it('without --deep the values are not read', async () => {
    const report = await audit(buildGguf(weights(poisoned())));
    expect(nonInfo(report), summary(report)).toEqual([]);
    expect(findingsOf(report, 'performance/weights-not-decoded')).toEqual([]);
  });

  it('values beyond the sane bound are found in GGUF tensors too', async () => {
    const values = [0.1, -5e4, 0.2, 0.3];
    const bytes = buildGguf(
      tiny({ tensors: [{ name: 'exploded.weight', dims: [4], type: F32, data: ggmlValues(F32, values) }] }),
    );
    const report = await auditFiles({ 'model.gguf': bytes }, {}, deep);
    expect(findingsOf(report, 'performance/weights-out-of-range')[0]?.message).toMatch(
      /"exploded.weight" \(F32\) reaches \|50000\|/,
    );
  });

  it('counts are exact across read chunks, and in a gzip stream of unknown size', async () => {
    const count = 300_000; // 600 kB of F16 after an F32 tensor: many read chunks
    const values = randomValues(count, 9);
    const poisonedAt = [0, 65_535, 65_536, 131_071, count - 1];
    for (const index of poisonedAt) values[index] = Number.NaN;
    const bytes = buildGguf(
      tiny({
        tensors: [
          random('a.weight', [8, 3], F32, 1),
          { name: 'big.weight', dims: [count], type: F16, data: ggmlValues(F16, values) },
        ],
      }),
    );
    for (const [name, data] of [
      ['model.gguf', bytes],
      ['model.gguf.gz', gzipSync(bytes)],
    ] as const) {
      const report = await auditFiles({ [name]: data }, {}, deep);
      expect(
        findingsOf(report, 'performance/weights-non-finite').map((f) => f.evidence),
        summary(report),
      ).toEqual([expect.objectContaining({ tensor: 'big.weight', nan: poisonedAt.length })]);
    }
  });

  it('a truncated data section does not crash: complete tensors are judged, cut ones are out of bounds', async () => {
    const first = ggmlValues(F32, [Number.NaN, 0.5, 0.25, 0.125]);
    const options = tiny({
      tensors: [
        { name: 'whole.weight', dims: [4], type: F32, data: first },
        { name: 'cut.weight', dims: [8, 8], type: F32, data: ggmlValues(F32, randomValues(64, 2)) },
      ],
    });
    const full = buildGguf(options);
    // Cut inside "cut.weight", right after "whole.weight" (16 bytes, padded to 32), and inside "whole.weight".
    for (const cut of [full.length - 100, full.length - 256, full.length - 256 - 24]) {
      const report = await auditFiles({ 'model.gguf': buildGguf({ ...options, truncate: cut }) }, {}, deep);
      const judged = findingsOf(report, 'performance/weights-non-finite').map((f) => f.evidence?.tensor);
      expect(judged, summary(report)).toEqual(cut >= full.length - 256 - 16 ? ['whole.weight'] : []);
      expect(findingsOf(report, 'security/gguf-structure').map((f) => f.evidence?.tensor)).toContain('cut.weight');
    }
  });

  it('overlapping tensors and big-endian data are reported as not decoded, not guessed', async () => {
    const overlapping = buildGguf(
      tiny({
        tensors: [
          { name: 'a', dims: [8], type: F32, data: ggmlValues(F32, randomValues(8, 1)), offset: 0n },
          { name: 'b', dims: [4], type: F32, offset: 16n },
        ],
      }),
    );
    const report = await auditFiles({ 'model.gguf': overlapping }, {}, deep);
    expect(
      findingsOf(report, 'performance/weights-not-decoded').map((f) => f.message),
      summary(report),
    ).toEqual([expect.stringMatching(/^1 tensor\(s\) were not decoded: their bytes overlap another tensor/)]);
    const big = await auditFiles({ 'model.gguf': buildGguf({ ...weights(), bigEndian: true }) }, {}, deep);
    expect(findingsOf(big, 'performance/weights-not-decoded').map((f) => f.message)).toContainEqual(
      expect.stringMatching(/^4 tensor\(s\) were not decoded: the file is big-endian/),
    );
    expect(findingsOf(big, 'performance/weights-non-finite')).toEqual([]);
  });
});
