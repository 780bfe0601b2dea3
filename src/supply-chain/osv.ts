/**
 * OSV advisory records, loaded from a folder of `<ID>.json` files or from osv.dev's per-ecosystem `all.zip`.
 * Withdrawn records are skipped at load time; records naming each other through `aliases` are grouped at match time.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileSource } from '../formats/source.js';
import { listZip, openZipEntry } from '../formats/zip.js';
import type { OsvAffected } from './pep440-match.js';

export interface OsvRecord {
  id: string;
  modified?: string;
  aliases?: string[];
  summary?: string;
  details?: string;
  withdrawn?: string;
  severity?: { type: string; score: string }[];
  affected?: (OsvAffected & {
    severity?: { type: string; score: string }[];
    database_specific?: Record<string, unknown>;
  })[];
  references?: { type: string; url: string }[];
  database_specific?: Record<string, unknown>;
}

/** PEP 503 normalised name: lowercase, runs of `-`, `_`, `.` become one `-`. */
export function normalisePackageName(name: string): string {
  return name
    .trim()
    .toLowerCase()
    .replace(/[-_.]+/g, '-');
}

/** Ecosystem names as OSV spells them, compared case-insensitively (`PyPI`, `npm`). */
function ecosystemKey(ecosystem: string): string {
  return ecosystem.split(':')[0]?.toLowerCase() ?? '';
}

function packageKey(ecosystem: string, name: string): string {
  const key = ecosystemKey(ecosystem);
  return `${key}\u0000${key === 'pypi' ? normalisePackageName(name) : name}`;
}

export class OsvDatabase {
  private readonly byPackage = new Map<string, OsvRecord[]>();
  private readonly ids = new Set<string>();
  /** Records skipped because `withdrawn` is set. */
  readonly withdrawn: string[] = [];
  /** Files that were not OSV JSON, with the reason. */
  readonly rejected: { name: string; detail: string }[] = [];
  /** Newest `modified` time among the records (ISO 8601 strings order as times). */
  newestModified: string | undefined;

  constructor(readonly origin: string) {}

  get size(): number {
    return this.ids.size;
  }

  add(record: OsvRecord): void {
    if (record.withdrawn) {
      this.withdrawn.push(record.id);
      return;
    }
    if (this.ids.has(record.id)) return;
    this.ids.add(record.id);
    if (typeof record.modified === 'string' && (!this.newestModified || record.modified > this.newestModified))
      this.newestModified = record.modified;
    const keys = new Set<string>();
    for (const affected of record.affected ?? []) {
      const { ecosystem, name } = affected.package ?? {};
      if (ecosystem && name) keys.add(packageKey(ecosystem, name));
    }
    for (const key of keys) {
      const list = this.byPackage.get(key) ?? [];
      list.push(record);
      this.byPackage.set(key, list);
    }
  }

  /** Parses one JSON text; rejects (and remembers) anything that is not an OSV record. */
  addJson(name: string, text: string): void {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      this.rejected.push({ name, detail: `not JSON: ${(error as Error).message}` });
      return;
    }
    if (typeof value !== 'object' || value === null || typeof (value as OsvRecord).id !== 'string') {
      this.rejected.push({ name, detail: 'not an OSV record (no string "id")' });
      return;
    }
    this.add(value as OsvRecord);
  }

  /** Records that name this package, sorted by id. */
  recordsFor(ecosystem: string, name: string): OsvRecord[] {
    return [...(this.byPackage.get(packageKey(ecosystem, name)) ?? [])].sort((a, b) => a.id.localeCompare(b.id));
  }

  /** The `affected` entries of a record that are about this package. */
  static affectedFor(record: OsvRecord, ecosystem: string, name: string) {
    const key = packageKey(ecosystem, name);
    return (record.affected ?? []).filter(
      (affected) =>
        affected.package?.ecosystem &&
        affected.package.name &&
        packageKey(affected.package.ecosystem, affected.package.name) === key,
    );
  }
}

/** Groups records whose ids or aliases overlap (PYSEC-… and GHSA-… describing one CVE), each group sorted by id. */
export function groupByAlias(records: readonly OsvRecord[]): OsvRecord[][] {
  const groups: { names: Set<string>; records: OsvRecord[] }[] = [];
  for (const record of [...records].sort((a, b) => a.id.localeCompare(b.id))) {
    const names = new Set([record.id, ...(record.aliases ?? [])]);
    const overlapping = groups.filter((group) => [...names].some((name) => group.names.has(name)));
    const merged = { names, records: [record] };
    for (const group of overlapping) {
      for (const name of group.names) merged.names.add(name);
      merged.records.push(...group.records);
      groups.splice(groups.indexOf(group), 1);
    }
    merged.records.sort((a, b) => a.id.localeCompare(b.id));
    groups.push(merged);
  }
  return groups.map((group) => group.records).sort((a, b) => (a[0]?.id ?? '').localeCompare(b[0]?.id ?? ''));
}

/** Every identifier of a group: ids first, then aliases, without repeats. */
export function groupIdentifiers(group: readonly OsvRecord[]): { ids: string[]; aliases: string[] } {
  const ids = group.map((record) => record.id);
  const aliases = [...new Set(group.flatMap((record) => record.aliases ?? []))]
    .filter((alias) => !ids.includes(alias))
    .sort();
  return { ids, aliases };
}

/** Loads a folder of OSV JSON files synchronously (one level; `.json` files only). */
export function loadOsvFolderSync(folder: string): OsvDatabase {
  const database = new OsvDatabase(folder);
  for (const name of readdirSync(folder).sort()) {
    if (!name.endsWith('.json')) continue;
    database.addJson(name, readFileSync(join(folder, name), 'utf8'));
  }
  return database;
}

/** Yields the JSON entries of an osv.dev `all.zip` (records at the zip root), read through Assay's own zip reader. */
export async function* osvZipEntries(
  path: string,
  maxEntries = 1_000_000,
): AsyncGenerator<{ name: string; text: string }> {
  const source = fileSource(path, statSync(path).size);
  try {
    const listing = await listZip(source, { maxEntries });
    if (listing.truncated) throw new Error(`${path}: more than ${maxEntries} entries`);
    const decoder = new TextDecoder();
    for (const entry of listing.entries) {
      if (entry.isDirectory || !entry.name.endsWith('.json')) continue;
      const chunks: Uint8Array[] = [];
      for await (const chunk of openZipEntry(source, entry).stream()) chunks.push(chunk);
      yield { name: entry.name, text: decoder.decode(Buffer.concat(chunks)) };
    }
  } finally {
    await source.close();
  }
}

/** Loads an osv.dev `all.zip`. */
export async function loadOsvZip(path: string, maxEntries = 1_000_000): Promise<OsvDatabase> {
  const database = new OsvDatabase(path);
  for await (const { name, text } of osvZipEntries(path, maxEntries)) database.addJson(name, text);
  return database;
}

/** Loads a folder of JSON records or an `all.zip`. */
export async function loadOsvDatabase(path: string): Promise<OsvDatabase> {
  return statSync(path).isDirectory() ? loadOsvFolderSync(path) : loadOsvZip(path);
}
