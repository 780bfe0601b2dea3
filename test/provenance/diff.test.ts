/** `assay diff`: two versions of a tiny safetensors model, tensor by tensor, config key by key, report by report. */

import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { auditPlan, NOT_ANALYSED_RULE_ID, VERSION } from '../../src/assay.js';
import { loadSide } from '../../src/cli/diff.js';
import { audit } from '../../src/core/audit.js';
import { DEFAULT_POLICY } from '../../src/core/policy.js';
import { diffJson, diffSides, type ModelDiff } from '../../src/provenance/diff.js';
import { renderJson } from '../../src/report/json.js';
import { type HubServer, startHubServer } from '../fixtures/hub-server.js';
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
  }, 240_000);

  it('truncates long config values', () => {
    const { changed } = diffJson({ prompt: 'a'.repeat(500) }, { prompt: 'b'.repeat(500) });
    expect(changed[0].before!.length).toBeLessThanOrEqual(80);
    expect(changed[0].after!.endsWith('…')).toBe(true);
  });

  it('compares two JSON reports: card claims too, and says it cannot compare the licence text', async () => {
    const out = await tempFolder({});
    const reportOf = async (files: Record<string, string>, name: string) => {
      const report = await audit(await tempFolder(files), {
        policy: DEFAULT_POLICY,
        ...auditPlan('scan'),
        notAnalysedRuleId: NOT_ANALYSED_RULE_ID,
        toolVersion: VERSION,
      });
      await writeFile(join(out, name), renderJson(report, []));
      return loadSide(join(out, name));
    };
    const a = await reportOf({ 'README.md': '---\nlicense: mit\n---\n', LICENSE: 'MIT terms' }, 'a.json');
    const b = await reportOf({ 'README.md': '---\nlicense: gpl-3.0\n---\n', LICENSE: 'GPL terms' }, 'b.json');
    const diff = await diffSides(a, b);
    expect(diff.card?.changed).toEqual([{ key: 'license', before: '"mit"', after: '"gpl-3.0"' }]);
    expect(diff.licence.card).toEqual([{ key: 'license', before: 'mit', after: 'gpl-3.0' }]);
    expect(diff.licence.files).toEqual([{ path: 'LICENSE', change: 'changed' }]);
    expect(diff.notes).toContain('LICENSE: licence text not compared (a report holds digests, not contents)');
  });
});

const CARD_V1 = ['---', 'license: apache-2.0', 'datasets: [org/data-a]', 'tags: [chat]', '---', '# v1'].join('\n');
const CARD_V2 = [
  '---',
  'license: other',
  'license_name: llama3',
  'license_link: LICENSE',
  'datasets: [org/data-a, org/data-b]',
  'base_model: org/base',
  '---',
  '# v2',
].join('\n');

