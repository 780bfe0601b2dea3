/** Privacy in `assay audit`: data sets → GDPR / CCPA flags, personal data in shipped files, the section, the gate. */
import { parquetWriteBuffer } from 'hyparquet-writer';
import { describe, expect, it } from 'vitest';
import { auditPlan, builtInRuleMetas, NOT_ANALYSED_RULE_ID, VERSION } from '../../../src/assay.js';
import { audit } from '../../../src/core/audit.js';
import { DEFAULT_POLICY, IntendedUse, type Policy } from '../../../src/core/policy.js';
import type { Report } from '../../../src/core/report.js';
import { renderHtml, renderMarkdown, renderText } from '../../../src/report/index.js';
import { runAssay, tempFolder } from '../../helpers.js';

async function auditModel(files: Record<string, string | Uint8Array>, policy: Partial<Policy> = {}): Promise<Report> {
  const plan = auditPlan('audit');
  return audit(await tempFolder(files), {
    policy: { ...DEFAULT_POLICY, ...policy },
    ...plan,
    notAnalysedRuleId: NOT_ANALYSED_RULE_ID,
    toolVersion: VERSION,
  });
}

const card = (front: string) => `---\nlicense: apache-2.0\n${front}\n---\n# Model\n`;
const EU: Partial<Policy> = {
  intendedUse: IntendedUse.parse({ commercial: true, distribution: 'saas', regions: ['EU', 'US'] }),
};
const findingsOf = (report: Report, ruleId: string) => report.findings.filter((finding) => finding.ruleId === ruleId);

describe('training data → GDPR / CCPA flags', () => {
  it('a card listing LAION and CelebA gets Art. 9 and CCPA sensitive-information flags, low outside the EU', async () => {
    const report = await auditModel({ 'README.md': card('datasets:\n  - laion/laion2B-en\n  - celeba') });
    const privacy = report.privacy;
    expect(privacy?.datasets.map((dataset) => [dataset.id, dataset.entry, dataset.specialCategories])).toEqual([
      ['laion/laion2B-en', 'laion', ['biometric-face', 'health']],
      ['celeba', 'celeba', ['biometric-face']],
    ]);
    const art9 = privacy?.flags.find((flag) => flag.id === 'gdpr-special-categories');
    expect(art9).toMatchObject({ law: 'GDPR', article: 'Art. 9', notLegalAdvice: true });
    expect(art9?.because).toEqual(['laion/laion2B-en (biometric-face, health)', 'celeba (biometric-face)']);
    expect(privacy?.flags.map((flag) => flag.id)).toEqual(
      expect.arrayContaining([
        'gdpr-lawful-basis',
        'gdpr-indirect-collection-notice',
        'gdpr-children',
        'ccpa-personal-information',
        'ccpa-sensitive-personal-information',
      ]),
    );
    const [finding] = findingsOf(report, 'compliance/dataset-special-categories');
    expect(finding?.severity).toBe('low');
    expect(finding?.message).toContain('Not legal advice');
    expect(report.verdict).toBe('pass');
  });

  it('the same card fails the gate when the intended use includes the EU', async () => {
    const report = await auditModel({ 'README.md': card('datasets:\n  - laion/laion2B-en\n  - celeba') }, EU);
    expect(report.privacy?.gdprInScope).toBe(true);
    expect(findingsOf(report, 'compliance/dataset-special-categories')[0]?.severity).toBe('high');
    expect(findingsOf(report, 'compliance/dataset-children')[0]?.severity).toBe('medium');
    expect(report.verdict).toBe('fail');
  });

  it('an unknown data set is reported as unknown, not clean', async () => {
    const report = await auditModel({ 'README.md': card('datasets:\n  - acme-corp/crm-export-2024') });
    expect(report.privacy?.datasets).toEqual([
      {
        id: 'acme-corp/crm-export-2024',
        declaredIn: ['datasets'],
        known: false,
        source: [],
        personalData: 'unknown',
        specialCategories: [],
        children: 'unknown',
      },
    ]);
    expect(report.privacy?.flags.map((flag) => flag.id)).toEqual(['gdpr-unknown-training-data']);
    expect(findingsOf(report, 'compliance/dataset-unknown')[0]?.message).toContain('acme-corp/crm-export-2024');
  });

  it('a card with no datasets says the training data is not declared', async () => {
    const report = await auditModel({ 'README.md': card('library_name: transformers') });
    expect(report.privacy?.flags[0]).toMatchObject({
      id: 'gdpr-unknown-training-data',
      because: ['the model card names no training data'],
    });
  });

  it('reads source_datasets, language_creators, task tags and EU gating', async () => {
    const report = await auditModel(
      {
        'README.md': card(
          'source_datasets:\n  - original\n  - extended|allenai/c4\nlanguage_creators:\n  - found\n' +
            'tags:\n  - speaker-verification\npipeline_tag: audio-classification\ngated: true\nextra_gated_eu_disallowed: true',
        ),
      },
      EU,
    );
    const privacy = report.privacy;
    expect(privacy?.datasets.map((dataset) => [dataset.id, dataset.declaredIn])).toEqual([
      ['allenai/c4', ['source_datasets']],
    ]);
    expect(privacy?.signals.map((signal) => signal.kind)).toEqual(['language-creators', 'tag', 'eu-gated']);
    expect(privacy?.flags.find((flag) => flag.id === 'gdpr-special-categories')?.because).toEqual([
      'tag speaker-verification',
    ]);
    expect(privacy?.flags.find((flag) => flag.id === 'gdpr-indirect-collection-notice')?.because).toEqual([
      'allenai/c4',
      'language_creators: found',
    ]);
    expect(findingsOf(report, 'compliance/eu-access-disallowed')[0]?.severity).toBe('high');
  });
});

