/**
 * Personal data in data files shipped with the model (facts from src/formats/personal-data.ts). Government ids
 * and financial account numbers are high: shipping them is a breach waiting to be found. Contact details are
 * medium; public IP addresses low.
 */
import type { Severity } from '../../core/severity.js';
import { KIND_LABELS, type PersonalDataKind } from '../../knowledge/privacy-pii.js';
import { type ArtifactRule, at, factRule, where } from '../artifact-rule.js';

const SEVERITY_BY_KIND: Readonly<Record<PersonalDataKind, Severity>> = {
  'us-ssn': 'high',
  'credit-card': 'high',
  iban: 'high',
  email: 'medium',
  phone: 'medium',
  'ip-address': 'low',
};
const ORDER: readonly Severity[] = ['high', 'medium', 'low'];

export const personalDataInFiles: ArtifactRule = factRule(
  {
    id: 'compliance/personal-data-in-files',
    pillar: 'compliance',
    severity: 'high',
    title: 'Personal data in a shipped data file',
    description:
      'A CSV, JSON, JSONL, text or Parquet file shipped with the model holds values that validate as personal ' +
      'data: US Social Security numbers, payment card numbers (Luhn and issuer prefix) and IBANs (mod-97) are ' +
      'high; e-mail addresses and phone numbers medium; public IP addresses low. Large files are sampled; the ' +
      'finding says what was read. Examples are masked.',
    remediation:
      'Remove the file from the release, or replace the values with synthetic ones; if the data must ship, ' +
      'document the lawful basis and tell the people concerned. Rotate any card or account that was exposed.',
    references: [
      { kind: 'url', id: 'GDPR Art. 4(1) personal data', url: 'https://eur-lex.europa.eu/eli/reg/2016/679/oj' },
      {
        kind: 'url',
        id: 'Cal. Civ. Code § 1798.140',
        url: 'https://leginfo.legislature.ca.gov/faces/codes_displaySection.xhtml?lawCode=CIV&sectionNum=1798.140',
      },
    ],
  },
  'personal-data',
  (fact, artifact) => {
    const found = (Object.entries(fact.counts) as [PersonalDataKind, number][]).filter(([, count]) => count > 0);
    if (found.length === 0) return undefined;
    const severity = ORDER.find((level) => found.some(([kind]) => SEVERITY_BY_KIND[kind] === level)) ?? 'low';
    const counts = found
      .map(([kind, count]) => `${count} ${count === 1 ? KIND_LABELS[kind].one : KIND_LABELS[kind].many}`)
      .join(', ');
    const examples = fact.examples
      .slice(0, 3)
      .map((example) => `${example.masked} (${example.where})`)
      .join('; ');
    return {
      message:
        `${counts} in ${fact.sample.complete ? 'the file' : `a sample (${fact.sample.description})`}${where(artifact)}` +
        `${examples ? `, e.g. ${examples}` : ''}`,
      severity,
      ...at(artifact),
      evidence: {
        counts: fact.counts,
        fields: fact.fields,
        examples: fact.examples,
        sample: fact.sample,
      },
    };
  },
);

export const PERSONAL_DATA_RULES: readonly ArtifactRule[] = [personalDataInFiles];
