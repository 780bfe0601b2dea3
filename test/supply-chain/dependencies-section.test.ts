/** The `dependencies` report section: built for scan and audit, valid against the schema, rendered for people. */
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { auditPlan, NOT_ANALYSED_RULE_ID, VERSION } from '../../src/assay.js';
import { audit } from '../../src/core/audit.js';
import { DEFAULT_POLICY } from '../../src/core/policy.js';
import { Report } from '../../src/core/report.js';
import { renderHtml, renderMarkdown, renderText } from '../../src/report/index.js';
import { SHARED_DATA, tempFolder } from '../helpers.js';

async function auditWithPlan(command: 'scan' | 'audit', files: Record<string, string>) {
  const plan = auditPlan(command);
  return audit(await tempFolder(files), {
    policy: DEFAULT_POLICY,
    ...plan,
    notAnalysedRuleId: NOT_ANALYSED_RULE_ID,
    toolVersion: VERSION,
  });
}

describe('dependencies section', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it('lists every dependency with source, pin, scope and the advisories that affect it', async () => {
    vi.stubEnv('ASSAY_OSV_DB', join(SHARED_DATA, 'osv', 'PyPI'));
    const report = await auditWithPlan('audit', {
      'requirements.txt': 'torch==1.13.0\ntransformers>=4.30,<4.40\nsafetensors\n',
      'pyproject.toml': '[project]\nname = "m"\n[project.optional-dependencies]\nviz = ["matplotlib>=3"]\n',
    });
    expect(Report.safeParse(report).success).toBe(true);
    const section = report.dependencies;
    expect(section?.advisoryDatabase?.origin).toBe(join(SHARED_DATA, 'osv', 'PyPI'));
    expect(section?.advisoryDatabase?.records).toBeGreaterThan(0);
    const byName = Object.fromEntries((section?.dependencies ?? []).map((entry) => [entry.name, entry]));
    expect(byName.torch).toMatchObject({
      ecosystem: 'PyPI',
      version: '1.13.0',
      pinned: true,
      purl: 'pkg:pypi/torch@1.13.0',
      file: 'requirements.txt',
      line: 1,
      foundBy: 'requirements',
      scope: 'runtime',
    });
    expect(byName.torch?.advisories).toContainEqual(
      expect.objectContaining({ ids: ['PYSEC-2022-43015'], aliases: ['CVE-2022-45907'], affected: ['==1.13.0'] }),
    );
    expect(byName.transformers).toMatchObject({
      pinned: false,
      specifier: '>=4.30,<4.40',
      purl: 'pkg:pypi/transformers',
    });
    expect(byName.transformers?.advisories.map((entry) => [entry.ids[0], entry.affected])).toEqual([
      ['GHSA-37q5-v5qm-c9v8', ['>=4.30, <4.38.0']],
      ['GHSA-v68g-wm8c-6x7j', ['>=4.30, <4.36.0']],
    ]);
    expect(byName.safetensors?.advisories).toEqual([]);
    expect(byName.matplotlib).toMatchObject({ scope: 'optional', file: 'pyproject.toml' });

    const text = renderText(report, []);
    expect(text).toContain('Dependencies');
    expect(text).toContain('PyPI torch ==1.13.0 — requirements.txt:1 (requirements)');
    expect(text).toContain('PYSEC-2022-43015 (CVE-2022-45907) affects ==1.13.0');
    expect(renderMarkdown(report, [])).toContain('| PyPI | transformers | &gt;=4.30,&lt;4.40 (unpinned) |');
    const html = renderHtml(report, []);
    expect(html).toContain('<h2 id="dependencies">Dependencies</h2>');
    expect(html).toContain('&gt;=4.30, &lt;4.38.0');
  });

  it('is present for scan too, and says when no advisory database was configured', async () => {
    vi.stubEnv('ASSAY_OSV_DB', '');
    vi.stubEnv('ASSAY_HOME', await tempFolder({}));
    const report = await auditWithPlan('scan', { 'requirements.txt': 'torch==1.13.0\n' });
    expect(report.dependencies?.advisoryDatabase).toBeUndefined();
    expect(report.dependencies?.dependencies.map((entry) => entry.name)).toEqual(['torch']);
    expect(renderText(report, [])).toContain('No advisory database configured');
  });

  it('is absent when nothing declares a dependency', async () => {
    const report = await auditWithPlan('audit', { 'notes.txt': 'hello\n' });
    expect(report.dependencies).toBeUndefined();
  });
});
