/**
 * `--online`: asks the OSV API which advisories affect the discovered dependencies (`POST /v1/querybatch`), then
 * fetches each advisory (`GET /v1/vulns/{id}`) so the records are matched locally with the same exact semantics as
 * the offline database. Only package names, ecosystems and pinned versions are sent; nothing else leaves the machine.
 */
import type { Artifact } from '../formats/facts.js';
import { useAdvisoryDatabase } from './advisory-db.js';
import { OsvDatabase, type OsvRecord } from './osv.js';

export const OSV_API_ENV = 'ASSAY_OSV_API';
export const DEFAULT_OSV_API = 'https://api.osv.dev';
/** osv.dev accepts at most 1000 queries per batch. */
const BATCH = 1000;
const PARALLEL_FETCHES = 8;
const TIMEOUT_MS = 30_000;

export interface PackageQuery {
  ecosystem: string;
  name: string;
  /** Only for a pinned dependency; without it OSV returns every advisory of the package. */
  version?: string;
}

interface BatchAnswer {
  results?: { vulns?: { id: string }[]; next_page_token?: string }[];
}

async function call<T>(url: string, init?: RequestInit): Promise<T> {
  const response = await fetch(url, { ...init, signal: AbortSignal.timeout(TIMEOUT_MS) });
  if (!response.ok)
    throw new Error(`${init?.method ?? 'GET'} ${url} answered ${response.status} ${response.statusText}`);
  return (await response.json()) as T;
}

/** The advisory ids that affect each query, following `next_page_token` until the API has no more. */
async function advisoryIds(base: string, queries: PackageQuery[]): Promise<Set<string>> {
  const ids = new Set<string>();
  let pending = queries.map((query) => ({ query, pageToken: undefined as string | undefined }));
  while (pending.length > 0) {
    const next: typeof pending = [];
    for (let start = 0; start < pending.length; start += BATCH) {
      const chunk = pending.slice(start, start + BATCH);
      const answer = await call<BatchAnswer>(`${base}/v1/querybatch`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          queries: chunk.map(({ query, pageToken }) => ({
            package: { ecosystem: query.ecosystem, name: query.name },
            ...(query.version ? { version: query.version } : {}),
            ...(pageToken ? { page_token: pageToken } : {}),
          })),
        }),
      });
      chunk.forEach((item, index) => {
        const result = answer.results?.[index];
        for (const vuln of result?.vulns ?? []) if (typeof vuln.id === 'string') ids.add(vuln.id);
        if (result?.next_page_token) next.push({ query: item.query, pageToken: result.next_page_token });
      });
    }
    pending = next;
  }
  return ids;
}

/** Queries the OSV API for these packages and returns the full records as a database. */
export async function queryOsvApi(queries: readonly PackageQuery[], base = apiBase()): Promise<OsvDatabase> {
  const unique = [
    ...new Map(
      queries.map((query) => [`${query.ecosystem}\u0000${query.name}\u0000${query.version ?? ''}`, query]),
    ).values(),
  ];
  const database = new OsvDatabase(`OSV API ${base}`);
  if (unique.length === 0) return database;
  const ids = [...(await advisoryIds(base, unique))].sort();
  for (let start = 0; start < ids.length; start += PARALLEL_FETCHES) {
    const records = await Promise.all(
      ids
        .slice(start, start + PARALLEL_FETCHES)
        .map((id) => call<OsvRecord>(`${base}/v1/vulns/${encodeURIComponent(id)}`)),
    );
    for (const record of records) {
      if (typeof record === 'object' && record !== null && typeof record.id === 'string') database.add(record);
      else
        database.rejected.push({
          name: String(record),
          detail: 'the API answered something that is not an OSV record',
        });
    }
  }
  return database;
}

export function apiBase(env: NodeJS.ProcessEnv = process.env): string {
  return (env[OSV_API_ENV] || DEFAULT_OSV_API).replace(/\/+$/, '');
}

/** The queries for every dependency fact: name and ecosystem, plus the version when it is pinned. */
export function dependencyQueries(artifacts: readonly Artifact[]): PackageQuery[] {
  return artifacts.flatMap((artifact) =>
    artifact.facts.flatMap((fact) =>
      fact.kind === 'dependency' && !fact.url
        ? [
            {
              ecosystem: fact.ecosystem,
              name: fact.name,
              ...(fact.pinnedVersion ? { version: fact.pinnedVersion } : {}),
            },
          ]
        : [],
    ),
  );
}

/**
 * An audit `enrich` step for `--online`: after discovery, before the rules, makes the API's answer the active
 * advisory database. A failed query becomes the database error the supply-chain rule reports, never a clean result.
 */
export async function useOnlineAdvisories(artifacts: readonly Artifact[], base = apiBase()): Promise<void> {
  try {
    useAdvisoryDatabase(await queryOsvApi(dependencyQueries(artifacts), base));
  } catch (error) {
    useAdvisoryDatabase(new Error(`the OSV API at ${base} could not be queried (${(error as Error).message})`));
  }
}