describe('personal data in shipped files', () => {
  it('SSNs and card numbers in a CSV are high; the examples are masked', async () => {
    const csv = 'name,ssn,card\nAnn,536-22-1234,4539 1488 0343 6467\nBob,536-22-1235,\n';
    const report = await auditModel({ 'README.md': card('datasets:\n  - squad'), 'data/people.csv': csv });
    const [finding] = findingsOf(report, 'compliance/personal-data-in-files');
    expect(finding).toMatchObject({ severity: 'high', file: 'data/people.csv' });
    expect(finding?.message).toContain('2 US Social Security numbers, 1 payment card number in the file');
    expect(finding?.message).toContain('***-**-**34 (row on line 2, column "ssn")');
    expect(JSON.stringify(report)).not.toContain('536-22-1234');
    expect(report.privacy?.flags.find((flag) => flag.id === 'ccpa-sensitive-personal-information')?.because).toEqual([
      'data/people.csv (us-ssn, credit-card)',
    ]);
  });

  it('e-mails in a JSONL sample are medium, IP addresses alone low', async () => {
    const jsonl = `${JSON.stringify({ prompt: 'hi', author: 'kim.park@hanmail.net' })}\n`;
    const ips = JSON.stringify([{ remote_addr: '81.2.69.160' }]);
    const report = await auditModel({ 'samples/chat.jsonl': jsonl, 'logs.json': ips });
    const findings = findingsOf(report, 'compliance/personal-data-in-files');
    expect(findings.map((finding) => [finding.file, finding.severity])).toEqual([
      ['logs.json', 'low'],
      ['samples/chat.jsonl', 'medium'],
    ]);
  });

  it('a Parquet sample with e-mails is found, with the masked example and what was read', async () => {
    const buffer = parquetWriteBuffer({
      columnData: [
        { name: 'email', data: ['lena.m@posteo.de', 'tom@gmx.net', 'no e-mail'], type: 'STRING' },
        { name: 'label', data: [1, 0, 1], type: 'INT32' },
      ],
    });
    const report = await auditModel({ 'eval.parquet': new Uint8Array(buffer) });
    expect(report.privacy?.files).toEqual([
      expect.objectContaining({
        file: 'eval.parquet',
        layout: 'parquet',
        counts: { email: 2 },
        examples: [
          expect.objectContaining({ masked: 'l***@p***.de', where: 'row 1, column "email"' }),
          expect.objectContaining({ masked: 't***@g***.net', where: 'row 2, column "email"' }),
        ],
        sample: expect.objectContaining({ complete: true, rowsRead: 3, description: 'whole file (3 rows)' }),
      }),
    ]);
    expect(findingsOf(report, 'compliance/personal-data-in-files')[0]?.severity).toBe('medium');
  });
});

describe('wiring', () => {
  it('privacy rules and section run in audit, not in scan, and are documented', () => {
    const scan = auditPlan('scan');
    const ids = (plan: ReturnType<typeof auditPlan>) => [...plan.rules, ...plan.modelRules].map((rule) => rule.meta.id);
    expect(ids(scan)).not.toContain('compliance/personal-data-in-files');
    expect(ids(scan)).not.toContain('compliance/dataset-special-categories');
    expect(ids(auditPlan('audit'))).toEqual(
      expect.arrayContaining(['compliance/personal-data-in-files', 'compliance/dataset-special-categories']),
    );
    expect(builtInRuleMetas().map((meta) => meta.id)).toContain('compliance/dataset-unknown');
  });

  it('text, Markdown and HTML show the privacy section with the disclaimer and masked values only', async () => {
    const report = await auditModel({
      'README.md': card('datasets:\n  - laion/laion-5b\n  - acme/unknown-set'),
      'data/contacts.csv': 'email\nsara.lind@telia.se\n',
    });
    const rules = builtInRuleMetas();
    const outputs = [
      [renderText(report, rules), 's***@t***.se'],
      [renderMarkdown(report, rules), 's\\*\\*\\*@t\\*\\*\\*.se'],
      [renderHtml(report, rules), 's***@t***.se'],
    ];
    for (const [output, masked] of outputs) {
      expect(output).toContain('Privacy (GDPR / CCPA)');
      expect(output).toContain('Not legal advice');
      expect(output).toContain('Art. 9');
      expect(output).toContain(masked);
      expect(output).toContain('acme/unknown-set');
      expect(output).not.toContain('sara.lind@telia.se');
    }
  });

  it('assay audit examples/personal-data with the EU policy: privacy section in JSON, special categories fail the gate', async () => {
    const { code, stdout } = await runAssay([
      'audit',
      'examples/personal-data',
      '--policy',
      'examples/personal-data/policy.yaml',
      '--format',
      'json',
    ]);
    expect(code).toBe(1);
    const report = JSON.parse(stdout) as Report;
    expect(report.privacy?.gdprInScope).toBe(true);
    expect(report.privacy?.datasets.map((dataset) => dataset.known)).toEqual([true, true, false]);
    expect(report.privacy?.files.map((file) => file.file)).toEqual(['data/support_tickets.csv', 'eval/samples.jsonl']);
    expect(findingsOf(report, 'compliance/dataset-special-categories')[0]?.severity).toBe('high');
    expect(stdout).not.toContain('mara.quell@acme-mail.net');
  });
});
