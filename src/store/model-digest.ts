import type { FileEntry } from '../core/report.js';
import { canonicalDigest } from './canonical-json.js';

/**
 * The identity of exactly these bytes: `sha256:` over the canonical JSON of the `[path, sha256]` pairs of every
 * audited file, sorted by path. Renaming, adding, removing or changing any file changes it; the order files were
 * listed in does not. The deploy gate is asked about a model at this digest.
 */
export function modelDigest(files: readonly Pick<FileEntry, 'path' | 'sha256'>[]): string {
  const pairs = files.map((file) => [file.path, file.sha256]).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return canonicalDigest(pairs);
}
