/**
 * The privacy picture of a model from facts already parsed: the card's training data looked up in the data-set
 * knowledge table, tags and gating that bear on personal data, personal data found in shipped files, and the GDPR /
 * CCPA flags that follow. Pure: the section builder and the privacy rules share it.
 */
import type { Policy } from '../../core/policy.js';
import type {
  PersonalDataFile,
  PrivacyDataset,
  PrivacyFlag,
  PrivacySection,
  PrivacySignal,
} from '../../core/sections/privacy.js';
import { type Artifact, factsOf } from '../../formats/facts.js';
import type { ModelCardFields } from '../../formats/model-card.js';
import { lookUpDataset, normaliseDatasetId } from '../../knowledge/datasets.js';
import {
  CREATOR_SIGNALS,
  GDPR_REGIONS,
  NOT_LEGAL_ADVICE,
  PRIVACY_FLAGS,
  type PrivacyFlagId,
  TAG_SIGNALS,
} from '../../knowledge/privacy-laws.js';

/** Kinds whose presence makes a file hold CCPA sensitive personal information (government id, financial account). */
const SENSITIVE_KINDS = ['us-ssn', 'credit-card', 'iban'] as const;

export function gdprInScope(policy: Policy): boolean {
  return (policy.intendedUse?.regions ?? []).some((region) => GDPR_REGIONS.has(region.trim().toUpperCase()));
}

/** The model's own card: the top-level README's front matter (ancestor cards are other artifacts). */
function modelCard(artifacts: readonly Artifact[]): ModelCardFields | undefined {
  for (const artifact of artifacts) {
    if (artifact.depth !== 0 || artifact.member !== undefined) continue;
    const card = factsOf(artifact, 'model-card')[0];
    if (card) return card;
  }
  return undefined;
}

/** `source_datasets` in dataset cards holds `original` and `extended|<id>`: keep the ids. */
function sourceDatasetId(value: string): string | undefined {
  if (value.trim().toLowerCase() === 'original') return undefined;
  return value.replace(/^extended\|/i, '');
}

function datasetsOf(card: ModelCardFields | undefined): PrivacyDataset[] {
  const byId = new Map<string, PrivacyDataset>();
  const declared: [string, PrivacyDataset['declaredIn'][number]][] = [
    ...(card?.datasets ?? []).map((id) => [id, 'datasets'] as [string, 'datasets']),
    ...(card?.sourceDatasets ?? [])
      .map(sourceDatasetId)
      .filter((id): id is string => id !== undefined)
      .map((id) => [id, 'source_datasets'] as [string, 'source_datasets']),
  ];
  for (const [id, field] of declared) {
    const key = normaliseDatasetId(id);
    const existing = byId.get(key);
    if (existing) {
      if (!existing.declaredIn.includes(field)) existing.declaredIn.push(field);
      continue;
    }
    const entry = lookUpDataset(id);
    byId.set(
      key,
      entry
        ? {
            id,
            declaredIn: [field],
            known: true,
            entry: entry.id,
            source: [...entry.source],
            personalData: entry.personalData,
            specialCategories: [...entry.specialCategories],
            children: entry.children,
            licence: entry.licence,
            reason: entry.reason,
            reference: entry.reference,
          }
        : {
            id,
            declaredIn: [field],
            known: false,
            source: [],
            personalData: 'unknown',
            specialCategories: [],
            children: 'unknown',
          },
    );
  }
  return [...byId.values()];
}

function signalsOf(card: ModelCardFields | undefined): PrivacySignal[] {
  if (!card) return [];
  const signals: PrivacySignal[] = [];
  for (const creator of card.languageCreators) {
    const known = CREATOR_SIGNALS[creator.toLowerCase()];
    signals.push({
      kind: 'language-creators',
      value: creator,
      meaning: known ? known.meaning : 'not a value the Hub documents',
    });
  }
  for (const tag of [...card.tags, ...(card.pipelineTag ? [card.pipelineTag] : [])]) {
    const known = TAG_SIGNALS.find((signal) => signal.tag.test(tag));
    if (known) signals.push({ kind: 'tag', value: tag, meaning: `${known.category}: ${known.reason}` });
  }
  if (card.euDisallowed) {
    signals.push({
      kind: 'eu-gated',
      value: 'extra_gated_eu_disallowed: true',
      meaning: 'the publisher refuses access from the EU',
    });
  }
  return signals;
}

