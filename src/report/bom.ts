/**
 * What the two SBOM writers (CycloneDX, SPDX) derive the same way from a report.
 *
 * The card's `license:` value as an SPDX licence id, for the SBOM writers. The Hub writes SPDX ids in lower case
 * (`apache-2.0`, `cc-by-nc-4.0`); an exact case-insensitive match against the SPDX list gives the canonical id. Hub
 * ids with no SPDX entry (`llama3`, `openrail`, `other`) stay names: guessing an id would misstate the terms.
 */
import spdxIds from 'spdx-license-list/simple.js';

const BY_LOWER_CASE: ReadonlyMap<string, string> = new Map([...spdxIds].map((id) => [id.toLowerCase(), id]));

export function spdxLicenceId(value: string | undefined): string | undefined {
  return value === undefined ? undefined : BY_LOWER_CASE.get(value.trim().toLowerCase());
}

/** `https://…` links only: `license_link` is often a path inside the repository, which is no URL for a consumer. */
export function absoluteUrl(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  try {
    const url = new URL(value);
    return url.protocol === 'https:' || url.protocol === 'http:' ? url.href : undefined;
  } catch {
    return undefined;
  }
}

/** A Hub repository id (`org/name` or a bare legacy `name`). */
const HUB_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]*(\/[A-Za-z0-9][A-Za-z0-9_.-]*)?$/;
const COMMIT = /^[0-9a-f]{40}$/;

/** Where a card's dataset id can be looked up: itself when it is a URL, else its Hub page when it is a Hub id. */
export function datasetUrl(id: string): string | undefined {
  return absoluteUrl(id) ?? (HUB_ID.test(id) ? `https://huggingface.co/datasets/${id}` : undefined);
}

/** A card's `base_model` id as a Hub model page, when it is a Hub id. */
export function modelUrl(id: string): string | undefined {
  return HUB_ID.test(id) ? `https://huggingface.co/${id}` : undefined;
}

export interface HubModel {
  repo: string;
  /** The organisation or user that publishes it, when the id has one. */
  owner?: string;
  revision: string;
  /** The revision when it is a commit (a branch names no fixed version). */
  commit?: string;
}

/** The Hub model a report is about, when its target was `hf://org/name@revision`. */
export function hubModel(target: string): HubModel | undefined {
  const match = /^hf:\/\/([^@]+)(?:@(.+))?$/.exec(target);
  if (!match || !HUB_ID.test(match[1] as string)) return undefined;
  const repo = match[1] as string;
  const revision = match[2] ?? 'main';
  const owner = repo.includes('/') ? repo.split('/')[0] : undefined;
  return { repo, revision, ...(owner ? { owner } : {}), ...(COMMIT.test(revision) ? { commit: revision } : {}) };
}
