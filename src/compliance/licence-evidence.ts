/**
 * Licence evidence of one model from every source (card front matter, licence files, GGUF metadata), and what the
 * sources say together: one licence, a conflict, a family that needs its licence file, or nothing identifiable.
 */
import type { LicenceEvidence } from '../core/sections/compliance.js';
import type { Artifact } from '../formats/facts.js';
import { factsOf } from '../formats/facts.js';
import type { LicenceTextFact } from '../formats/licence-text.js';
import type { ModelCardFields } from '../formats/model-card.js';
import { type LicenceEntry, licenceById, licenceByLink } from '../knowledge/licences.js';
import { identifyLicenceText } from './licence-identify.js';

/** Hub ids that claim nothing: the licence must come from elsewhere. */
const NO_CLAIM = new Set(['other', 'unknown']);

export interface ModelLicenceSources {
  card?: { file: string; fields: Pick<ModelCardFields, 'license' | 'licenseName' | 'licenseLink'> };
  licenceTexts: { file: string; fact: LicenceTextFact }[];
  gguf: { file: string; license?: string; licenseName?: string }[];
}

/** The sources of the audited model itself (only top-level files speak for it). */
export function targetSources(artifacts: readonly Artifact[]): ModelLicenceSources {
  const own = artifacts.filter((artifact) => artifact.member === undefined);
  const cards = own.flatMap((artifact) =>
    factsOf(artifact, 'model-card').map((fields) => ({ file: artifact.file, fields })),
  );
  return {
    card: cards[0],
    licenceTexts: own.flatMap((artifact) =>
      factsOf(artifact, 'licence-text').map((fact) => ({ file: artifact.file, fact })),
    ),
    gguf: own.flatMap((artifact) =>
      factsOf(artifact, 'gguf-metadata').map((metadata) => ({
        file: artifact.file,
        license: metadata.license,
        licenseName: metadata.licenseName,
      })),
    ),
  };
}

export function collectEvidence(sources: ModelLicenceSources): LicenceEvidence[] {
  const evidence: LicenceEvidence[] = [];
  const { card } = sources;
  if (card) {
    const { license, licenseName, licenseLink } = card.fields;
    if (license && !NO_CLAIM.has(license.toLowerCase())) evidence.push(byId('card-license', card.file, license));
    if (licenseName) evidence.push(byId('card-license-name', card.file, licenseName));
    const linked = licenseLink && licenceByLink(licenseLink);
    if (linked && licenseLink) evidence.push(fromEntry('card-license-link', card.file, licenseLink, linked));
  }
  for (const { file, fact } of sources.licenceTexts) {
    const match = identifyLicenceText(fact);
    // A NOTICE file is free text; it is evidence only when it is a known licence text.
    if (fact.role === 'notice' && match.candidates.length === 0) continue;
    evidence.push({
      source: 'licence-file',
      file,
      value: fact.role,
      status: match.candidates.length === 1 ? 'identified' : match.candidates.length > 1 ? 'ambiguous' : 'unidentified',
      candidates: match.candidates,
      score: match.score,
      closest: match.best,
      runnerUp: match.runnerUp,
    });
  }
  for (const gguf of sources.gguf) {
    if (gguf.license && !NO_CLAIM.has(gguf.license.toLowerCase()))
      evidence.push(byId('gguf-license', gguf.file, gguf.license));
    if (gguf.licenseName) evidence.push(byId('gguf-license-name', gguf.file, gguf.licenseName));
  }
  // `license: other` (or `unknown`) with nothing that names the licence, and no licence file that does (the card's
  // `license_link: LICENSE` pattern): a claim we cannot identify.
  const unnamed = card?.fields.license && NO_CLAIM.has(card.fields.license.toLowerCase()) && !card.fields.licenseName;
  if (card && unnamed && !evidence.some((item) => item.candidates.length > 0))
    evidence.push({
      source: 'card-license',
      file: card.file,
      value: card.fields.license as string,
      status: 'unidentified',
      candidates: [],
    });
  return evidence;
}

function byId(source: LicenceEvidence['source'], file: string, value: string): LicenceEvidence {
  const entry = licenceById(value);
  if (!entry) return { source, file, value, status: 'unidentified', candidates: [] };
  return fromEntry(source, file, value, entry);
}

function fromEntry(
  source: LicenceEvidence['source'],
  file: string,
  value: string,
  entry: LicenceEntry,
): LicenceEvidence {
  return entry.familyOf
    ? { source, file, value, status: 'ambiguous', candidates: entry.familyOf }
    : { source, file, value, status: 'identified', candidates: [entry.id] };
}

export interface CombinedLicence {
  status: 'identified' | 'conflict' | 'ambiguous' | 'unidentified' | 'none';
  /** The one licence the identified evidence agrees on (also when another source could not be identified). */
  licence?: LicenceEntry;
  /** Licences still possible (several when only a family or tied texts are known). */
  candidates: string[];
}

/** Sources agree when some licence is consistent with all of them; an unidentified source leaves the model unknown. */
export function combineEvidence(evidence: readonly LicenceEvidence[]): CombinedLicence {
  if (evidence.length === 0) return { status: 'none', candidates: [] };
  const claims = evidence.filter((item) => item.candidates.length > 0);
  if (claims.length === 0) return { status: 'unidentified', candidates: [] };
  let common = new Set(claims[0]?.candidates);
  for (const claim of claims.slice(1)) common = new Set(claim.candidates.filter((id) => common.has(id)));
  if (common.size === 0) {
    const all = [...new Set(claims.flatMap((claim) => claim.candidates))];
    return { status: 'conflict', candidates: all };
  }
  const candidates = [...common];
  const licence = candidates.length === 1 ? licenceById(candidates[0] as string) : undefined;
  // An unidentified file next to an identified tag may add terms we cannot read: the model stays unidentified.
  if (evidence.some((item) => item.status === 'unidentified')) return { status: 'unidentified', licence, candidates };
  if (!licence) return { status: 'ambiguous', candidates };
  return { status: 'identified', licence, candidates };
}
