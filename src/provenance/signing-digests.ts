import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';

/** Files are read in 1 MiB chunks, as model_signing does. */
const CHUNK = 1024 * 1024;

/** Maps a model_signing `hash_type` to a node:crypto algorithm, or undefined when unsupported. */
export function nodeHashAlgorithm(hashType: string): string | undefined {
  switch (hashType.toLowerCase()) {
    case 'sha256':
      return 'sha256';
    case 'blake2':
    case 'blake2b':
      return 'blake2b512';
    default:
      return undefined;
  }
}

/** Streams a file (or the byte range [start, end) of it) through a hash and returns the hex digest. */
export async function hashFile(path: string, algorithm = 'sha256', start?: number, end?: number): Promise<string> {
  const hash = createHash(algorithm);
  if (start !== undefined && end !== undefined && end <= start) return hash.digest('hex');
  const stream = createReadStream(path, {
    highWaterMark: CHUNK,
    ...(start !== undefined ? { start } : {}),
    ...(end !== undefined ? { end: end - 1 } : {}),
  });
  for await (const chunk of stream) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

export interface ModelFile {
  /** POSIX path relative to the model root ("." when the model is a single file). */
  name: string;
  path: string;
  size: number;
}

export interface WalkResult {
  files: ModelFile[];
  symlinks: string[];
}

/** True when `rel` is `ignored` itself or lies under it. */
export function isIgnored(rel: string, ignored: Iterable<string>): boolean {
  for (const entry of ignored) {
    const prefix = entry.replace(/\/+$/, '');
    if (prefix === '' || prefix === '.') continue;
    if (rel === prefix || rel.startsWith(`${prefix}/`)) return true;
  }
  return false;
}

/**
 * Lists the regular files of a model (a folder walked recursively, or a single file named "."),
 * skipping ignored paths. Symbolic links are followed only when allowed, and always reported.
 */
export async function walkModel(root: string, ignored: Set<string>, allowSymlinks: boolean): Promise<WalkResult> {
  const rootStat = await stat(root);
  if (!rootStat.isDirectory()) return { files: [{ name: '.', path: root, size: rootStat.size }], symlinks: [] };
  const files: ModelFile[] = [];
  const symlinks: string[] = [];
  async function visit(dir: string, relDir: string): Promise<void> {
    const entries = (await readdir(dir)).sort();
    for (const entry of entries) {
      const rel = relDir ? `${relDir}/${entry}` : entry;
      if (isIgnored(rel, ignored)) continue;
      const full = join(dir, entry);
      let info = await lstat(full);
      if (info.isSymbolicLink()) {
        symlinks.push(rel);
        if (!allowSymlinks) continue;
        info = await stat(full);
      }
      if (info.isDirectory()) await visit(full, rel);
      else if (info.isFile()) files.push({ name: rel, path: full, size: info.size });
    }
  }
  await visit(root, '');
  return { files, symlinks };
}
