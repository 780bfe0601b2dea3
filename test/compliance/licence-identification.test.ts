import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LICENCES, type LicenceEntry } from '../../src/knowledge/licences.js';
import { buildGguf, str } from '../fixtures/gguf-writer.js';
import { SHARED_DATA } from '../helpers.js';
import { auditCompliance, card, findingsOf } from './support.js';

const spdxTexts = createRequire(import.meta.url)('spdx-license-list/full.js') as Record<
  string,
  { licenseText: string }
>;
const rows = [...LICENCES.values()];
const members = rows.filter((entry) => !entry.familyOf);
const families = rows.filter((entry) => entry.familyOf);
const withText = members.filter((entry) => entry.text);

/** The real text of a licence row: the shared model-licence file, or the SPDX list's text. */
function licenceText(entry: LicenceEntry): string {
  const source = entry.text;
  if (!source) throw new Error(`${entry.id} has no text`);
  return 'spdx' in source
    ? (spdxTexts[source.spdx]?.licenseText as string)
    : readFileSync(join(SHARED_DATA, 'licenses', `${source.fingerprint}.txt`), 'utf8');
}

/** A licence other than the row's, for the conflict tests. */
function otherThan(entry: LicenceEntry): string {
  return entry.id === 'mit' ? 'apache-2.0' : 'mit';
}

describe('licence table', () => {
  it('has about thirty licences, each with a reason and every term citing a clause', () => {
    expect(members.length).toBeGreaterThanOrEqual(30);
    for (const entry of rows) {
      expect(entry.reason, entry.id).not.toBe('');
      for (const term of entry.terms) expect(term.clause, `${entry.id} ${term.kind}`).not.toBe('');
      expect(entry.spdx.startsWith('LicenseRef-hf-') || spdxTexts[entry.spdx] !== undefined, entry.spdx).toBe(true);
    }
  });

  it('maps Hub ids spdx-correct gets wrong or cannot map by our own table', () => {
    expect(LICENCES.get('gpl-3.0')?.spdx).toBe('GPL-3.0-only');
    expect(LICENCES.get('agpl-3.0')?.spdx).toBe('AGPL-3.0-only');
    expect(LICENCES.get('llama3.1')?.spdx).toBe('LicenseRef-hf-llama3.1');
    expect(LICENCES.get('fair-noncommercial-research-license')?.spdx).not.toBe('Fair');
  });
});

describe.each(members.map((entry) => [entry.id, entry] as const))('licence row %s', (id, entry) => {
  it('is identified from the card tag', async () => {
    const report = await auditCompliance({ 'README.md': card(`license: ${id}`) });
    expect(report.compliance?.licence.status).toBe('identified');
    expect(report.compliance?.licence.effective).toEqual({ id, spdx: entry.spdx, name: entry.name });
  });

  it('is identified from license: other with license_name', async () => {
    const report = await auditCompliance({ 'README.md': card('license: other', `license_name: ${id}`) });
    expect(report.compliance?.licence.effective?.id).toBe(id);
  });

  it('conflicts with a different card tag when the GGUF metadata names it', async () => {
    const gguf = buildGguf({
      kv: [
        ['general.architecture', str('llama')],
        ['general.license', str(id)],
      ],
    });
    const report = await auditCompliance({ 'README.md': card(`license: ${otherThan(entry)}`), 'model.gguf': gguf });
    expect(report.compliance?.licence.status).toBe('conflict');
    expect(findingsOf(report, 'compliance/licence-conflict')).toHaveLength(1);
    expect(report.gate.exitCode).toBe(1);
  });
});

describe.each(withText.map((entry) => [entry.id, entry] as const))('licence text of %s', (id, entry) => {
  it('is identified from LICENSE alone, with its score in the report', async () => {
    const report = await auditCompliance({ LICENSE: licenceText(entry) });
    const [evidence] = report.compliance?.licence.evidence ?? [];
    expect(evidence).toMatchObject({ source: 'licence-file', file: 'LICENSE', status: 'identified', candidates: [id] });
    expect(evidence?.score).toBeGreaterThanOrEqual(0.9);
    expect(report.compliance?.licence.effective?.spdx).toBe(entry.spdx);
  });

  it('agrees with the same card tag', async () => {
    const report = await auditCompliance({ 'README.md': card(`license: ${id}`), 'LICENSE.md': licenceText(entry) });
    expect(report.compliance?.licence.status).toBe('identified');
    expect(findingsOf(report, 'compliance/licence-conflict')).toHaveLength(0);
  });

  it('conflicts with a different card tag: a high finding that fails the gate', async () => {
    const report = await auditCompliance({
      'README.md': card(`license: ${otherThan(entry)}`),
      LICENSE: licenceText(entry),
    });
    const [conflict] = findingsOf(report, 'compliance/licence-conflict');
    expect(conflict?.severity).toBe('high');
    expect(conflict?.message).toContain(`LICENSE: ${id}`);
    expect(report.gate.exitCode).toBe(1);
  });
});

