/**
 * Where the advisories come from, in order: `ASSAY_OSV_DB` (a folder of OSV JSON records or an osv.dev `all.zip`),
 * else the local cache `assay db update` fills (`$ASSAY_HOME/osv/`, else `~/.cache/assay/osv/`), else nothing.
 * `--online` replaces both for one run with the records the OSV API returns for the discovered dependencies.
 * Rules read the active database synchronously; the CLI loads it before the audit.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadOsvDatabase, loadOsvFolderSync, OsvDatabase, type OsvRecord, osvZipEntries } from './osv.js';

export const OSV_DB_ENV = 'ASSAY_OSV_DB';
const STATUS_FILE = 'status.json';
const RECORDS_SUFFIX = '.jsonl';

/** The advisory cache folder: `$ASSAY_HOME/osv`, else `$XDG_CACHE_HOME/assay/osv`, else `~/.cache/assay/osv`. */
export function osvCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.ASSAY_HOME) return join(resolve(env.ASSAY_HOME), 'osv');
  return join(env.XDG_CACHE_HOME ? resolve(env.XDG_CACHE_HOME) : join(homedir(), '.cache'), 'assay', 'osv');
}

export interface EcosystemStatus {
  records: number;
  withdrawn: number;
  rejected: number;
  newestModified?: string;
  importedAt: string;
  from: string;
}

export interface CacheStatus {
  folder: string;
  ecosystems: Record<string, EcosystemStatus>;
}

/** OSV ecosystem names carry a release after a colon (`Debian:12`); the cache keeps one file per base name. */
function ecosystemsOf(record: OsvRecord): string[] {
  const names = (record.affected ?? [])
    .map((affected) => affected.package?.ecosystem?.split(':')[0]?.trim())
    .filter((name): name is string => typeof name === 'string' && name !== '');
  return [...new Set(names)];
}

function ecosystemFile(ecosystem: string): string {
  return `${encodeURIComponent(ecosystem)}${RECORDS_SUFFIX}`;
}

/** Every JSON text under `from`: an `all.zip`, one record, or a folder of either (osv.dev's `<Ecosystem>/all.zip`). */
async function* osvTexts(from: string): AsyncGenerator<{ name: string; text: string }> {
  const info = await stat(from);
  if (info.isDirectory()) {
    for (const entry of (await readdir(from)).sort()) yield* osvTexts(join(from, entry));
  } else if (from.endsWith('.zip')) yield* osvZipEntries(from);
  else if (from.endsWith('.json')) yield { name: from, text: await readFile(from, 'utf8') };
}

/**
 * Imports OSV records into the cache. Each ecosystem found replaces that ecosystem's previous records (an osv.dev
 * export is complete per ecosystem); other ecosystems stay. Withdrawn records are counted and left out.
 */
export async function importAdvisories(
  from: string,
  folder = osvCacheDir(),
  now = new Date(),
): Promise<CacheStatus & { updated: string[] }> {
  const source = resolve(from);
  const lines = new Map<string, string[]>();
  const counts = new Map<string, { withdrawn: number; newest?: string }>();
  let rejected = 0;
  for await (const { text } of osvTexts(source)) {
    let record: OsvRecord;
    try {
      record = JSON.parse(text) as OsvRecord;
    } catch {
      rejected++;
      continue;
    }
    if (typeof record !== 'object' || record === null || typeof record.id !== 'string') {
      rejected++;
      continue;
    }
    for (const ecosystem of ecosystemsOf(record)) {
      const count = counts.get(ecosystem) ?? { withdrawn: 0 };
      counts.set(ecosystem, count);
      if (record.withdrawn) {
        count.withdrawn++;
        continue;
      }
      if (typeof record.modified === 'string' && (!count.newest || record.modified > count.newest))
        count.newest = record.modified;
      const list = lines.get(ecosystem) ?? [];
      list.push(JSON.stringify(record));
      lines.set(ecosystem, list);
    }
  }
  if (counts.size === 0)
    throw new Error(
      `${source} holds no OSV records${rejected > 0 ? ` (${rejected} JSON file(s) were not OSV records)` : ''}: pass an osv.dev all.zip or a folder of OSV JSON records`,
    );
  await mkdir(folder, { recursive: true });
  const status = await cacheStatus(folder);
  for (const [ecosystem, count] of counts) {
    const records = lines.get(ecosystem) ?? [];
    const target = join(folder, ecosystemFile(ecosystem));
    // Write then rename, so an interrupted update leaves the previous records in place.
    await writeFile(`${target}.tmp`, records.length > 0 ? `${records.join('\n')}\n` : '');
    await rename(`${target}.tmp`, target);
    status.ecosystems[ecosystem] = {
      records: records.length,
      withdrawn: count.withdrawn,
      rejected,
      ...(count.newest ? { newestModified: count.newest } : {}),
      importedAt: now.toISOString(),
      from: source,
    };
  }
  await writeFile(join(folder, STATUS_FILE), `${JSON.stringify(status.ecosystems, null, 2)}\n`);
  return { ...status, updated: [...counts.keys()].sort() };
}