function filesOf(artifacts: readonly Artifact[]): PersonalDataFile[] {
  return artifacts.flatMap((artifact) =>
    factsOf(artifact, 'personal-data').map((fact) => ({
      file: artifact.file,
      ...(artifact.member === undefined ? {} : { member: artifact.member }),
      layout: fact.layout,
      counts: fact.counts,
      fields: fact.fields,
      examples: fact.examples,
      sample: fact.sample,
      ...(fact.readAsText ? { readAsText: fact.readAsText } : {}),
    })),
  );
}

function fileLabel(file: PersonalDataFile): string {
  return file.member ? `${file.file}!${file.member}` : file.file;
}

const hasAny = (file: PersonalDataFile) => Object.values(file.counts).some((count) => (count ?? 0) > 0);

function flagsOf(
  card: ModelCardFields | undefined,
  datasets: readonly PrivacyDataset[],
  signals: readonly PrivacySignal[],
  files: readonly PersonalDataFile[],
): PrivacyFlag[] {
  const flags: PrivacyFlag[] = [];
  const raise = (id: PrivacyFlagId, because: string[]) => {
    if (because.length === 0) return;
    flags.push({ id, ...PRIVACY_FLAGS[id], because: [...new Set(because)], notLegalAdvice: true });
  };
  const tagSignals = (category: (typeof TAG_SIGNALS)[number]['category'] | 'special') =>
    signals
      .filter((signal) => signal.kind === 'tag')
      .filter((signal) => {
        const known = TAG_SIGNALS.find((entry) => entry.tag.test(signal.value));
        return category === 'special' ? known?.category !== 'children' : known?.category === category;
      })
      .map((signal) => `tag ${signal.value}`);
  const personal = datasets
    .filter((dataset) => dataset.personalData === 'high' || dataset.personalData === 'medium')
    .map((dataset) => dataset.id);
  const filesWithPersonalData = files.filter(hasAny).map((file) => `${fileLabel(file)} (shipped file)`);
  const special = datasets
    .filter((dataset) => dataset.specialCategories.length > 0)
    .map((dataset) => `${dataset.id} (${dataset.specialCategories.join(', ')})`);
  const sensitiveFiles = files
    .filter((file) => SENSITIVE_KINDS.some((kind) => (file.counts[kind] ?? 0) > 0))
    .map((file) => `${fileLabel(file)} (${SENSITIVE_KINDS.filter((kind) => file.counts[kind]).join(', ')})`);
  const scraped = [
    ...datasets.filter((dataset) => dataset.source.includes('web-crawl')).map((dataset) => dataset.id),
    ...signals
      .filter((signal) => signal.kind === 'language-creators' && CREATOR_SIGNALS[signal.value.toLowerCase()]?.scraped)
      .map((signal) => `language_creators: ${signal.value}`),
  ];
  const unknown = datasets.filter((dataset) => !dataset.known).map((dataset) => dataset.id);
  if (datasets.length === 0)
    unknown.push(card ? 'the model card names no training data' : 'no model card metadata (README.md front matter)');

  raise('gdpr-lawful-basis', [...personal, ...filesWithPersonalData]);
  raise('gdpr-special-categories', [...special, ...tagSignals('special')]);
  raise('gdpr-indirect-collection-notice', scraped);
  raise('gdpr-children', [
    ...datasets.filter((dataset) => dataset.children === 'yes').map((dataset) => dataset.id),
    ...tagSignals('children'),
  ]);
  raise('gdpr-eu-access-blocked', card?.euDisallowed ? ['extra_gated_eu_disallowed: true'] : []);
  raise('gdpr-unknown-training-data', unknown);
  raise('ccpa-personal-information', [...personal, ...filesWithPersonalData]);
  raise('ccpa-sensitive-personal-information', [...special, ...tagSignals('special'), ...sensitiveFiles]);
  return flags;
}

export function privacyAssessment(artifacts: readonly Artifact[], policy: Policy): PrivacySection {
  const card = modelCard(artifacts);
  const datasets = datasetsOf(card);
  const signals = signalsOf(card);
  const files = filesOf(artifacts);
  return {
    disclaimer: NOT_LEGAL_ADVICE,
    gdprInScope: gdprInScope(policy),
    datasets,
    signals,
    flags: flagsOf(card, datasets, signals, files),
    files,
  };
}