describe('acceptable-use policies', () => {
  it.each(['llama3.1', 'llama3.2', 'llama3.3', 'llama4'])('USE_POLICY.md of %s identifies its licence', async (id) => {
    const text = readFileSync(join(SHARED_DATA, 'licenses', `${id}.use-policy.md`), 'utf8');
    const report = await auditCompliance({ 'USE_POLICY.md': text });
    expect(report.compliance?.licence.evidence[0]?.candidates).toEqual([id]);
  });

  it('the Llama 2 and Llama 3 policies are near-identical: the card settles which', async () => {
    const text = readFileSync(join(SHARED_DATA, 'licenses', 'llama2.use-policy.md'), 'utf8');
    const alone = await auditCompliance({ 'USE_POLICY.md': text });
    expect(alone.compliance?.licence.status).toBe('ambiguous');
    expect(alone.compliance?.licence.evidence[0]?.candidates.sort()).toEqual(['llama2', 'llama3']);
    const withCard = await auditCompliance({ 'README.md': card('license: llama3'), 'USE_POLICY.md': text });
    expect(withCard.compliance?.licence.effective?.id).toBe('llama3');
  });

  it('a LICENSE holding the Llama 3.1 licence followed by its use policy is still Llama 3.1, not Llama 3', async () => {
    const read = (name: string) => readFileSync(join(SHARED_DATA, 'licenses', name), 'utf8');
    const report = await auditCompliance({ LICENSE: `${read('llama3.1.txt')}\n${read('llama3.1.use-policy.md')}` });
    expect(report.compliance?.licence.effective?.id).toBe('llama3.1');
  });

  it('the SD 2.x edition of Open RAIL++-M is identified as openrail++', async () => {
    const text = readFileSync(join(SHARED_DATA, 'licenses', 'openrail++.sd2.txt'), 'utf8');
    const report = await auditCompliance({ LICENSE: text });
    expect(report.compliance?.licence.effective?.id).toBe('openrail++');
  });
});

describe.each(families.map((entry) => [entry.id, entry] as const))('family id %s', (id, entry) => {
  it('names no single licence: unidentified until a licence file says which', async () => {
    const report = await auditCompliance({ 'README.md': card(`license: ${id}`) });
    expect(report.compliance?.licence.status).toBe('ambiguous');
    expect(report.compliance?.licence.evidence[0]?.candidates).toEqual(entry.familyOf);
    expect(findingsOf(report, 'compliance/licence-unidentified')).toHaveLength(1);
    const member = entry.familyOf?.map((memberId) => LICENCES.get(memberId)).find((candidate) => candidate?.text);
    if (!member) return;
    const settled = await auditCompliance({ 'README.md': card(`license: ${id}`), LICENSE: licenceText(member) });
    expect(settled.compliance?.licence.effective?.id).toBe(member.id);
  });
});

describe('license: other', () => {
  it('with license_link: LICENSE, the licence file names the licence', async () => {
    const text = readFileSync(join(SHARED_DATA, 'licenses', 'llama3.2.txt'), 'utf8');
    const report = await auditCompliance({
      'README.md': card('license: other', 'license_link: LICENSE'),
      LICENSE: text,
    });
    expect(report.compliance?.licence).toMatchObject({ status: 'identified', effective: { id: 'llama3.2' } });
  });

  it('with nothing that names the licence, it is unidentified and fails the gate for commercial use', async () => {
    const report = await auditCompliance(
      { 'README.md': card('license: other', 'license_link: https://example.com/our-terms') },
      { policy: { intendedUse: { commercial: true } } },
    );
    expect(report.compliance?.licence.status).toBe('unidentified');
    expect(findingsOf(report, 'compliance/licence-unidentified')[0]?.severity).toBe('high');
    expect(report.gate.exitCode).toBe(1);
  });

  it('a Hub licence link identifies the licence when no name is given', async () => {
    const report = await auditCompliance({
      'README.md': card('license: other', 'license_link: https://llama.meta.com/llama3/license'),
    });
    expect(report.compliance?.licence.effective?.id).toBe('llama3');
  });
});

describe('texts that are not known licences', () => {
  it('an unknown LICENSE is unidentified, with the closest licence and its low score', async () => {
    const report = await auditCompliance({
      'README.md': card('license: apache-2.0'),
      LICENSE: 'You may use this model on Tuesdays only, and never in production. All rights reserved by ACME.',
    });
    const evidence = report.compliance?.licence.evidence.find((item) => item.source === 'licence-file');
    expect(evidence?.status).toBe('unidentified');
    expect(evidence?.score).toBeLessThan(0.9);
    expect(report.compliance?.licence.status).toBe('unidentified');
  });

  it('a free-text NOTICE file is not taken for a licence claim', async () => {
    const report = await auditCompliance({
      'README.md': card('license: apache-2.0'),
      NOTICE: 'This product includes software developed by Example Corp.',
    });
    expect(report.compliance?.licence.status).toBe('identified');
  });

  it('a reformatted copy (CRLF, curly quotes, a copyright line, British spelling) is still the same licence', async () => {
    const mit = licenceText(LICENCES.get('mit') as LicenceEntry)
      .replace(/license/g, 'licence')
      .replace(/"([^"]*)"/g, '\u201c$1\u201d')
      .replace(/\n/g, '\r\n');
    const report = await auditCompliance({ 'LICENCE.txt': `Copyright (c) 2026 ACME Corp.\r\n\r\n${mit}` });
    expect(report.compliance?.licence.evidence[0]).toMatchObject({ candidates: ['mit'] });
    expect(report.compliance?.licence.evidence[0]?.score).toBeGreaterThanOrEqual(0.95);
  });

  it('a LICENSE of megabytes of noise is fingerprinted within its budget and not identified', async () => {
    const words = Array.from({ length: 400_000 }, (_, index) => `w${(index * 7919) % 100_003}`).join(' ');
    const report = await auditCompliance({ LICENSE: words });
    expect(report.compliance?.licence.evidence[0]).toMatchObject({ status: 'unidentified', candidates: [] });
  });

  it('a model with no licence anywhere says so', async () => {
    const report = await auditCompliance({ 'README.md': card('tags: [test]') });
    expect(report.compliance?.licence.status).toBe('none');
    expect(findingsOf(report, 'compliance/licence-unidentified')[0]?.message).toContain('declares no licence');
  });
});
