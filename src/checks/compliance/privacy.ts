/**
 * Privacy rules on the training data the card declares: special categories, personal data in scraped sets,
 * children's data, unknown data sets and EU gating. Informational or low by default; they rise when the policy's
 * intended use includes the EU (where the GDPR applies). They run in `assay audit`, not in `assay scan`.
 */
import type { SectionBuilder } from '../../core/audit.js';
import type { Reference } from '../../core/finding.js';
import type { RuleContext, RuleMeta } from '../../core/rule.js';
import type { PrivacyFlag } from '../../core/sections/privacy.js';
import type { Severity } from '../../core/severity.js';
import { NOT_LEGAL_ADVICE, PRIVACY_FLAGS, type PrivacyFlagId } from '../../knowledge/privacy-laws.js';
import type { ModelRule } from '../model-rule.js';
import { gdprInScope, privacyAssessment } from './privacy-assessment.js';

/** The report's `privacy` section. */
export const privacySection: SectionBuilder = (artifacts, context) => ({
  privacy: privacyAssessment(artifacts, context.policy),
});

function flagReference(id: PrivacyFlagId): Reference {
  const flag = PRIVACY_FLAGS[id];
  return { kind: 'url', id: `${flag.law} ${flag.article}`, url: flag.reference };
}

interface FlagRule {
  meta: RuleMeta;
  /** The flags this rule reports on (GDPR first: its text leads the message). */
  flags: readonly PrivacyFlagId[];
  /** Severity when the intended use includes the EU; otherwise `meta.severity`. */
  inEu: Severity;
}

/** One finding per rule listing what raised its flags, in plain language, with the disclaimer. */
function flagRule({ meta, flags, inEu }: FlagRule): ModelRule {
  return {
    meta: { ...meta, references: flags.map(flagReference) },
    *check(artifacts, context: RuleContext) {
      const section = privacyAssessment(artifacts, context.policy);
      const raised = section.flags.filter((flag) => flags.includes(flag.id as PrivacyFlagId));
      if (raised.length === 0) return;
      const because = [...new Set(raised.flatMap((flag: PrivacyFlag) => flag.because))];
      const eu = gdprInScope(context.policy);
      yield {
        message:
          `${raised[0]?.title}: ${because.join('; ')}. ${raised.map((flag) => `${flag.law} ${flag.article}`).join(', ')}` +
          `${eu ? ' (the intended use includes the EU)' : ''}. ${NOT_LEGAL_ADVICE}`,
        severity: eu ? inEu : meta.severity,
        evidence: { flags: raised.map((flag) => flag.id), because, gdprInScope: eu },
      };
    },
  };
}

const pillar = 'compliance' as const;

export const datasetSpecialCategories = flagRule({
  meta: {
    id: 'compliance/dataset-special-categories',
    pillar,
    severity: 'low',
    title: 'Training data holds special-category data (biometric, health, ethnicity, beliefs)',
    description:
      'A declared data set (or a task tag such as face recognition or clinical) holds data the GDPR protects ' +
      'most (Art. 9) and the CCPA calls sensitive personal information. Low on its own; high when the policy ' +
      'intended use includes the EU, where processing it needs an Art. 9(2) exception. Not legal advice.',
    remediation:
      'Ask your data-protection officer which Art. 9(2) exception applies (explicit consent, manifestly public ' +
      'data, research safeguards) and record the decision; then lower this rule in the policy (`severity:`), or ' +
      'choose a model trained without such data.',
    references: [],
  },
  flags: ['gdpr-special-categories', 'ccpa-sensitive-personal-information'],
  inEu: 'high',
});

export const datasetPersonalData = flagRule({
  meta: {
    id: 'compliance/dataset-personal-data',
    pillar,
    severity: 'info',
    title: 'Training data likely holds personal data collected without notice',
    description:
      'Web crawls and user-generated sets hold names, contact details and posts about people, collected without ' +
      'telling them. Under the GDPR that needs a lawful basis (Art. 6) and an Art. 14 assessment; under the CCPA ' +
      'it is personal information. Informational; low when the intended use includes the EU. Not legal advice.',
    remediation:
      'Document the lawful basis (usually a legitimate-interests assessment) and the Art. 14(5)(b) reasoning, ' +
      'and know how you would handle an erasure or objection request about the model.',
    references: [],
  },
  flags: ['gdpr-lawful-basis', 'gdpr-indirect-collection-notice', 'ccpa-personal-information'],
  inEu: 'low',
});

export const datasetChildren = flagRule({
  meta: {
    id: 'compliance/dataset-children',
    pillar,
    severity: 'low',
    title: 'Training data may hold children’s data',
    description:
      'A declared data set is known to contain photos, posts or recordings of children, or the card tags say so. ' +
      'Children merit specific protection under the GDPR (Recital 38, Art. 8) and COPPA in the US. Low; medium ' +
      'when the intended use includes the EU. Not legal advice.',
    remediation: 'Assess the data set’s provenance and removal process for minors’ data before deployment.',
    references: [],
  },
  flags: ['gdpr-children'],
  inEu: 'medium',
});

export const datasetUnknown = flagRule({
  meta: {
    id: 'compliance/dataset-unknown',
    pillar,
    severity: 'info',
    title: 'Training data not declared or not known',
    description:
      'The card names no training data, or names data sets Assay has no knowledge of: their privacy properties ' +
      'are unknown, not clean. Informational; low when the intended use includes the EU. Not legal advice.',
    remediation:
      'Ask the publisher what the model was trained on, or read the data sets’ own cards and assess them by hand.',
    references: [],
  },
  flags: ['gdpr-unknown-training-data'],
  inEu: 'low',
});

export const euAccessDisallowed = flagRule({
  meta: {
    id: 'compliance/eu-access-disallowed',
    pillar,
    severity: 'info',
    title: 'The publisher blocks access from the EU',
    description:
      'The card sets `extra_gated_eu_disallowed: true`: the publisher refuses downloads from the EU. ' +
      'Informational; high when the intended use includes the EU, since the publisher does not offer it there.',
    remediation:
      'Do not deploy in the EU without a decision from legal counsel (and, if needed, a licence from the publisher).',
    references: [],
  },
  flags: ['gdpr-eu-access-blocked'],
  inEu: 'high',
});

export const PRIVACY_MODEL_RULES: readonly ModelRule[] = [
  datasetSpecialCategories,
  datasetPersonalData,
  datasetChildren,
  datasetUnknown,
  euAccessDisallowed,
];
