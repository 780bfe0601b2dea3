/**
 * Weight sanity (`--deep`) and whole-model consistency: corrupted values, config against shapes, tokenizer against
 * the embedding, shard indexes against shards; and the tiny-model-health examples, audited as a user would.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildHealthExamples, HEALTH_EXAMPLES_ROOT } from '../../scripts/make-health-examples.js';
import type { Report } from '../../src/core/report.js';
import { encode, randomValues, safetensors, type TensorSpec } from '../fixtures/safetensors-writer.js';
import { auditFiles, auditPath, ruleIds } from '../helpers.js';

const deep = { deep: true };
const explain = (report: Report) =>
  report.findings.map((finding) => `${finding.severity} ${finding.ruleId}: ${finding.message}`).join('\n');
const findingsOf = (report: Report, rule: string) => report.findings.filter((finding) => finding.ruleId === rule);
const random = (name: string, shape: number[], seed: number, dtype = 'F32'): TensorSpec => ({
  name,
  dtype,
  shape,
  values: randomValues(
    shape.reduce((a, b) => a * b, 1),
    seed,
  ),
});

describe('--deep: values of every tensor', () => {
  it('healthy random weights in F32, F16, BF16, F64 and FP8 are clean', async () => {
    const report = await auditFiles(
      {
        'model.safetensors': safetensors([
          random('a', [8, 8], 1),
          random('b', [8, 8], 2, 'F16'),
          random('c', [8, 8], 3, 'BF16'),
          random('d', [4, 4], 4, 'F64'),
          { name: 'e', dtype: 'F8_E4M3', shape: [4], bytes: new Uint8Array([0x38, 0xb8, 0x7e, 0x01]) },
        ]),
      },
      {},
      deep,
    );
    expect(report.findings, explain(report)).toEqual([]);
  });

  it('NaN and Inf are found in every decoded dtype, and the tensor is named', async () => {
    const cases: [TensorSpec, RegExp][] = [
      [{ name: 'f32.weight', shape: [2, 2], values: [0.1, Number.NaN, 0.3, Number.NaN] }, /2 NaN among 4/],
      [{ name: 'f16.weight', dtype: 'F16', shape: [3], values: [0.5, Number.POSITIVE_INFINITY, 1] }, /1 \+Inf/],
      [{ name: 'bf16.weight', dtype: 'BF16', shape: [2], values: [Number.NaN, 0.5] }, /1 NaN/],
      [{ name: 'f64.weight', dtype: 'F64', shape: [2], values: [Number.NEGATIVE_INFINITY, 0.5] }, /1 -Inf/],
      [{ name: 'c64.weight', dtype: 'F32', shape: [2], values: [Number.NaN, 1] }, /1 NaN/],
      [
        { name: 'e5m2.weight', dtype: 'F8_E5M2', shape: [3], bytes: new Uint8Array([0x7c, 0x7f, 0x3c]) },
        /1 NaN, 1 \+Inf/,
      ],
      [{ name: 'e4m3.weight', dtype: 'F8_E4M3', shape: [2], bytes: new Uint8Array([0x7f, 0x7e]) }, /1 NaN among 2/],
      [{ name: 'fnuz.weight', dtype: 'F8_E4M3FNUZ', shape: [2], bytes: new Uint8Array([0x80, 0x7f]) }, /1 NaN among 2/],
      [{ name: 'scale', dtype: 'F8_E8M0', shape: [2], bytes: new Uint8Array([0xff, 0x7f]) }, /1 NaN among 2/],
    ];
    for (const [spec, text] of cases) {
      const report = await auditFiles({ 'model.safetensors': safetensors([spec]) }, {}, deep);
      const [finding] = findingsOf(report, 'performance/weights-non-finite');
      expect(finding?.severity, explain(report)).toBe('high');
      expect(finding.message).toContain(`"${spec.name}"`);
      expect(finding.message).toMatch(text);
      expect(report.gate.exitCode).toBe(1);
    }
  });

  it('values are only read with --deep: the header pass finds nothing wrong with NaN weights', async () => {
    const bytes = safetensors([{ name: 'w', shape: [2], values: [Number.NaN, 1] }]);
    const report = await auditFiles({ 'model.safetensors': bytes });
    expect(report.findings, explain(report)).toEqual([]);
  });

  it('counts are exact when tensors straddle read chunks and the data starts unaligned', async () => {
    const count = 700_000; // 1.4 MB of F16: crosses the 1 MiB chunk boundary
    const values = randomValues(count, 7);
    const poisoned = [0, 1, 524_283, 524_284, 524_285, count - 1];
    for (const index of poisoned) values[index] = Number.NaN;
    const bytes = safetensors(
      [
        { name: 'odd', dtype: 'U8', shape: [3], values: [1, 2, 3] },
        { name: 'big.weight', dtype: 'F16', shape: [count], values },
      ],
      { align: false, metadata: { format: 'pt' } },
    );
    const report = await auditFiles({ 'model.safetensors': bytes }, {}, deep);
    const [finding] = findingsOf(report, 'performance/weights-non-finite');
    expect(finding?.evidence).toMatchObject({ tensor: 'big.weight', nan: poisoned.length });
  });

  it('all-zero and constant tensors: medium for matrices, low for vectors', async () => {
    const report = await auditFiles(
      {
        'model.safetensors': safetensors([
          { name: 'zeroed.weight', shape: [4, 4] },
          { name: 'ones.weight', shape: [3, 2], values: [0.5, 0.5, 0.5, 0.5, 0.5, 0.5] },
          { name: 'norm.bias', shape: [4] },
          { name: 'scalar', shape: [], values: [0] },
        ]),
      },
      {},
      deep,
    );
    const found = findingsOf(report, 'performance/weights-constant').map((f) => `${f.severity} ${f.message}`);
    expect(found).toEqual([
      expect.stringMatching(/^medium Tensor "zeroed.weight" .* is all zeros/),
      expect.stringMatching(/^medium Tensor "ones.weight" .* is the value 0.5 repeated/),
      expect.stringMatching(/^low Tensor "norm.bias" .* is all zeros/),
    ]);
    expect(report.gate.exitCode).toBe(0);
  });

  it('values beyond the sane bound of their dtype are medium (a heuristic); FP8 has no such bound', async () => {
    const report = await auditFiles(
      {
        'model.safetensors': safetensors([
          { name: 'exploded.weight', shape: [3], values: [0.1, -5e4, 0.2] },
          { name: 'fp8.weight', dtype: 'F8_E4M3', shape: [2], bytes: new Uint8Array([0x7e, 0x01]) },
        ]),
      },
      {},
      deep,
    );
    const found = findingsOf(report, 'performance/weights-out-of-range');
    expect(found.map((finding) => finding.severity)).toEqual(['medium']);
    expect(found[0].message).toMatch(/"exploded.weight" \(F32\) reaches \|50000\|, beyond the sane bound 10000/);
  });

  it('FP4 / FP6 tensors and files with invalid ranges say their values were not checked (info)', async () => {
    const fp4 = await auditFiles(
      { 'model.safetensors': safetensors([{ name: 'q', dtype: 'F4', shape: [4], bytes: new Uint8Array(2) }]) },
      {},
      deep,
    );
    expect(findingsOf(fp4, 'performance/weights-not-decoded').map((f) => [f.severity, f.message])).toEqual([
      ['info', expect.stringMatching(/1 tensor\(s\) of dtype F4 were not decoded/)],
    ]);
    const overlapping = safetensors([
      { name: 'a', shape: [2], values: [Number.NaN, 1] },
      { name: 'b', shape: [2], bytes: new Uint8Array(0), offsets: [0, 8] },
    ]);
    const report = await auditFiles({ 'model.safetensors': overlapping }, {}, deep);
    expect(ruleIds(report)).toEqual(['performance/weights-not-decoded', 'security/safetensors-layout-invalid']);
  });

  it('a truncated file gets statistics for the complete tensors only', async () => {
    const bytes = safetensors(
      [
        { name: 'whole', shape: [2], values: [Number.NaN, 1] },
        { name: 'cut', shape: [4], values: [1, 2, 3, 4] },
      ],
      { truncate: 6 },
    );
    const report = await auditFiles({ 'model.safetensors': bytes }, {}, deep);
    expect(findingsOf(report, 'performance/weights-non-finite')[0]?.message).toContain('"whole"');
    expect(findingsOf(report, 'security/safetensors-truncated')[0]?.message).toContain('"cut"');
  });
});

// ---- whole model ------------------------------------------------------------------------------------------

const HIDDEN = 8;
const VOCAB = 16;
const config = (overrides: Record<string, unknown> = {}) =>
  JSON.stringify({
    architectures: ['LlamaForCausalLM'],
    model_type: 'llama',
    hidden_size: HIDDEN,
    num_hidden_layers: 2,
    num_attention_heads: 2,
    num_key_value_heads: 1,
    vocab_size: VOCAB,
    ...overrides,
  });
const layerTensors = (index: number) => [
  random(`model.layers.${index}.self_attn.q_proj.weight`, [HIDDEN, HIDDEN], 10 + index),
  random(`model.layers.${index}.mlp.down_proj.weight`, [HIDDEN, HIDDEN], 20 + index),
];
const tinyTensors = (vocab = VOCAB, hidden = HIDDEN, layers = [0, 1]) => [
  random('model.embed_tokens.weight', [vocab, hidden], 1),
  ...layers.flatMap(layerTensors),
  random('lm_head.weight', [vocab, hidden], 2),
];
const tokenizer = (base: number, added: number[] = []) =>
  JSON.stringify({
    model: { type: 'BPE', vocab: Object.fromEntries(Array.from({ length: base }, (_, i) => [`t${i}`, i])), merges: [] },
    added_tokens: added.map((id) => ({ id, content: `<special${id}>`, special: true })),
  });

describe('config.json against the tensor shapes', () => {
  it('a consistent config, weights and tokenizer are clean', async () => {
    const report = await auditFiles({
      'config.json': config(),
      'model.safetensors': safetensors(tinyTensors()),
      'tokenizer.json': tokenizer(VOCAB - 2, [14, 15]),
    });
    expect(report.findings, explain(report)).toEqual([]);
  });

  it('vocab_size and hidden_size that disagree with the embedding, naming it', async () => {
    const report = await auditFiles({
      'config.json': config({ vocab_size: 32, hidden_size: 12, num_attention_heads: 3, num_key_value_heads: 3 }),
      'model.safetensors': safetensors(tinyTensors()),
    });
    const messages = findingsOf(report, 'performance/config-shape-mismatch').map((finding) => finding.message);
    expect(messages).toEqual([
      'config.json says hidden_size = 12 but model.embed_tokens.weight [16, 8] in model.safetensors is 8 wide',
      'config.json says vocab_size = 32 but model.embed_tokens.weight [16, 8] in model.safetensors has 16 rows',
    ]);
    expect(report.gate.exitCode).toBe(1);
  });

  it('a layer count that disagrees with the weights, and a layer missing from the middle', async () => {
    const more = await auditFiles({
      'config.json': config({ num_hidden_layers: 3 }),
      'model.safetensors': safetensors(tinyTensors()),
    });
    expect(findingsOf(more, 'performance/config-shape-mismatch')[0]?.message).toMatch(
      /num_hidden_layers = 3 but the weights have model.layers.0 … model.layers.1 \(2 layers\)/,
    );
    const gap = await auditFiles({
      'config.json': config({ num_hidden_layers: 3 }),
      'model.safetensors': safetensors(tinyTensors(VOCAB, HIDDEN, [0, 2])),
    });
    expect(findingsOf(gap, 'performance/config-shape-mismatch')[0]?.message).toMatch(/layer\(s\) 1 are missing/);
  });

  it('stacks of other sub-models (a vision tower) and extra prediction layers do not confuse the count', async () => {
    const report = await auditFiles({
      'config.json': config({ num_nextn_predict_layers: 1 }),
      'model.safetensors': safetensors([
        ...tinyTensors(VOCAB, HIDDEN, [0, 1, 2]),
        random('vision_tower.encoder.layers.0.fc.weight', [4, 4], 40),
      ]),
    });
    expect(report.findings, explain(report)).toEqual([]);
  });

  it('multimodal configs are read from text_config; ALBERT-style embedding_size is honoured', async () => {
    const nested = await auditFiles({
      'config.json': JSON.stringify({
        architectures: ['LlavaForConditionalGeneration'],
        text_config: JSON.parse(config()),
      }),
      'model.safetensors': safetensors(tinyTensors(VOCAB + 1)),
    });
    expect(findingsOf(nested, 'performance/config-shape-mismatch')[0]?.message).toMatch(/text_config.vocab_size = 16/);
    const albert = await auditFiles({
      'config.json': config({ embedding_size: 4, hidden_size: 8 }),
      'model.safetensors': safetensors([random('albert.embeddings.word_embeddings.weight', [VOCAB, 4], 1)]),
    });
    expect(albert.findings, explain(albert)).toEqual([]);
  });

  it('heads that do not divide the hidden size, or key/value heads that do not divide the heads', async () => {
    const report = await auditFiles({
      'config.json': config({ num_attention_heads: 3, num_key_value_heads: 2 }),
      'model.safetensors': safetensors(tinyTensors()),
    });
    expect(findingsOf(report, 'performance/config-heads-invalid').map((finding) => finding.message)).toEqual([
      'config.json: hidden_size 8 is not divisible by num_attention_heads 3',
      'config.json: num_attention_heads 3 is not divisible by num_key_value_heads 2',
    ]);
    const explicit = await auditFiles({
      'config.json': config({ num_attention_heads: 3, num_key_value_heads: 1, head_dim: 4 }),
    });
    expect(explicit.findings, explain(explicit)).toEqual([]);
  });

  it('a config.json that is not JSON is not analysed (fail closed)', async () => {
    const report = await auditFiles({
      'config.json': '{"hidden_size": 8,',
      'model.safetensors': safetensors(tinyTensors()),
    });
    expect(ruleIds(report)).toEqual(['security/not-analysed']);
  });
});

describe('tokenizer.json against the embedding', () => {
  it('added tokens beyond the last embedding row are high', async () => {
    const report = await auditFiles({
      'config.json': config(),
      'model.safetensors': safetensors(tinyTensors()),
      'tokenizer.json': tokenizer(VOCAB, [VOCAB, VOCAB + 1]),
    });
    const [finding] = findingsOf(report, 'performance/tokenizer-vocab-mismatch');
    expect(finding?.severity).toBe('high');
    expect(finding.message).toMatch(
      /token ids up to 17 \(2 added tokens\) but model.embed_tokens.weight .* has 16 rows/,
    );
  });

  it('fewer tokens than rows (padding), Unigram vocabularies, and no weights but a config', async () => {
    const padded = await auditFiles({
      'model.safetensors': safetensors(tinyTensors()),
      'tokenizer.json': tokenizer(10),
    });
    expect(padded.findings).toEqual([]);
    const unigram = JSON.stringify({
      model: { type: 'Unigram', vocab: Array.from({ length: 20 }, (_, i) => [`p${i}`, -i]) },
    });
    const report = await auditFiles({ 'config.json': config(), 'tokenizer.json': unigram });
    expect(findingsOf(report, 'performance/tokenizer-vocab-mismatch')[0]?.message).toMatch(/vocab_size = 16/);
  });
});

describe('sharded checkpoints: the index against the shards', () => {
  const [first, second] = [tinyTensors().slice(0, 3), tinyTensors().slice(3)];
  const shardName = (n: number) => `model-0000${n}-of-00002.safetensors`;
  const index = (map: Record<string, string>, raw?: string) =>
    raw ?? JSON.stringify({ metadata: { total_size: 0 }, weight_map: map });
  const mapOf = (...parts: TensorSpec[][]) =>
    Object.fromEntries(parts.flatMap((part, i) => part.map((spec) => [spec.name, shardName(i + 1)])));
  const sharded = (files: Record<string, Uint8Array | string> = {}) =>
    auditFiles({
      'config.json': config(),
      [shardName(1)]: safetensors(first),
      [shardName(2)]: safetensors(second),
      'model.safetensors.index.json': index(mapOf(first, second)),
      ...files,
    });

  it('a complete, consistent sharded model is clean', async () => {
    const report = await sharded();
    expect(report.findings, explain(report)).toEqual([]);
  });

  it('a missing shard names the file and how many tensors it held', async () => {
    const report = await auditFiles({
      'config.json': config(),
      [shardName(1)]: safetensors(first),
      'model.safetensors.index.json': index(mapOf(first, second)),
    });
    expect(findingsOf(report, 'performance/shard-missing').map((finding) => finding.message)).toEqual([
      `model.safetensors.index.json maps ${second.length} tensor(s) to ${shardName(2)}, which is not in the folder`,
    ]);
    expect(ruleIds(report)).toEqual(['performance/shard-missing']);
  });

  it('a shard name that leaves the folder', async () => {
    const report = await sharded({
      'model.safetensors.index.json': index({ ...mapOf(first, second), x: '../../x.safetensors' }),
    });
    expect(findingsOf(report, 'performance/shard-missing')[0]?.message).toMatch(
      /"..\/..\/x.safetensors", outside the model folder/,
    );
  });

  it('a tensor the index omits, an entry its shard lacks, a tensor in two shards, a tensor listed twice', async () => {
    const map = mapOf(first, second);
    delete map['lm_head.weight'];
    map['model.layers.7.mlp.down_proj.weight'] = shardName(2);
    const omitted = await sharded({ 'model.safetensors.index.json': index(map) });
    expect(findingsOf(omitted, 'performance/shard-index-coverage').map((finding) => finding.message)).toEqual([
      `"lm_head.weight" in ${shardName(2)} is not in model.safetensors.index.json: loaders never read it`,
      `model.safetensors.index.json maps "model.layers.7.mlp.down_proj.weight" to ${shardName(2)}, which does not contain it`,
    ]);

    const twice = await sharded({ [shardName(2)]: safetensors([...second, first[0]]) });
    expect(findingsOf(twice, 'performance/shard-index-coverage')[0]?.message).toBe(
      `"model.embed_tokens.weight" is stored in 2 shards: ${shardName(1)}, ${shardName(2)}`,
    );

    const body = JSON.stringify(mapOf(first, second)).slice(1, -1);
    const listedTwice = `{"weight_map":{${body},"lm_head.weight":"${shardName(1)}"}}`;
    const duplicated = await sharded({ 'model.safetensors.index.json': index({}, listedTwice) });
    const messages = findingsOf(duplicated, 'performance/shard-index-coverage').map((finding) => finding.message);
    expect(messages).toContain(
      `model.safetensors.index.json lists "lm_head.weight" 2 times (${shardName(2)}, ${shardName(1)})`,
    );
  });

  it('a shard following the index naming that the index forgot', async () => {
    const report = await sharded({ 'model-00003-of-00002.safetensors': safetensors([random('extra.weight', [2], 5)]) });
    expect(findingsOf(report, 'performance/shard-index-coverage')[0]?.message).toMatch(/"extra.weight" in model-00003/);
  });
});

describe('examples/tiny-model-health, scanned with --deep', () => {
  const built = buildHealthExamples();

  it('the examples on disk are what the script builds (run scripts/make-health-examples.ts after changes)', () => {
    for (const [folder, files] of Object.entries(built)) {
      const path = join(HEALTH_EXAMPLES_ROOT, folder);
      expect(existsSync(path), path).toBe(true);
      expect(readdirSync(path).sort()).toEqual(Object.keys(files).sort());
      for (const [name, content] of Object.entries(files)) {
        const expected = typeof content === 'string' ? Buffer.from(content) : Buffer.from(content);
        expect(readFileSync(join(path, name)).equals(expected), `${folder}/${name}`).toBe(true);
      }
    }
  });

  it('the healthy model passes with no findings', async () => {
    const report = await auditPath(join(HEALTH_EXAMPLES_ROOT, 'healthy'), {}, deep);
    expect(report.findings, explain(report)).toEqual([]);
    expect(report.gate.exitCode).toBe(0);
  });

  it('one corrupted tensor: its NaNs are reported by name', async () => {
    const report = await auditPath(join(HEALTH_EXAMPLES_ROOT, 'corrupted-nan'), {}, deep);
    expect(report.gate.exitCode).toBe(1);
    expect(report.findings.map((finding) => [finding.ruleId, finding.file])).toEqual([
      ['performance/weights-non-finite', 'model-00001-of-00002.safetensors'],
    ]);
    expect(report.findings[0].message).toMatch(/"model.layers.0.self_attn.q_proj.weight" .* holds 7 NaN among 256/);
  });

  it('a truncated shard: the shard and the tensor cut short are named', async () => {
    const report = await auditPath(join(HEALTH_EXAMPLES_ROOT, 'truncated-shard'), {}, deep);
    expect(report.gate.exitCode).toBe(1);
    expect(report.findings.map((finding) => [finding.ruleId, finding.file])).toEqual([
      ['security/safetensors-truncated', 'model-00002-of-00002.safetensors'],
    ]);
    expect(report.findings[0].message).toContain('"lm_head.weight"');
  });

  it('a config / shape mismatch: the config field and the tensor are named', async () => {
    const report = await auditPath(join(HEALTH_EXAMPLES_ROOT, 'config-mismatch'), {}, deep);
    expect(report.gate.exitCode).toBe(1);
    expect(report.findings.map((finding) => [finding.ruleId, finding.file])).toEqual([
      ['performance/config-shape-mismatch', 'config.json'],
    ]);
    expect(report.findings[0].message).toMatch(/vocab_size = 128 but model.embed_tokens.weight \[64, 16\]/);
  });
});

// The writer's encodings are what the decoders read back (guards both against a shared mistake).
it('F16 / BF16 encodings round-trip known bit patterns', () => {
  expect([...encode('F16', [1, -2, 65504, Number.POSITIVE_INFINITY])]).toEqual([0, 0x3c, 0, 0xc0, 0xff, 0x7b, 0, 0x7c]);
  expect([...encode('BF16', [1, -2])]).toEqual([0x80, 0x3f, 0, 0xc0]);
});
