/**
 * GDPR and CCPA flags the privacy analysis can raise, in plain language, with the article they come from; and the
 * card signals (task tags, `language_creators`) that point at personal or special-category data. The mapping from
 * data-set facts to legal flags is a design inference for triage, not a legal standard: every flag is marked
 * "not legal advice".
 */
import type { SpecialCategory } from './datasets.js';

export const NOT_LEGAL_ADVICE =
  'Not legal advice: these flags say what to look into, from what the model card and files declare. A lawyer decides.';

export type PrivacyLaw = 'GDPR' | 'CCPA';

export type PrivacyFlagId =
  | 'gdpr-lawful-basis'
  | 'gdpr-special-categories'
  | 'gdpr-indirect-collection-notice'
  | 'gdpr-children'
  | 'gdpr-eu-access-blocked'
  | 'gdpr-unknown-training-data'
  | 'ccpa-personal-information'
  | 'ccpa-sensitive-personal-information';

export interface PrivacyFlagDefinition {
  law: PrivacyLaw;
  article: string;
  title: string;
  /** What it means and what to do, for someone who is not a lawyer. */
  explanation: string;
  reference: string;
}

export const PRIVACY_FLAGS: Readonly<Record<PrivacyFlagId, PrivacyFlagDefinition>> = {
  'gdpr-lawful-basis': {
    law: 'GDPR',
    article: 'Art. 6',
    title: 'Personal data in the training data needs a lawful basis',
    explanation:
      'The training data very likely holds personal data (names, contact details, posts about people). Training ' +
      'on it, and deploying a model that may reproduce it, needs a lawful basis — for scraped data usually ' +
      'legitimate interests, with a written balancing test and a way to honour objections and erasure requests.',
    reference: 'https://eur-lex.europa.eu/eli/reg/2016/679/oj#d1e1888-1-1',
  },
  'gdpr-special-categories': {
    law: 'GDPR',
    article: 'Art. 9',
    title: 'Special-category data (biometric, health, ethnicity, beliefs) in the training data',
    explanation:
      'Special categories may only be processed under one of the exceptions in Art. 9(2), such as explicit ' +
      'consent or data the person manifestly made public. Faces or voices used to identify people are biometric ' +
      'data; health data includes medical images and patient notes. Check which exception applies before use.',
    reference: 'https://eur-lex.europa.eu/eli/reg/2016/679/oj#d1e2051-1-1',
  },
  'gdpr-indirect-collection-notice': {
    law: 'GDPR',
    article: 'Art. 14',
    title: 'Data collected without telling the people it is about',
    explanation:
      'Scraped or "found" data was not collected from the people it describes, so Art. 14 asks that they be ' +
      'informed, unless that proves impossible or disproportionate (Art. 14(5)(b)); then the assessment must be ' +
      'documented and a public notice given.',
    reference: 'https://eur-lex.europa.eu/eli/reg/2016/679/oj#d1e2433-1-1',
  },
  'gdpr-children': {
    law: 'GDPR',
    article: 'Art. 8, Recital 38',
    title: 'Children’s data may be in the training data',
    explanation:
      'Children merit specific protection: photos, posts or recordings of minors raise the bar for a legitimate ' +
      'interests basis and for transparency. In the US, COPPA governs data collected from children under 13.',
    reference: 'https://eur-lex.europa.eu/eli/reg/2016/679/oj#d1e2008-1-1',
  },
  'gdpr-eu-access-blocked': {
    law: 'GDPR',
    article: 'Publisher gating',
    title: 'The publisher blocks access from the EU',
    explanation:
      'The card sets extra_gated_eu_disallowed: the publisher refuses downloads from EU addresses, usually because ' +
      'of unsettled GDPR or AI Act questions about the model or its data. Using it in the EU needs a decision on why.',
    reference: 'https://huggingface.co/docs/hub/models-gated',
  },
  'gdpr-unknown-training-data': {
    law: 'GDPR',
    article: 'Art. 5(2), Art. 30',
    title: 'Training data not declared or not known',
    explanation:
      'Accountability means knowing what personal data was processed. Data sets the card does not name, or that ' +
      'Assay does not know, cannot be assessed: ask the publisher, or assess them by hand.',
    reference: 'https://eur-lex.europa.eu/eli/reg/2016/679/oj#d1e1807-1-1',
  },
  'ccpa-personal-information': {
    law: 'CCPA',
    article: 'Cal. Civ. Code § 1798.140(v)',
    title: 'California consumers’ personal information may be in the data',
    explanation:
      'Personal information includes identifiers, online activity and inferences about a consumer. Information ' +
      'lawfully made public is excluded, but scraped data mixes both. Businesses within the CCPA must honour ' +
      'access, deletion and opt-out requests for what they hold.',
    reference: 'https://leginfo.legislature.ca.gov/faces/codes_displaySection.xhtml?lawCode=CIV&sectionNum=1798.140',
  },
  'ccpa-sensitive-personal-information': {
    law: 'CCPA',
    article: 'Cal. Civ. Code § 1798.140(ae), § 1798.121',
    title: 'Sensitive personal information (biometric, health, SSN, financial account)',
    explanation:
      'Biometric data used to identify someone, health information, racial or ethnic origin, religious beliefs, ' +
      'Social Security numbers and card or account numbers are sensitive personal information: consumers may ' +
      'limit their use, and notices must say they are collected.',
    reference: 'https://leginfo.legislature.ca.gov/faces/codes_displaySection.xhtml?lawCode=CIV&sectionNum=1798.121',
  },
};

/** Card task tags, pipeline tags and free tags that say what data the model was built on or for. */
export const TAG_SIGNALS: readonly { tag: RegExp; category: SpecialCategory | 'children'; reason: string }[] = [
  {
    tag: /face[-_ ]?(?:recognition|verification|identification|id\b)|facial[-_ ]?recognition|face[-_ ]?embedding/i,
    category: 'biometric-face',
    reason: 'a face-recognition task is trained on faces labelled with identities',
  },
  {
    tag: /speaker[-_ ]?(?:identification|verification|recognition|diari[sz]ation|embedding)|voice[-_ ]?(?:cloning|print)/i,
    category: 'biometric-voice',
    reason: 'a speaker task is trained on voices labelled with identities',
  },
  {
    tag: /medical|clinical|radiology|patient|\behr\b|biomedical|pathology|diagnos/i,
    category: 'health',
    reason: 'a medical task is usually trained on health data',
  },
  {
    tag: /\b(?:child|children|kids|minors|k-?12|coppa)\b/i,
    category: 'children',
    reason: 'the tags mention children',
  },
];

/** `language_creators` / `annotations_creators` values and what they say about collection. */
export const CREATOR_SIGNALS: Readonly<Record<string, { scraped: boolean; meaning: string }>> = {
  found: { scraped: true, meaning: 'text found on the web or elsewhere, not written for the data set' },
  crowdsourced: { scraped: false, meaning: 'written by paid or volunteer contributors for the data set' },
  'expert-generated': { scraped: false, meaning: 'written by experts for the data set' },
  'machine-generated': { scraped: false, meaning: 'generated by models' },
  other: { scraped: false, meaning: 'other collection method' },
};

/**
 * Regions where the GDPR applies: the EU as a whole, its 27 member states and the EEA (Iceland, Liechtenstein,
 * Norway). Intended-use regions are matched case-insensitively.
 */
export const GDPR_REGIONS: ReadonlySet<string> = new Set(
  'EU EEA AT BE BG HR CY CZ DK EE FI FR DE GR HU IE IT LV LT LU MT NL PL PT RO SK SI ES SE IS LI NO'.split(' '),
);
