/** `assay diff`: two versions of a tiny safetensors model, tensor by tensor, config key by key, report by report. */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadSide } from '../../src/cli/diff.js';
import { diffJson, diffSides, type ModelDiff } from '../../src/provenance/diff.js';
import { callPickle } from '../fixtures/pickle-writer.js';
import { randomValues, safetensors } from '../fixtures/safetensors-writer.js';
import { runAssay, tempFolder } from '../helpers.js';

const assay = (...args: string[]) => runAssay(args);

const CONFIG_V1 = { model_type: 'llama', hidden_size: 4, rope_scaling: { type: 'linear', factor: 2 }, old_key: true };
const CONFIG_V2 = { model_type: 'llama', hidden_size: 8, rope_scaling: { type: 'linear', factor: 4 }, new_key: 'x' };

/** Version 1 and 2 of a two-shard model; shard 2 is identical in both. */
async function versions(): Promise<[string, string]> {
  const shard2 = safetensors([{ name: 'aux.table', shape: [4, 3], values: randomValues(12, 9) }]);
  const v1 = await tempFolder({
    'config.json': JSON.stringify(CONFIG_V1),
    'tokenizer_config.json': JSON.stringify({ model_max_length: 512 }),
    'model-00002.safetensors': shard2,
    'model-00001.safetensors': safetensors([
      { name: 'embed.weight', shape: [4, 2], values: randomValues(8, 1) },
      { name: 'layer0.weight', shape: [2, 2], values: randomValues(4, 2) },
      { name: 'layer0.bias', shape: [2], values: randomValues(2, 3) },
      { name: 'layer1.weight', shape: [2, 2], values: randomValues(4, 4) },
      { name: 'layer1.bias', shape: [2], values: randomValues(2, 5) },
      { name: 'proj.weight', shape: [2, 3], values: randomValues(6, 6) },
      { name: 'dropped.weight', shape: [3], values: randomValues(3, 7) },
    ]),
  });
  const v2 = await tempFolder({
    'config.json': JSON.stringify(CONFIG_V2),
    'tokenizer_config.json': JSON.stringify({ model_max_length: 512 }),
    'model-00002.safetensors': shard2,
    // dropped.weight removed (shifting every later offset), layer0.weight and layer1.bias retrained,
    // proj.weight reshaped with the same bytes, norm.weight added; the rest unchanged but at new offsets.
    'model-00001.safetensors': safetensors([
      { name: 'norm.weight', shape: [2], values: [1, 1] },
      { name: 'embed.weight', shape: [4, 2], values: randomValues(8, 1) },
      { name: 'layer0.weight', shape: [2, 2], values: randomValues(4, 20) },
      { name: 'layer0.bias', shape: [2], values: randomValues(2, 3) },
      { name: 'layer1.weight', shape: [2, 2], values: randomValues(4, 4) },
      { name: 'layer1.bias', shape: [2], values: [...randomValues(1, 5), 0.5] },
      { name: 'proj.weight', shape: [3, 2], values: randomValues(6, 6) },
    ]),
  });
  return [v1, v2];
}

const names = (list: { name: string }[]) => list.map((entry) => entry.name);

