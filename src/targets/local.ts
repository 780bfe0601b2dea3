import { createHash, type Hash } from 'node:crypto';
import { lstat, opendir, realpath, stat } from 'node:fs/promises';
import { basename, extname, join, relative, sep } from 'node:path';
import { UserError } from '../core/user-error.js';
import { Analyser, type AnalysisLimits, DEFAULT_LIMITS } from '../formats/analyse.js';
import type { Artifact, FormatName } from '../formats/facts.js';
import { EXTENSION_FORMATS } from '../formats/sniff.js';
import { type FileSource, fileSource, readRangeTransient } from '../formats/source.js';

export interface SnapshotFile {
  path: string;
  size: number;
  sha256: string;
  format: FormatName;
}

/** What a local target holds: its files with digests and formats, and every artifact the parsers found. */
export interface Snapshot {
  kind: 'file' | 'directory';
  root: string;
  files: SnapshotFile[];
  artifacts: Artifact[];
}

export interface SnapshotOptions {
  /** Glob patterns, relative to the root, of files to leave out. */
  ignore?: readonly string[];
  /**
   * Symbolic links to files under this folder are followed (a Hugging Face cache snapshot links every file to
   * `../../blobs/<digest>`); any other link is still reported and never followed.
   */
  followLinksWithin?: string;
  limits?: AnalysisLimits;
  /** Called as files are read: `done` bytes of the current file, `index` of `total` files. */
  onProgress?: (progress: Progress) => void;
}

export interface Progress {
  index: number;
  total: number;
  path: string;
  size: number;
  done: number;
}

export class TargetError extends UserError {}

/** Folders that hold tool state rather than the model: a git clone's objects duplicate its files. */
const ALWAYS_IGNORED = ['.git/**'];