describe('assay diff of cards and licences', () => {
  it('names front matter keys added, removed and changed, and licence fields and files that changed', async () => {
    const a = await tempFolder({
      'README.md': CARD_V1,
      LICENSE: 'Apache License\nVersion 2.0\nTerms and conditions\n',
      'USE_POLICY.md': 'Do not misuse.\n',
      'vendor/LICENSE': 'a vendored library licence',
    });
    const b = await tempFolder({
      'README.md': CARD_V2,
      LICENSE: 'LLAMA 3 COMMUNITY LICENSE\nVersion 2.0\nTerms and conditions\nAcceptable use applies\n',
      'USE_POLICY.md': 'Do not   misuse.\r\n',
      NOTICE: 'Llama 3 is licensed under the Llama 3 Community License',
      'vendor/LICENSE': 'another vendored licence',
    });
    const diff = await diffSides(await loadSide(a), await loadSide(b));
    expect(diff.card).toEqual({
      file: 'README.md',
      before: 'read',
      after: 'read',
      added: [
        { key: 'base_model', after: '"org/base"' },
        { key: 'license_link', after: '"LICENSE"' },
        { key: 'license_name', after: '"llama3"' },
      ],
      removed: [{ key: 'tags', before: '["chat"]' }],
      changed: [
        { key: 'datasets', before: '["org/data-a"]', after: '["org/data-a","org/data-b"]' },
        { key: 'license', before: '"apache-2.0"', after: '"other"' },
      ],
    });
    expect(diff.licence).toEqual({
      card: [
        { key: 'license', before: 'apache-2.0', after: 'other' },
        { key: 'license_name', after: 'llama3' },
        { key: 'license_link', after: 'LICENSE' },
      ],
      // vendor/LICENSE speaks for a vendored library, not for the model.
      files: [
        { path: 'LICENSE', change: 'changed', text: { linesRemoved: 1, linesAdded: 2, whitespaceOnly: false } },
        { path: 'NOTICE', change: 'added' },
        { path: 'USE_POLICY.md', change: 'changed', text: { linesRemoved: 1, linesAdded: 1, whitespaceOnly: true } },
      ],
    });
    const text = await assay('diff', a, b);
    expect(text.stdout).toMatch(/README\.md \(card front matter\)/);
    expect(text.stdout).toMatch(/added\s+base_model = "org\/base"/);
    expect(text.stdout).toMatch(/card\s+license: apache-2\.0 -> other/);
    expect(text.stdout).toMatch(/changed\s+LICENSE \(1 line\(s\) removed, 2 added\)/);
    expect(text.stdout).toMatch(/changed\s+USE_POLICY\.md \(whitespace only\)/);
    expect(text.stdout).toMatch(/added\s+NOTICE/);
  }, 180_000);

  it('reports a card that became unreadable', async () => {
    const a = await tempFolder({ 'README.md': CARD_V1 });
    const b = await tempFolder({ 'README.md': '---\nlicense: [mit\n---\n' });
    const diff = await diffSides(await loadSide(a), await loadSide(b));
    expect(diff.card).toMatchObject({ before: 'read', after: 'malformed' });
    expect(diff.card?.removed.map((change) => change.key)).toEqual(['datasets', 'license', 'tags']);
    expect(diff.licence.card).toEqual([{ key: 'license', before: 'apache-2.0' }]);
  });
});

let hub: HubServer | undefined;
afterAll(async () => hub?.close());

describe('assay diff of two Hub revisions', () => {
  it('downloads both commits from the Hub and names exactly the tensors that changed', async () => {
    const [v1, v2] = await versions();
    const withCard = async (folder: string, card: string) => {
      const copy = await tempFolder({ 'README.md': card });
      for (const name of ['config.json', 'tokenizer_config.json', 'model-00001.safetensors', 'model-00002.safetensors'])
        await copyFile(join(folder, name), join(copy, name));
      return copy;
    };
    const first = 'a'.repeat(40);
    const second = 'b'.repeat(40);
    hub = await startHubServer({
      repos: {
        'org/tiny': {
          folder: await withCard(v2, CARD_V2),
          commit: second,
          refs: ['main'],
          otherCommits: [{ folder: await withCard(v1, CARD_V1), commit: first, refs: ['v1'] }],
        },
      },
      lfsThreshold: 64,
    });
    const home = await tempFolder({});
    await mkdir(join(home, 'hub'), { recursive: true });
    const env = { HF_ENDPOINT: hub.url, HF_HOME: home };
    const json = await runAssay(['diff', `hf://org/tiny@${first}`, `hf://org/tiny@${second}`, '--format', 'json'], env);
    expect(json.stderr).toBe('');
    expect(json.code).toBe(1);
    const diff = JSON.parse(json.stdout) as ModelDiff;
    expect(diff.a).toEqual({ label: `hf://org/tiny@${first}`, kind: 'directory' });
    expect(names(diff.tensors.bytesChanged)).toEqual(['layer0.weight', 'layer1.bias']);
    expect(names(diff.tensors.added)).toEqual(['norm.weight']);
    expect(names(diff.tensors.removed)).toEqual(['dropped.weight']);
    expect(diff.licence.card[0]).toEqual({ key: 'license', before: 'apache-2.0', after: 'other' });
    expect(diff.findings).toEqual({ new: [], fixed: [] });
    // Both revisions were fetched at their own commit.
    const resolved = hub.requests.filter((request) => request.path.includes('/resolve/')).map((r) => r.path);
    expect(resolved.some((path) => path.includes(`/resolve/${first}/`))).toBe(true);
    expect(resolved.some((path) => path.includes(`/resolve/${second}/`))).toBe(true);

    // A branch name works too, and the diff says which side was not pinned.
    const branch = await runAssay(['diff', 'hf://org/tiny@v1', 'hf://org/tiny@main'], env);
    expect(branch.code).toBe(1);
    expect(branch.stdout).toMatch(/bytes\s+layer0\.weight changed/);
    expect(branch.stdout).toMatch(/fixed\s+medium provenance\/unpinned-revision/);
  }, 240_000);
});
