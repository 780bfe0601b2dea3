/**
 * `assay.lock`: what a target held when it was pinned (every file's path, size, sha256 and sniffed format), and the
 * comparison of a later snapshot against it. Pure functions, except the git HEAD reader, which only reads files.
 */
import { readFile, stat } from 'node:fs/promises';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { z } from 'zod';
import { FileEntry } from '../core/report.js';

export const LOCK_VERSION = 1;
export const LOCK_FILE_NAME = 'assay.lock';

export const LockFile = z.object({
  lockVersion: z.literal(LOCK_VERSION),
  tool: z.object({ name: z.literal('assay'), version: z.string() }),
  target: z.string().describe('The target as the user gave it'),
  kind: z.enum(['file', 'directory']),
  commit: z
    .string()
    .regex(/^[0-9a-f]{40}([0-9a-f]{24})?$/)
    .nullable()
    .describe('git HEAD commit when the target is a git checkout, else null'),
  createdAt: z.string(),
  files: z.array(FileEntry).describe('Every file, sorted by path'),
});
export type LockFile = z.infer<typeof LockFile>;

export class LockError extends Error {}

export interface LockInput {
  target: string;
  kind: 'file' | 'directory';
  commit: string | null;
  createdAt: string;
  toolVersion: string;
  files: readonly FileEntry[];
}

export function createLock(input: LockInput): LockFile {
  return {
    lockVersion: LOCK_VERSION,
    tool: { name: 'assay', version: input.toolVersion },
    target: input.target,
    kind: input.kind,
    commit: input.commit,
    createdAt: input.createdAt,
    files: [...input.files]
      .map(({ path, size, sha256, format }) => ({ path, size, sha256, format }))
      .sort((a, b) => compare(a.path, b.path)),
  };
}

/** JSON with a fixed key order (the schema's), two-space indented, one trailing newline. */
export function serializeLock(lock: LockFile): string {
  const ordered = {
    lockVersion: lock.lockVersion,
    tool: { name: lock.tool.name, version: lock.tool.version },
    target: lock.target,
    kind: lock.kind,
    commit: lock.commit,
    createdAt: lock.createdAt,
    files: lock.files.map(({ path, size, sha256, format }) => ({ path, size, sha256, format })),
  };
  return `${JSON.stringify(ordered, null, 2)}\n`;
}

/** Parses lock text; the error names the file and says what to do. */
export function parseLock(text: string, file: string): LockFile {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new LockError(
      `${file} is not valid JSON (${(error as Error).message}); recreate it with \`assay lock <target>\``,
    );
  }
  const result = LockFile.safeParse(json);
  if (!result.success) {
    const problems = result.error.issues
      .slice(0, 5)
      .map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`)
      .join('; ');
    throw new LockError(`${file} is not a valid assay lock (${problems}); recreate it with \`assay lock <target>\``);
  }
  return result.data;
}

export async function readLock(file: string): Promise<LockFile> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new LockError(
      `cannot read lock file ${file} (${code}); create it with \`assay lock <target>\` or name it with --lock`,
    );
  }
  return parseLock(text, file);
}

/** Where the lock goes by default: inside a folder target, beside a file target. */
export function defaultLockPath(target: string, kind: 'file' | 'directory'): string {
  return kind === 'directory' ? join(target, LOCK_FILE_NAME) : join(dirname(target), LOCK_FILE_NAME);
}

export interface FileChange {
  path: string;
  before: FileEntry;
  after: FileEntry;
  /** Which of size, sha256 and format differ. */
  fields: ('size' | 'sha256' | 'format')[];
}

export interface LockComparison {
  added: FileEntry[];
  removed: FileEntry[];
  changed: FileChange[];
}

/** Files added, removed and changed between two file lists (each result sorted by path). */
export function compareFiles(before: readonly FileEntry[], after: readonly FileEntry[]): LockComparison {
  const old = new Map(before.map((file) => [file.path, file]));
  const now = new Map(after.map((file) => [file.path, file]));
  const added: FileEntry[] = [];
  const removed: FileEntry[] = [];
  const changed: FileChange[] = [];
  for (const file of now.values()) {
    const previous = old.get(file.path);
    if (!previous) {
      added.push(file);
      continue;
    }
    const fields = (['size', 'sha256', 'format'] as const).filter((field) => previous[field] !== file[field]);
    if (fields.length > 0) changed.push({ path: file.path, before: previous, after: file, fields });
  }
  for (const file of old.values()) if (!now.has(file.path)) removed.push(file);
  const byPath = (a: { path: string }, b: { path: string }) => compare(a.path, b.path);
  return { added: added.sort(byPath), removed: removed.sort(byPath), changed: changed.sort(byPath) };
}

export function isUnchanged(comparison: LockComparison): boolean {
  return comparison.added.length === 0 && comparison.removed.length === 0 && comparison.changed.length === 0;
}

const SHA = /^[0-9a-f]{40}([0-9a-f]{24})?$/;

/**
 * The commit a git checkout's HEAD points at, read from `.git` files without running git: a detached HEAD, a loose
 * ref, or `packed-refs`; `.git` may be a `gitdir:` file (worktrees, submodules). Null when it is not a checkout or
 * the ref cannot be resolved.
 */
export async function gitHeadCommit(folder: string): Promise<string | null> {
  try {
    let gitDir = join(folder, '.git');
    const info = await stat(gitDir).catch(() => undefined);
    if (!info) return null;
    let commonDir = gitDir;
    if (info.isFile()) {
      const pointer = (await readFile(gitDir, 'utf8')).match(/^gitdir:\s*(.+?)\s*$/m);
      if (!pointer) return null;
      gitDir = isAbsolute(pointer[1]) ? pointer[1] : resolve(folder, pointer[1]);
      commonDir = gitDir;
      const common = await readFile(join(gitDir, 'commondir'), 'utf8').catch(() => undefined);
      if (common) commonDir = resolve(gitDir, common.trim());
    }
    let head = (await readFile(join(gitDir, 'HEAD'), 'utf8')).trim();
    for (let depth = 0; depth < 5; depth++) {
      if (SHA.test(head)) return head;
      const ref = head.match(/^ref:\s*(refs\/\S+)$/)?.[1];
      if (!ref || ref.split('/').includes('..')) return null;
      const loose = await readLooseRef(gitDir, commonDir, ref);
      if (loose !== undefined) {
        head = loose;
        continue;
      }
      return await readPackedRef(commonDir, ref);
    }
    return null;
  } catch {
    return null;
  }
}

async function readLooseRef(gitDir: string, commonDir: string, ref: string): Promise<string | undefined> {
  for (const dir of gitDir === commonDir ? [gitDir] : [gitDir, commonDir]) {
    const text = await readFile(join(dir, ref), 'utf8').catch(() => undefined);
    if (text !== undefined) return text.trim();
  }
  return undefined;
}

async function readPackedRef(commonDir: string, ref: string): Promise<string | null> {
  const packed = await readFile(join(commonDir, 'packed-refs'), 'utf8').catch(() => '');
  for (const line of packed.split('\n')) {
    const [sha, name] = line.trim().split(/\s+/);
    if (name === ref && SHA.test(sha)) return sha;
  }
  return null;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
