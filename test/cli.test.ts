/** The `assay` command as a user runs it: exit codes, formats, files written, errors that say what to do. */
import { readFileSync } from 'node:fs';
import { appendFile, cp } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { builtInRuleMetas } from '../src/assay.js';
import { ruleDoc } from '../src/cli/rules.js';
import { PUBLISHED_SCHEMAS, publishedJsonSchema } from '../src/core/report-schema.js';
import { callPickle } from './fixtures/pickle-writer.js';
import { PROJECT_ROOT, runAssay, SHARED_DATA, tempFolder } from './helpers.js';
import { reportValidator, sarifValidator } from './report/schema-validators.js';

const assay = (...args: string[]) => runAssay(args);

describe('assay CLI', () => {
  it('prints its version', async () => {
    const { code, stdout } = await assay('--version');
    expect(code).toBe(0);
    expect(stdout.trim()).toBe(JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8')).version);
  });

  it('audits the examples: the malicious one fails the gate, the benign one passes', async () => {
    const malicious = await assay('audit', 'examples/malicious-model');
    expect(malicious.code).toBe(1);
    expect(malicious.stdout).toContain('posix.system');
    expect(malicious.stdout).toMatch(/verdict FAIL/);
    const benign = await assay('audit', 'examples/benign-model');
    expect(benign.code).toBe(0);
    expect(benign.stdout).toMatch(/verdict PASS/);
  });

  it('writes SARIF 2.1.0 that validates against the official schema', async () => {
    const { code, stdout } = await assay('scan', 'examples/malicious-model', '--format', 'sarif');
    expect(code).toBe(1);
    const validate = sarifValidator();
    expect(validate(JSON.parse(stdout)), JSON.stringify(validate.errors)).toBe(true);
  });

  it('writes a JSON report that validates against schema/report.schema.json', async () => {
    const folder = await tempFolder({});
    const output = join(folder, 'report.json');
    const { code, stderr } = await assay('scan', 'examples/malicious-model', '--format', 'json', '--output', output);
    expect(code).toBe(1);
    expect(stderr).toMatch(/verdict FAIL/);
    const report = JSON.parse(readFileSync(output, 'utf8'));
    const validate = reportValidator();
    expect(validate(report), JSON.stringify(validate.errors)).toBe(true);
    expect(report.findings[0]).toMatchObject({ ruleId: 'security/pickle-dangerous-global', severity: 'critical' });
  });

  it('writes a self-contained HTML page and Markdown', async () => {
    const html = await assay('scan', 'examples/malicious-model', '--format', 'html');
    expect(html.stdout).toMatch(/^<!doctype html>/i);
    expect(html.stdout).not.toMatch(/\s(src|href)=["']https?:/i);
    const md = await assay('scan', 'examples/malicious-model', '--format', 'md');
    expect(md.stdout).toContain('security/pickle-dangerous-global');
  });

  it('honours --fail-on, --quiet and a policy file', async () => {
    const folder = await tempFolder({
      'model.pkl': callPickle('mylab.layers', 'CustomNorm', 'x'),
      'policy.yaml': 'failOn: medium\n',
      'allow.yaml': 'allowGlobals:\n  - global: mylab.layers.CustomNorm\n    reason: our own layer\n',
    });
    const target = join(folder, 'model.pkl');
    expect((await assay('scan', target)).code).toBe(0);
    expect((await assay('scan', target, '--fail-on', 'medium')).code).toBe(1);
    const quiet = await assay('scan', target, '--quiet', '--policy', join(folder, 'policy.yaml'));
    expect(quiet).toMatchObject({ code: 1, stdout: '' });
    const allowed = await assay('scan', target, '--policy', join(folder, 'allow.yaml'), '--fail-on', 'medium');
    expect(allowed.code).toBe(0);
  });

  it('exits 2 with a message saying what went wrong and where', async () => {
    const folder = await tempFolder({ 'bad.yaml': 'failOn: sometimes\nunknownKey: 1\n' });
    const badPolicy = await assay('scan', 'examples/benign-model', '--policy', join(folder, 'bad.yaml'));
    expect(badPolicy.code).toBe(2);
    expect(badPolicy.stderr).toContain('bad.yaml');
    expect(badPolicy.stderr).toContain('failOn');
    const missing = await assay('scan', join(folder, 'no-such-model'));
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/cannot read target .*no-such-model.*ENOENT/);
    expect((await assay('scan', 'examples', '--format', 'pdf')).code).toBe(2);
  });

  it('verifies an OpenSSF model-signing bundle and rejects a tampered model', async () => {
    const cases = join(SHARED_DATA, 'signing', 'model-transparency', 'scripts', 'tests');
    const key = join(cases, 'keys', 'certificate', 'signing-key-pub.pem');
    const model = join(cases, 'v1.0.1-elliptic-key');
    const valid = await assay(
      'verify',
      model,
      '--signature',
      join(model, 'model.sig'),
      '--key',
      key,
      '--ignore-paths',
      'ignore-me',
    );
    expect(valid.code, valid.stdout + valid.stderr).toBe(0);
    expect(valid.stdout).toContain('signature VALID');
    const copy = await tempFolder({});
    await cp(model, copy, { recursive: true });
    await appendFile(join(copy, 'signme-1'), 'tampered');
    const tampered = await assay(
      'verify',
      copy,
      '--signature',
      join(copy, 'model.sig'),
      '--key',
      key,
      '--ignore-paths',
      'ignore-me',
    );
    expect(tampered.code).toBe(1);
    expect(tampered.stdout).toMatch(/signme-1.*does not match/);
  });

  it('lists its rules', async () => {
    const { code, stdout } = await assay('rules');
    expect(code).toBe(0);
    expect(stdout).toContain('security/pickle-dangerous-global');
  });
});

describe('generated artefacts are up to date', () => {
  it.each(PUBLISHED_SCHEMAS.map((entry) => [entry.file, entry] as const))(
    'schema/%s matches the zod schemas (npm run schema)',
    (file, entry) => {
      const committed = JSON.parse(readFileSync(join(PROJECT_ROOT, 'schema', file), 'utf8'));
      expect(committed).toEqual(publishedJsonSchema(entry));
    },
  );

  it('docs/rules has a page per rule (npx tsx scripts/generate-docs.ts)', () => {
    for (const meta of builtInRuleMetas()) {
      expect(readFileSync(join(PROJECT_ROOT, 'docs', 'rules', `${meta.id}.md`), 'utf8')).toBe(ruleDoc(meta));
    }
  });
});
