/** `assay lock` and `assay verify`: pin a target's files, then check it still holds exactly those files. */

import { stat, writeFile } from 'node:fs/promises';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { VERSION } from '../assay.js';
import {
  compareFiles,
  createLock,
  defaultLockPath,
  gitHeadCommit,
  isUnchanged,
  type LockComparison,
  LockError,
  type LockFile,
  readLock,
  serializeLock,
} from '../provenance/lock.js';
import { snapshotLocal } from '../targets/local.js';
import { verifySignature } from './verify-signature.js';

export const PIN_EXIT = { same: 0, changed: 1, error: 2 } as const;

export interface LockOptions {
  output?: string;
  quiet?: boolean;
  now?: () => Date;
}

/** Snapshot options that keep a lock written inside the target out of its own file list. */
async function lockExclusion(target: string, lockPath: string): Promise<string[]> {
  const from = resolve(target);
  const path = relative(from, resolve(lockPath));
  if (path === '' || path === '..' || path.startsWith(`..${sep}`) || isAbsolute(path)) return [];
  return [path.split(sep).join('/').replace(/[*?]/g, '?')];
}

async function targetKind(target: string): Promise<'file' | 'directory'> {
  const info = await stat(target).catch(() => undefined);
  return info?.isFile() ? 'file' : 'directory';
}

export async function runLock(target: string, options: LockOptions = {}): Promise<number> {
  const kind = await targetKind(target);
  const output = options.output ?? defaultLockPath(target, kind);
  const snapshot = await snapshotLocal(target, {
    ignore: kind === 'directory' ? await lockExclusion(target, output) : [],
  });
  const lock = createLock({
    target,
    kind: snapshot.kind,
    commit: snapshot.kind === 'directory' ? await gitHeadCommit(target) : null,
    createdAt: (options.now?.() ?? new Date()).toISOString(),
    toolVersion: VERSION,
    files: snapshot.files,
  });
  await writeFile(output, serializeLock(lock));
  if (!options.quiet) {
    const commit = lock.commit ? ` at commit ${lock.commit}` : '';
    process.stderr.write(`assay: locked ${lock.files.length} files of ${target}${commit} in ${output}\n`);
  }
  return PIN_EXIT.same;
}

export interface VerifyOptions {
  /** Lock file; by default assay.lock inside the target (beside a file target). */
  lock?: string;
  format?: 'text' | 'json';
  quiet?: boolean;
  /** A model-signing bundle: verify the signature instead of the lock (see verify-signature.ts). */
  signature?: string;
  key?: string;
  certificateChain?: string;
  identity?: string;
  issuer?: string;
  trustedRoot?: string;
  ignorePaths?: string[];
}

export interface VerifyResult {
  target: string;
  lock: string;
  status: 'unchanged' | 'changed';
  lockedCommit: string | null;
  currentCommit: string | null;
  added: LockComparison['added'];
  removed: LockComparison['removed'];
  changed: LockComparison['changed'];
}

/** `assay verify <target>`: the lock check, or signature verification when `--signature` is given. */
export async function runVerify(target: string, options: VerifyOptions = {}): Promise<number> {
  if (options.signature !== undefined) return verifySignature(target, { ...options, signature: options.signature });
  return verifyLock(target, options);
}

export async function verifyLock(target: string, options: VerifyOptions = {}): Promise<number> {
  const kind = await targetKind(target);
  const lockPath = options.lock ?? defaultLockPath(target, kind);
  let lock: LockFile;
  try {
    lock = await readLock(lockPath);
  } catch (error) {
    if (error instanceof LockError) {
      process.stderr.write(`assay: ${error.message}\n`);
      return PIN_EXIT.error;
    }
    throw error;
  }
  const snapshot = await snapshotLocal(target, {
    ignore: kind === 'directory' ? await lockExclusion(target, lockPath) : [],
  });
  const comparison = compareFiles(lock.files, snapshot.files);
  const result: VerifyResult = {
    target,
    lock: lockPath,
    status: isUnchanged(comparison) ? 'unchanged' : 'changed',
    lockedCommit: lock.commit,
    currentCommit: snapshot.kind === 'directory' ? await gitHeadCommit(target) : null,
    ...comparison,
  };
  if (!options.quiet) {
    process.stdout.write(options.format === 'json' ? `${JSON.stringify(result, null, 2)}\n` : renderVerify(result));
  }
  return result.status === 'unchanged' ? PIN_EXIT.same : PIN_EXIT.changed;
}

export function renderVerify(result: VerifyResult): string {
  const lines = [`assay verify ${result.target} against ${result.lock}`];
  for (const file of result.added) lines.push(`  added    ${file.path} (${file.size} bytes, ${file.format})`);
  for (const file of result.removed) lines.push(`  removed  ${file.path}`);
  for (const change of result.changed) {
    const what = change.fields
      .map((field) => `${field} ${short(change.before[field])} -> ${short(change.after[field])}`)
      .join(', ');
    lines.push(`  changed  ${change.path}: ${what}`);
  }
  if (result.lockedCommit !== result.currentCommit) {
    // Informational: committing the lock itself moves HEAD, so only file contents decide the verdict.
    lines.push(`  note     git HEAD was ${result.lockedCommit ?? 'none'}, now ${result.currentCommit ?? 'none'}`);
  }
  const count = result.added.length + result.removed.length + result.changed.length;
  lines.push(
    result.status === 'unchanged'
      ? 'verdict UNCHANGED: every file matches the lock'
      : `verdict CHANGED: ${count} file${count === 1 ? '' : 's'} differ from the lock`,
  );
  return `${lines.join('\n')}\n`;
}

function short(value: string | number): string {
  return typeof value === 'string' && /^[0-9a-f]{64}$/.test(value) ? `${value.slice(0, 12)}…` : String(value);
}