/** What the cache holds, from its status file; empty when nothing was imported yet. */
export async function cacheStatus(folder = osvCacheDir()): Promise<CacheStatus> {
  try {
    const ecosystems = JSON.parse(await readFile(join(folder, STATUS_FILE), 'utf8')) as Record<string, EcosystemStatus>;
    return { folder, ecosystems };
  } catch {
    return { folder, ecosystems: {} };
  }
}

/** Removes the cache (used by tests and by users who want a clean re-import). */
export async function clearCache(folder = osvCacheDir()): Promise<void> {
  await rm(folder, { recursive: true, force: true });
}

/** Loads every cached ecosystem; undefined when the cache is empty. */
export function loadCacheSync(folder = osvCacheDir()): OsvDatabase | undefined {
  if (!existsSync(folder)) return undefined;
  const files = readdirSync(folder)
    .filter((name) => name.endsWith(RECORDS_SUFFIX))
    .sort();
  if (files.length === 0) return undefined;
  const database = new OsvDatabase(`local cache ${folder}`);
  for (const file of files) {
    const lines = readFileSync(join(folder, file), 'utf8').split('\n');
    lines.forEach((line, index) => {
      if (line.trim() !== '') database.addJson(`${file}:${index + 1}`, line);
    });
  }
  return database;
}

// ---------------------------------------------------------------- the active database

const loaded = new Map<string, OsvDatabase | Error>();
let override: OsvDatabase | Error | undefined;

function failure(what: string, error: unknown): Error {
  return new Error(`advisory database ${what} could not be loaded: ${(error as Error).message}`);
}

/** Loads (and caches) what `ASSAY_OSV_DB` names or the local cache holds; folders and the cache load synchronously. */
function configured(): OsvDatabase | Error | undefined {
  const path = process.env[OSV_DB_ENV];
  const key = path ? `env:${path}` : `cache:${osvCacheDir()}`;
  if (loaded.has(key)) return loaded.get(key);
  let result: OsvDatabase | Error | undefined;
  try {
    result = path ? loadOsvFolderSync(path) : loadCacheSync();
  } catch (error) {
    result = failure(path ?? osvCacheDir(), error);
  }
  if (result) loaded.set(key, result);
  return result;
}

/** The database the supply-chain rules and the dependencies section use now; undefined when none is configured. */
export function activeAdvisoryDatabase(): OsvDatabase | Error | undefined {
  return override ?? configured();
}

/** Loads `ASSAY_OSV_DB` (a zip cannot be read synchronously inside a rule) ahead of the audit. */
export async function preloadAdvisoryDatabase(path = process.env[OSV_DB_ENV]): Promise<void> {
  if (!path || loaded.has(`env:${path}`)) return;
  try {
    loaded.set(`env:${path}`, await loadOsvDatabase(path));
  } catch (error) {
    loaded.set(`env:${path}`, failure(path, error));
  }
}

/** Makes `database` the active one (the OSV API answer for `--online`); undefined restores the configured one. */
export function useAdvisoryDatabase(database: OsvDatabase | Error | undefined): void {
  override = database;
}
