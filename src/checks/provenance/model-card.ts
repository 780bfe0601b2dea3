import { type ArtifactRule, factRule } from '../artifact-rule.js';

export const modelCardMalformed: ArtifactRule = factRule(
  {
    id: 'provenance/model-card-malformed',
    pillar: 'provenance',
    severity: 'low',
    title: 'Model card front matter is not valid YAML',
    description:
      "The card's YAML front matter (licence, base_model, datasets, ...) could not be parsed, so none of its claims " +
      'could be read: licence and lineage checks and the ML-BOM know nothing about the model. The Hub shows such ' +
      'cards without their metadata too.',
    remediation: 'Fix the YAML at the line given (the Hub model-card guide shows the expected keys) and audit again.',
    references: [{ kind: 'doc', id: 'Hugging Face model cards', url: 'https://huggingface.co/docs/hub/model-cards' }],
  },
  'model-card-malformed',
  (fact, artifact) => ({
    message: `${artifact.file}: the front matter cannot be read: ${fact.detail}${fact.line === undefined ? '' : ` (line ${fact.line})`}`,
    file: artifact.file,
    ...(fact.line === undefined ? {} : { location: { line: fact.line } }),
    evidence: { detail: fact.detail, ...(fact.line === undefined ? {} : { line: fact.line }) },
  }),
);

export const MODEL_CARD_RULES: readonly ArtifactRule[] = [modelCardMalformed];
