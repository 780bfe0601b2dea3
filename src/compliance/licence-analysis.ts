/**
 * The licence picture of an audited model: its own licence from every source, the licence of every ancestor in its
 * `base_model` lineage, and each licence decided against the policy's intended use. The compliance rules and the
 * report section both read this one analysis (computed once per audit).
 */
import type { Policy } from '../core/policy.js';
import type { ComplianceSection, LicenceDecision, LineageNode, Obligation } from '../core/sections/compliance.js';
import type { Artifact } from '../formats/facts.js';
import { factsOf } from '../formats/facts.js';
import type { LicenceEntry } from '../knowledge/licences.js';
import { licenceById } from '../knowledge/licences.js';
import { collectEvidence, combineEvidence, targetSources } from './licence-evidence.js';
import { directBaseModels, type LineageCardFact, TARGET_NODE } from './licence-lineage.js';
import { conditionalObligations, decideLicence, type LicenceInLineage } from './licence-terms.js';

export const DISCLAIMER =
  'Licence summaries support policy decisions and are not legal advice: check the cited clauses with counsel.';

/** Pipeline tags of models that take images, audio or video (Llama 3.2 and 4's EU clause covers multimodal models). */
const MULTIMODAL_PIPELINES = new Set([
  'image-text-to-text',
  'visual-question-answering',
  'document-question-answering',
  'video-text-to-text',
  'any-to-any',
  'audio-text-to-text',
  'image-to-text',
]);

const cache = new WeakMap<readonly Artifact[], WeakMap<Policy, ComplianceSection>>();

export function licenceAnalysis(artifacts: readonly Artifact[], policy: Policy): ComplianceSection {
  const byPolicy = cache.get(artifacts) ?? new WeakMap<Policy, ComplianceSection>();
  cache.set(artifacts, byPolicy);
  const section = byPolicy.get(policy) ?? analyse(artifacts, policy);
  byPolicy.set(policy, section);
  return section;
}

function analyse(artifacts: readonly Artifact[], policy: Policy): ComplianceSection {
  const sources = targetSources(artifacts);
  const evidence = collectEvidence(sources);
  const own = combineEvidence(evidence);
  const target: LineageNode = {
    model: TARGET_NODE,
    depth: 0,
    parents: directBaseModels(artifacts),
    childOf: [],
    found: 'target',
    licenceStatus: own.status,
    licence: own.licence && refOf(own.licence),
    evidence,
  };
  const ancestors = artifacts
    .flatMap((artifact) => factsOf(artifact, 'lineage-card'))
    .sort((a, b) => a.depth - b.depth || (a.model < b.model ? -1 : 1))
    .map(ancestorNode);
  const lineage = [target, ...ancestors];

  const licences = new Map<string, LicenceInLineage>();
  const unknown: LineageNode[] = [];
  for (const node of lineage) {
    const entries = licencesOf(node);
    if (entries.length === 0 || node.licenceStatus !== 'identified') unknown.push(node);
    for (const entry of entries) {
      const known = licences.get(entry.id) ?? { entry, models: [] };
      known.models.push(node.model);
      licences.set(entry.id, known);
    }
  }

  const use = policy.intendedUse;
  const card = artifacts.flatMap((artifact) => (artifact.member ? [] : factsOf(artifact, 'model-card')))[0];
  const decisions: LicenceDecision[] = [];
  const obligations: Obligation[] = [];
  if (use) {
    const multimodal =
      use.modality !== undefined
        ? use.modality === 'multimodal'
        : card?.pipelineTag
          ? MULTIMODAL_PIPELINES.has(card.pipelineTag)
          : undefined;
    const context = { use, multimodal, modelName: card?.modelName, derivative: ancestors.length > 0 };
    for (const licence of licences.values()) {
      const result = decideLicence(licence, context);
      decisions.push(result.decision);
      obligations.push(...result.obligations);
    }
    for (const node of unknown) decisions.push(unknownDecision(node));
  } else {
    for (const licence of licences.values()) obligations.push(...conditionalObligations(licence));
  }

  return {
    licence: { status: own.status, effective: target.licence, evidence },
    lineage,
    intendedUse: use,
    decisions,
    overall: use ? overallOf(decisions) : 'not-evaluated',
    obligations: mergeObligations(obligations),
    disclaimer: DISCLAIMER,
  };
}

function ancestorNode(fact: LineageCardFact): LineageNode {
  const evidence = fact.card
    ? collectEvidence({
        card: { file: `${fact.model}/README.md`, fields: fact.card },
        licenceTexts: fact.licenceTexts.map((text) => ({ file: `${fact.model}/LICENSE`, fact: text })),
        gguf: [],
      })
    : [];
  const combined = fact.card ? combineEvidence(evidence) : { status: 'none' as const, licence: undefined };
  return {
    model: fact.model,
    depth: fact.depth,
    parents: fact.card?.baseModels ?? [],
    childOf: fact.childOf,
    found: fact.found,
    detail: fact.detail,
    licenceStatus: combined.status,
    licence: combined.licence && refOf(combined.licence),
    evidence,
  };
}

/** The licences that bind a node: its licence, or on a conflict every licence its sources claim (the strictest wins). */
function licencesOf(node: LineageNode): LicenceEntry[] {
  if (node.licence) return [licenceById(node.licence.id) as LicenceEntry];
  if (node.licenceStatus !== 'conflict') return [];
  const claimed = new Set(node.evidence.flatMap((item) => (item.status === 'identified' ? item.candidates : [])));
  return [...claimed].flatMap((id) => licenceById(id) ?? []);
}

function refOf(entry: LicenceEntry) {
  return { id: entry.id, spdx: entry.spdx, name: entry.name };
}

function unknownDecision(node: LineageNode): LicenceDecision {
  const who = node.model === TARGET_NODE ? 'the audited model' : `ancestor ${node.model}`;
  const why =
    node.found === 'not-found' || node.found === 'unreadable' || node.found === 'depth-limit'
      ? `the card of ${who} could not be read (${node.detail})`
      : node.licenceStatus === 'none'
        ? `${who} declares no licence`
        : node.licenceStatus === 'conflict'
          ? `the sources of ${who} disagree about its licence`
          : node.licenceStatus === 'ambiguous'
            ? `${who} names a licence family (${node.evidence.map((item) => item.value).join(', ')}) without saying which member`
            : `a licence claim of ${who} could not be identified`;
  return {
    licence: { id: 'unknown', spdx: 'NOASSERTION', name: 'unknown licence' },
    models: [node.model],
    decision: 'unknown',
    reasons: [{ clause: 'n/a', text: `${why}: its terms are unknown, not assumed permissive` }],
  };
}

function overallOf(decisions: readonly LicenceDecision[]): ComplianceSection['overall'] {
  const order = ['denied', 'unknown', 'allowed-with-obligations', 'allowed'] as const;
  return order.find((decision) => decisions.some((item) => item.decision === decision)) ?? 'allowed';
}

/** One line per obligation: the same clause text from several models is listed once with all of them. */
function mergeObligations(obligations: readonly Obligation[]): Obligation[] {
  const merged = new Map<string, Obligation>();
  for (const item of obligations) {
    const key = `${item.licence}\u0000${item.clause}\u0000${item.text}`;
    const known = merged.get(key);
    if (known) known.models = [...new Set([...known.models, ...item.models])];
    else merged.set(key, { ...item, models: [...item.models] });
  }
  return [...merged.values()];
}
