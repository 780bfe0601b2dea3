import { describe, expect, it } from 'vitest';
import { auditPlan, NOT_ANALYSED_RULE_ID, VERSION } from '../../../src/assay.js';
import { audit } from '../../../src/core/audit.js';
import { DEFAULT_POLICY } from '../../../src/core/policy.js';
import { Report } from '../../../src/core/report.js';
import { renderHtml } from '../../../src/report/html.js';
import { renderMarkdown, renderText } from '../../../src/report/index.js';
import { tempFolder } from '../../helpers.js';

const CARD = [
  '---',
  'license: other',
  'license_name: llama3',
  'license_link: LICENSE',
  'base_model: meta-llama/Meta-Llama-3-8B',
  'base_model_relation: finetune',
  'datasets:',
  '- HuggingFaceH4/ultrachat_200k',
  '- <script>alert(1)</script>',
  'library_name: transformers',
  'pipeline_tag: text-generation',
  'language: [en, fr]',
  'tags: [chat]',
  'model_name: Tiny-Chat',
  '---',
  '# Tiny chat',
].join('\n');

async function auditWithPlan(files: Record<string, string>, command: 'scan' | 'audit' = 'audit') {
  return audit(await tempFolder(files), {
    policy: DEFAULT_POLICY,
    ...auditPlan(command),
    notAnalysedRuleId: NOT_ANALYSED_RULE_ID,
    toolVersion: VERSION,
  });
}

describe('model section', () => {
  it('reports what the card claims, as written, in scan and audit', async () => {
    for (const command of ['scan', 'audit'] as const) {
      const report = await auditWithPlan({ 'README.md': CARD, 'config.json': '{}' }, command);
      expect(Report.parse(report).model).toEqual({
        card: { file: 'README.md', status: 'read' },
        name: 'Tiny-Chat',
        license: 'other',
        licenseName: 'llama3',
        licenseLink: 'LICENSE',
        baseModels: ['meta-llama/Meta-Llama-3-8B'],
        baseModelRelation: 'finetune',
        datasets: ['HuggingFaceH4/ultrachat_200k', '<script>alert(1)</script>'],
        libraryName: 'transformers',
        pipelineTag: 'text-generation',
        languages: ['en', 'fr'],
        tags: ['chat'],
        frontMatter: expect.objectContaining({ license: 'other', language: ['en', 'fr'] }),
      });
    }
  });

  it('says when there is no card, or a card without front matter, and claims nothing', async () => {
    expect((await auditWithPlan({ 'config.json': '{}' })).model).toEqual({
      baseModels: [],
      datasets: [],
      languages: [],
      tags: [],
    });
    const plain = await auditWithPlan({ 'README.md': '# Just a readme\n', 'docs/README.md': CARD });
    expect(plain.model?.card).toEqual({ file: 'README.md', status: 'no-front-matter' });
    expect(plain.model?.license).toBeUndefined();
  });

  it('reports a malformed card as a low provenance finding with its YAML line', async () => {
    const report = await auditWithPlan({ 'README.md': '---\nlicense: mit\nbase_model: [a, b\n---\n# x\n' });
    expect(report.model?.card).toMatchObject({ file: 'README.md', status: 'malformed', problem: { line: 3 } });
    const finding = report.findings.find((candidate) => candidate.ruleId === 'provenance/model-card-malformed');
    expect(finding).toMatchObject({ severity: 'low', pillar: 'provenance', file: 'README.md', location: { line: 3 } });
    expect(finding?.message).toContain('line 3');
    expect(report.verdict).toBe('pass');
  });

  it('is shown in text, Markdown and HTML, escaped', async () => {
    const report = await auditWithPlan({ 'README.md': CARD });
    const text = renderText(report, []);
    expect(text).toContain('Model card');
    expect(text).toMatch(/Licence name:\s+llama3/);
    expect(text).toMatch(/Base models:\s+meta-llama\/Meta-Llama-3-8B/);
    expect(renderMarkdown(report, [])).toContain('| Licence link | LICENSE |');
    const html = renderHtml(report, []);
    expect(html).toContain('<th scope="row">Datasets</th>');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).not.toContain('<script>alert(1)');
  });
});