describe('assay diff on two versions of a safetensors model', () => {
  it('names exactly the tensors whose bytes changed, the reshaped, removed and added ones, and config keys', async () => {
    const [v1, v2] = await versions();
    const diff = await diffSides(await loadSide(v1), await loadSide(v2));
    expect(diff.identical).toBe(false);
    expect(diff.files.changed.map((change) => change.path)).toEqual(['config.json', 'model-00001.safetensors']);
    expect(names(diff.tensors.bytesChanged)).toEqual(['layer0.weight', 'layer1.bias']);
    expect(diff.tensors.reshaped).toEqual([
      expect.objectContaining({
        name: 'proj.weight',
        before: expect.objectContaining({ shape: [2, 3] }),
        after: expect.objectContaining({ shape: [3, 2] }),
        bytesChanged: false,
      }),
    ]);
    expect(names(diff.tensors.removed)).toEqual(['dropped.weight']);
    expect(names(diff.tensors.added)).toEqual(['norm.weight']);
    expect(diff.tensors.retyped).toEqual([]);
    expect(diff.tensors.moved).toEqual([]);
    expect(diff.configs).toEqual([
      {
        file: 'config.json',
        added: [{ key: 'new_key', after: '"x"' }],
        removed: [{ key: 'old_key', before: 'true' }],
        changed: [
          { key: 'hidden_size', before: '4', after: '8' },
          { key: 'rope_scaling.factor', before: '2', after: '4' },
        ],
      },
    ]);
    expect(diff.findings).toEqual({ new: [], fixed: [] });
  });

  it('prints the same through the CLI, text and JSON, and exits 1; identical versions exit 0', async () => {
    const [v1, v2] = await versions();
    const text = await assay('diff', v1, v2);
    expect(text.code).toBe(1);
    expect(text.stdout).toMatch(/bytes\s+layer0\.weight changed/);
    expect(text.stdout).toMatch(/bytes\s+layer1\.bias changed/);
    expect(text.stdout).toMatch(/reshaped\s+proj\.weight \[2, 3\] -> \[3, 2\]/);
    expect(text.stdout).toMatch(/removed\s+dropped\.weight/);
    expect(text.stdout).toMatch(/changed\s+hidden_size: 4 -> 8/);
    expect(text.stdout).not.toMatch(/embed\.weight|layer0\.bias|layer1\.weight|aux\.table/);
    const json = await assay('diff', v1, v2, '--format', 'json');
    expect(json.code).toBe(1);
    const parsed = JSON.parse(json.stdout) as ModelDiff;
    expect(names(parsed.tensors.bytesChanged)).toEqual(['layer0.weight', 'layer1.bias']);
    const same = await assay('diff', v1, v1);
    expect(same.code).toBe(0);
    expect(same.stdout).toContain('IDENTICAL');
  });

  it('notices a retyped tensor and a changed byte past the first read chunk of a multi-MiB tensor', async () => {
    const big = new Uint8Array(6 << 20).fill(7);
    const changed = big.slice();
    changed[5 << 20] = 8;
    const a = await tempFolder({
      'model.safetensors': safetensors([
        { name: 'small', shape: [2], values: [1, 2] },
        { name: 'big', dtype: 'U8', shape: [big.length], bytes: big },
        { name: 'tail', dtype: 'F32', shape: [2], values: [3, 4] },
      ]),
    });
    const b = await tempFolder({
      'model.safetensors': safetensors([
        { name: 'small', shape: [2], values: [1, 2] },
        { name: 'big', dtype: 'U8', shape: [big.length], bytes: changed },
        { name: 'tail', dtype: 'I32', shape: [2], values: [3, 4] },
      ]),
    });
    const diff = await diffSides(await loadSide(a), await loadSide(b));
    expect(names(diff.tensors.bytesChanged)).toEqual(['big']);
    expect(diff.tensors.retyped).toEqual([
      expect.objectContaining({ name: 'tail', before: expect.objectContaining({ dtype: 'F32' }), bytesChanged: true }),
    ]);
  });

  it('compares two JSON reports: files and findings new and fixed', async () => {
    const clean = await tempFolder({ 'model.pkl': callPickle('collections', 'OrderedDict', 'x') });
    const bad = await tempFolder({ 'model.pkl': callPickle('os', 'system', 'echo hi') });
    const out = await tempFolder({});
    await assay('scan', clean, '--format', 'json', '--output', join(out, 'a.json'));
    await assay('scan', bad, '--format', 'json', '--output', join(out, 'b.json'));
    const forward = await assay('diff', join(out, 'a.json'), join(out, 'b.json'), '--format', 'json');
    expect(forward.code).toBe(1);
    const diff = JSON.parse(forward.stdout) as ModelDiff;
    expect(diff.a.kind).toBe('report');
    expect(diff.files.changed.map((change) => change.path)).toEqual(['model.pkl']);
    expect(diff.findings?.new).toEqual([
      expect.objectContaining({ ruleId: 'security/pickle-dangerous-global', file: 'model.pkl' }),
    ]);
    expect(diff.findings?.fixed).toEqual([]);
    const backward = await assay('diff', join(out, 'b.json'), join(out, 'a.json'));
    expect(backward.stdout).toMatch(/fixed\s+critical security\/pickle-dangerous-global/);
    const invalid = await tempFolder({ 'r.json': JSON.stringify({ schemaVersion: '9', findings: [] }) });
    const refused = await assay('diff', join(invalid, 'r.json'), join(out, 'a.json'));
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('r.json');
  });

  it('truncates long config values', () => {
    const { changed } = diffJson({ prompt: 'a'.repeat(500) }, { prompt: 'b'.repeat(500) });
    expect(changed[0].before!.length).toBeLessThanOrEqual(80);
    expect(changed[0].after!.endsWith('…')).toBe(true);
  });
});