export async function snapshotLocal(target: string, options: SnapshotOptions = {}): Promise<Snapshot> {
  let info: Awaited<ReturnType<typeof stat>>;
  try {
    info = await stat(target);
  } catch (error) {
    throw new TargetError(
      `cannot read target ${target}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    );
  }
  const artifacts: Artifact[] = [];
  const files: SnapshotFile[] = [];
  const limits = options.limits ?? DEFAULT_LIMITS;
  if (info.isFile()) {
    const name = basename(target);
    const report = (done: number) => options.onProgress?.({ index: 1, total: 1, path: name, size: info.size, done });
    files.push(await analyseFile(target, name, info.size, limits, artifacts, undefined, report));
    return { kind: 'file', root: target, files, artifacts };
  }
  if (!info.isDirectory()) throw new TargetError(`target ${target} is neither a file nor a folder`);
  const root = await realpath(target);
  const ignored = globMatcher([...ALWAYS_IGNORED, ...(options.ignore ?? [])]);
  const linkRoot = options.followLinksWithin === undefined ? undefined : await realpath(options.followLinksWithin);
  const found = await walk(root, ignored, artifacts, linkRoot);
  let index = 0;
  for (const { absolute, path, size } of found) {
    index++;
    const report = (done: number) => options.onProgress?.({ index, total: found.length, path, size, done });
    files.push(await analyseFile(absolute, path, size, limits, artifacts, root, report));
  }
  return { kind: 'directory', root: target, files, artifacts };
}

interface FoundFile {
  absolute: string;
  path: string;
  size: number;
}

/** Lists regular files in a stable order; symlinks are never followed, and one leaving the root is a finding. */
async function walk(
  root: string,
  ignored: (path: string) => boolean,
  artifacts: Artifact[],
  linkRoot: string | undefined,
): Promise<FoundFile[]> {
  const found: FoundFile[] = [];
  const pending = [root];
  while (pending.length > 0) {
    const folder = pending.pop()!;
    const entries: string[] = [];
    for await (const entry of await opendir(folder)) entries.push(entry.name);
    for (const name of entries.sort()) {
      const absolute = join(folder, name);
      const path = relative(root, absolute).split(sep).join('/');
      if (ignored(path) || ignored(`${path}/`)) continue;
      const info = await lstat(absolute);
      if (info.isSymbolicLink()) {
        const target = await realpath(absolute).catch(() => undefined);
        if (target !== undefined && linkRoot !== undefined && target.startsWith(linkRoot + sep)) {
          const linked = await stat(target);
          if (linked.isFile()) found.push({ absolute: target, path, size: linked.size });
          continue;
        }
        if (target === undefined || (target !== root && !target.startsWith(root + sep))) {
          artifacts.push(
            fileArtifact(path, 'unknown', [{ kind: 'symlink-escape', target: target ?? '(dangling link)' }]),
          );
        }
        continue;
      }
      if (info.isDirectory()) pending.push(absolute);
      else if (info.isFile()) found.push({ absolute, path, size: info.size });
      else
        artifacts.push(
          fileArtifact(path, 'unknown', [
            { kind: 'not-analysed', detail: 'not a regular file (device, socket or pipe)' },
          ]),
        );
    }
  }
  return found.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

function fileArtifact(path: string, format: FormatName, facts: Artifact['facts']): Artifact {
  return { file: path, format, origin: { via: 'file' }, depth: 0, facts };
}

/** Parses a file and hashes it in the same pass where the parser reads it front to back. */
async function analyseFile(
  absolute: string,
  path: string,
  size: number,
  limits: AnalysisLimits,
  artifacts: Artifact[],
  root: string | undefined,
  onBytes: (done: number) => void,
): Promise<SnapshotFile> {
  const tap = new HashTap(fileSource(absolute, size, path), onBytes);
  const fileArtifacts: Artifact[] = [];
  const analyser = new Analyser(path, (artifact) => fileArtifacts.push(artifact), limits, root);
  let format: FormatName;
  try {
    format = await analyser.analyse(tap.source);
  } catch (error) {
    format = 'unknown';
    fileArtifacts.push(fileArtifact(path, format, [{ kind: 'unreadable', detail: (error as Error).message }]));
  } finally {
    await analyser.close();
    await tap.source.close();
  }
  const top = fileArtifacts.find((artifact) => artifact.depth === 0 && artifact.member === undefined);
  if (top) {
    top.format = format;
    const extension = extname(path).toLowerCase();
    const expected = EXTENSION_FORMATS[extension];
    if (expected && !expected.includes(format)) {
      top.facts.push({ kind: 'extension-mismatch', extension, expected: [...expected], actual: format });
    }
  }
  artifacts.push(...fileArtifacts);
  return { path, size, sha256: await tap.digest(), format };
}

/** Hashes whatever the first sequential pass reads, then the rest of the file. */
class HashTap {
  private readonly hash: Hash = createHash('sha256');
  private hashedUpTo = 0;
  private tapped = false;
  readonly source: FileSource;

  constructor(
    private readonly file: FileSource,
    private readonly onBytes: (done: number) => void,
  ) {
    const tap = this;
    this.source = {
      ...file,
      stream() {
        if (tap.tapped) return file.stream();
        tap.tapped = true;
        return tap.tappedStream();
      },
    };
  }

  private async *tappedStream(): AsyncGenerator<Uint8Array> {
    for await (const chunk of this.file.stream()) {
      this.hash.update(chunk);
      this.hashedUpTo += chunk.length;
      this.onBytes(this.hashedUpTo);
      yield chunk;
    }
  }

  async digest(): Promise<string> {
    let done = this.hashedUpTo;
    for await (const chunk of readRangeTransient(this.file.path, this.hashedUpTo, this.file.size - this.hashedUpTo)) {
      this.hash.update(chunk);
      done += chunk.length;
      this.onBytes(done);
    }
    return this.hash.digest('hex');
  }
}

/** A small glob matcher: `**` crosses folders, `*` and `?` do not. */
export function globMatcher(patterns: readonly string[]): (path: string) => boolean {
  const expressions = patterns.map((pattern) => {
    let source = '';
    for (let i = 0; i < pattern.length; i++) {
      const c = pattern[i];
      if (c === '*' && pattern[i + 1] === '*') {
        source += '.*';
        i++;
        if (pattern[i + 1] === '/') i++;
      } else if (c === '*') source += '[^/]*';
      else if (c === '?') source += '[^/]';
      else source += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
    }
    return new RegExp(`^${source}$`);
  });
  return (path) => expressions.some((expression) => expression.test(path));
}
