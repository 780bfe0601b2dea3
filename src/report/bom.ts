/**
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
