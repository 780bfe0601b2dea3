/**
 * Licence rules: what the audited model's licence sources say together, what its `base_model` lineage adds, and
 * whether the policy's intended use is licensed. They judge the shared licence analysis and never read bytes.
 */
import { licenceAnalysis } from '../../compliance/licence-analysis.js';
import { TARGET_NODE } from '../../compliance/licence-lineage.js';
import type { Reference } from '../../core/finding.js';
import type { Policy } from '../../core/policy.js';
import type { LicenceEvidence, LineageNode } from '../../core/sections/compliance.js';
import type { Severity } from '../../core/severity.js';
import { licenceById } from '../../knowledge/licences.js';
import type { ModelRule } from '../model-rule.js';

const HUB_LICENCES: Reference = {
  kind: 'doc',
  id: 'Hugging Face Hub licences',
  url: 'https://huggingface.co/docs/hub/repositories-licenses',
};
const SPDX_MATCHING: Reference = {
  kind: 'doc',
  id: 'SPDX License List Matching Guidelines',
  url: 'https://spdx.github.io/spdx-spec/v2.3/license-matching-guidelines-and-templates/',
};
const BASE_MODEL_DOC: Reference = {
  kind: 'doc',
  id: 'Hub model cards: base_model',
  url: 'https://huggingface.co/docs/hub/model-cards#specifying-a-base-model',
};

/** Unknown terms fail the gate when the intended use is commercial; otherwise they are worth a look, not a stop. */
function unknownSeverity(policy: Policy): Severity {
  return policy.intendedUse?.commercial === true ? 'high' : 'medium';
}

/** Findings about the lineage and the decision sit on the card that names the base models and the licence. */
function cardFile(evidence: readonly LicenceEvidence[]): string | undefined {
  return evidence.find((item) => item.source.startsWith('card-'))?.file;
}

function describe(item: LicenceEvidence): string {
  const where =
    item.source === 'licence-file' ? item.file : `${item.file} ${item.source.replace(/^(card|gguf)-/, '$1 ')}`;
  const what =
    item.source === 'licence-file'
      ? item.candidates.length > 0
        ? `${item.candidates.join(' or ')} (text similarity ${item.score})`
        : `unidentified text (closest: ${item.closest ?? 'none'} at ${item.score})`
      : `${JSON.stringify(item.value)}${item.status === 'ambiguous' ? ' (a family)' : item.status === 'unidentified' ? ' (unknown id)' : ''}`;
  return `${where}: ${what}`;
}

export const licenceConflict: ModelRule = {
  meta: {
    id: 'compliance/licence-conflict',
    pillar: 'compliance',
    severity: 'high',
    title: 'The licence sources disagree',
    description:
      'The card front matter, the LICENSE/NOTICE/USE_POLICY files and the GGUF metadata name licences that cannot ' +
      'all be true. Until someone settles which licence applies, no intended use can be judged.',
    remediation:
      'Find out which licence the publisher actually grants (the LICENSE text binds more than a tag), then fix the ' +
      'card or ask the publisher to; record the decision in your policy file.',
    references: [HUB_LICENCES],
  },
  *check(artifacts, context) {
    const { licence } = licenceAnalysis(artifacts, context.policy);
    if (licence.status !== 'conflict') return;
    const claims = licence.evidence.filter((item) => item.candidates.length > 0);
    yield {
      message: `the licence sources disagree: ${claims.map(describe).join('; ')}`,
      file: claims[0]?.file,
      evidence: { evidence: claims },
    };
  },
};

export const licenceUnidentified: ModelRule = {
  meta: {
    id: 'compliance/licence-unidentified',
    pillar: 'compliance',
    severity: 'high',
    title: 'The licence cannot be identified',
    description:
      'No licence is declared, the declared id is unknown or names only a family (openrail, bsd, gpl, cc), or a ' +
      'licence file matches no known text. Unknown terms are not permissive terms: the gate fails for a commercial ' +
      'intended use (medium otherwise).',
    remediation:
      'Read the licence and ask the publisher to declare it (card `license`, or `license: other` with ' +
      '`license_name` and `license_link`); if it is a licence Assay does not know, review it before use.',
    references: [HUB_LICENCES, SPDX_MATCHING],
  },
  *check(artifacts, context) {
    const { licence } = licenceAnalysis(artifacts, context.policy);
    const severity = unknownSeverity(context.policy);
    if (licence.status === 'none') {
      yield { message: 'the model declares no licence: no card licence, licence file or GGUF licence', severity };
      return;
    }
    if (licence.status === 'ambiguous') {
      yield {
        message: `the licence is one of ${licence.evidence
          .flatMap((item) => item.candidates)
          .filter(unique)
          .join(', ')}; no source says which (${licence.evidence.map(describe).join('; ')})`,
        file: licence.evidence[0]?.file,
        severity,
      };
      return;
    }
    for (const item of licence.evidence.filter((entry) => entry.status === 'unidentified')) {
      yield { message: `licence not identified: ${describe(item)}`, file: item.file, evidence: { ...item }, severity };
    }
  },
};

export const licenceAncestorUnknown: ModelRule = {
  meta: {
    id: 'compliance/licence-ancestor-unknown',
    pillar: 'compliance',
    severity: 'high',
    title: 'An ancestor in the base_model lineage has an unknown licence',
    description:
      "A fine-tune, quantisation or merge stays bound by its base models' licences. An ancestor whose card cannot " +
      'be found, or whose licence cannot be identified, is unknown, not permissive: high for a commercial intended ' +
      'use, medium otherwise.',
    remediation:
      'Give the ancestor cards with `--cards <folder>` (laid out <org>/<name>/README.md), audit the hf:// target so ' +
      'Assay can fetch them, or review the ancestor licence by hand.',
    references: [BASE_MODEL_DOC],
  },
  *check(artifacts, context) {
    const { lineage, licence } = licenceAnalysis(artifacts, context.policy);
    const severity = unknownSeverity(context.policy);
    for (const node of lineage) {
      if (node.model === TARGET_NODE || node.licenceStatus === 'identified') continue;
      yield {
        message: `ancestor ${node.model} (via ${node.childOf.join(', ')}): ${unknownReason(node)}`,
        file: cardFile(licence.evidence),
        evidence: { model: node.model, found: node.found, licenceStatus: node.licenceStatus },
        severity,
      };
    }
  },
};

function unknownReason(node: LineageNode): string {
  if (node.found === 'not-found' || node.found === 'unreadable' || node.found === 'depth-limit')
    return `card not read (${node.detail}); its licence is unknown`;
  if (node.licenceStatus === 'none') return 'its card declares no licence';
  if (node.licenceStatus === 'conflict') return 'its licence sources disagree';
  if (node.licenceStatus === 'ambiguous') return 'its card names only a licence family';
  return 'its licence could not be identified';
}

export const licenceUseDenied: ModelRule = {
  meta: {
    id: 'compliance/licence-use-denied',
    pillar: 'compliance',
    severity: 'high',
    title: 'A licence in the lineage does not allow the intended use',
    description:
      "The policy's intendedUse (commercial, distribution, users, revenue, regions, use cases, training on " +
      'outputs) was decided against every licence in the base_model lineage; at least one clause forbids it.',
    remediation:
      'Change the intended use, get a separate licence from the rights holder, or pick a model whose lineage ' +
      'allows the use. The reasons cite the clauses to check with counsel.',
    references: [HUB_LICENCES],
  },
  *check(artifacts, context) {
    const { decisions, licence } = licenceAnalysis(artifacts, context.policy);
    for (const decision of decisions.filter((item) => item.decision === 'denied')) {
      const models = decision.models.map((model) => (model === TARGET_NODE ? 'this model' : model)).join(', ');
      yield {
        file: cardFile(licence.evidence),
        message: `${decision.licence.name} (${decision.licence.spdx}) of ${models} does not allow the intended use: ${decision.reasons.map((reason) => `${reason.text} [${reason.clause}]`).join('; ')}`,
        evidence: { licence: decision.licence.id, models: decision.models, reasons: decision.reasons },
        references: decision.reasons.map((reason) => ({
          kind: 'licence-clause' as const,
          id: `${decision.licence.id} ${reason.clause}`,
        })),
      };
    }
  },
};

export const licenceLineageRelaxed: ModelRule = {
  meta: {
    id: 'compliance/licence-lineage-relaxed',
    pillar: 'compliance',
    severity: 'medium',
    title: 'A model declares a more permissive licence than its base model',
    description:
      "A fine-tune cannot shed its base model's terms by declaring a permissive licence: use restrictions, " +
      'non-commercial clauses, naming and attribution rules flow down. The declared licence understates the ' +
      'obligations.',
    remediation:
      "Treat the ancestor's terms as binding (they are in the obligations list); ask the publisher to declare the " +
      'licence that actually applies.',
    references: [BASE_MODEL_DOC],
  },
  *check(artifacts, context) {
    const { lineage, licence } = licenceAnalysis(artifacts, context.policy);
    const byModel = new Map(lineage.map((node) => [node.model, node]));
    for (const node of lineage) {
      const own = node.licence && licenceById(node.licence.id);
      if (!own?.permissive) continue;
      // One finding per model and restrictive licence, naming every ancestor under it.
      const restrictive = new Map<string, string[]>();
      for (const ancestor of ancestorsOf(node, byModel)) {
        const theirs = ancestor.licence && licenceById(ancestor.licence.id);
        if (theirs && !theirs.permissive)
          restrictive.set(theirs.id, [...(restrictive.get(theirs.id) ?? []), ancestor.model]);
      }
      for (const [licenceId, models] of restrictive) {
        const theirs = licenceById(licenceId);
        const name = node.model === TARGET_NODE ? 'this model' : node.model;
        yield {
          message: `${name} declares ${own.id} but its ancestor${models.length > 1 ? 's' : ''} ${models.join(', ')} ${models.length > 1 ? 'are' : 'is'} under ${theirs?.name} (${theirs?.spdx}), whose terms still apply`,
          file: node.model === TARGET_NODE ? cardFile(licence.evidence) : undefined,
          evidence: { model: node.model, licence: own.id, ancestors: models, ancestorLicence: licenceId },
        };
      }
    }
  },
};

/** Every ancestor of a node, each once (cycles stop). */
function ancestorsOf(node: LineageNode, byModel: ReadonlyMap<string, LineageNode>): LineageNode[] {
  const seen = new Set<string>([node.model]);
  const found: LineageNode[] = [];
  const queue = [...node.parents];
  while (queue.length > 0) {
    const model = queue.shift() as string;
    if (seen.has(model)) continue;
    seen.add(model);
    const ancestor = byModel.get(model);
    if (!ancestor) continue;
    found.push(ancestor);
    queue.push(...ancestor.parents);
  }
  return found;
}

function unique<T>(value: T, index: number, list: readonly T[]): boolean {
  return list.indexOf(value) === index;
}

export const LICENCE_RULES: readonly ModelRule[] = [
  licenceConflict,
  licenceUnidentified,
  licenceAncestorUnknown,
  licenceUseDenied,
  licenceLineageRelaxed,
];
