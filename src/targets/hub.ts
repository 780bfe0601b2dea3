import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { copyFile, link, mkdir, open, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { hubCacheDir, repoFolderName } from './hf-cache.js';
import { TargetError } from './local.js';

export interface HubTargetOptions {
  /** Hub base URL; default `HF_ENDPOINT`, else https://huggingface.co. */
  endpoint?: string;
  /** Bearer token; default `HF_TOKEN`. */
  token?: string;
  /** Cache folder; default `HF_HUB_CACHE` / `$HF_HOME/hub` / `~/.cache/huggingface/hub`. */
  cacheDir?: string;
  /** Download attempts per file (an interrupted attempt resumes with a Range request). Default 4. */
  attempts?: number;
}

export interface HubProblem {
  file: string;
  detail: string;
}

export interface HubTarget {
  /** `<cache>/models--org--name/snapshots/<commit>`: only files whose bytes matched the Hub's digest. */
  folder: string;
  repo: string;
  revision: string;
  commit: string;
  /** False when the revision given was a branch or tag rather than a 40-hex commit. */
  pinned: boolean;
  /** Files not used: digest or size mismatch, unsafe path, failed download. */
  problems: HubProblem[];
}

/** What the Hub says a file must be: LFS files by SHA-256, git files by their git blob SHA-1. */
export interface HubFile {
  path: string;
  size: number;
  /** 40-hex git blob id (for LFS files, the pointer's). */
  oid: string;
  /** 64-hex SHA-256 of the content, for LFS files. */
  sha256?: string;
}

const COMMIT = /^[0-9a-f]{40}$/;
const SHA256 = /^[0-9a-f]{64}$/;
const REPO_PART = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
const DEFAULT_ENDPOINT = 'https://huggingface.co';

/** Parses `hf://org/name@rev` or `org/name[@rev]`; the revision defaults to `main`. */
export function parseHubSpec(spec: string): { repo: string; revision: string } {
  const body = spec.startsWith('hf://') ? spec.slice('hf://'.length) : spec;
  const at = body.indexOf('@');
  const repo = at < 0 ? body : body.slice(0, at);
  const revision = at < 0 ? 'main' : body.slice(at + 1);
  const parts = repo.split('/');
  if (
    parts.length > 2 ||
    parts.some((part) => !REPO_PART.test(part) || part.includes('--') || part.includes('..') || part.endsWith('.'))
  ) {
    throw new TargetError(`not a Hugging Face model id: ${spec}`);
  }
  if (!safeRelativePath(revision)) throw new TargetError(`not a usable revision: ${JSON.stringify(revision)}`);
  return { repo, revision };
}

/** Resolves a Hub model to a commit, downloads it into the Hugging Face cache, and verifies every file. */
export async function resolveHubTarget(spec: string, options: HubTargetOptions = {}): Promise<HubTarget> {
  const { repo, revision } = parseHubSpec(spec);
  const endpoint = (options.endpoint ?? process.env.HF_ENDPOINT ?? DEFAULT_ENDPOINT).replace(/\/+$/, '');
  const token = options.token ?? process.env.HF_TOKEN;
  const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
  const hub = new HubClient(endpoint, headers);
  const pinned = COMMIT.test(revision);

  const info = await hub.json(`/api/models/${repo}/revision/${encodeURIComponent(revision)}`);
  const commit = (info as { sha?: unknown } | null)?.sha;
  if (typeof commit !== 'string' || !COMMIT.test(commit)) {
    throw new TargetError(`the Hub gave no commit for ${repo}@${revision}`);
  }
  if (pinned && commit !== revision) {
    throw new TargetError(`the Hub resolved commit ${revision} of ${repo} to a different commit ${commit}`);
  }
  const problems: HubProblem[] = [];
  const files = await hub.listFiles(repo, commit, problems);

  const repoFolder = join(options.cacheDir ?? hubCacheDir(), repoFolderName(repo));
  const blobs = join(repoFolder, 'blobs');
  const folder = join(repoFolder, 'snapshots', commit);
  await mkdir(blobs, { recursive: true });
  await mkdir(folder, { recursive: true });
  if (!pinned) {
    await mkdir(dirname(join(repoFolder, 'refs', revision)), { recursive: true });
    await writeFile(join(repoFolder, 'refs', revision), commit);
  }

  const verified = new Set<string>();
  const attempts = Math.max(1, options.attempts ?? 4);
  for (const file of files) {
    const target = join(folder, ...file.path.split('/'));
    const blobName = file.sha256 ?? file.oid;
    const blob = join(blobs, blobName);
    try {
      if (!verified.has(blobName)) {
        if (await exists(blob)) {
          const problem = await check(blob, file);
          if (problem) await rm(blob, { force: true });
          else verified.add(blobName);
        }
        if (!verified.has(blobName)) {
          const incomplete = `${blob}.incomplete`;
          const url = `/${repo}/resolve/${commit}/${file.path.split('/').map(encodeURIComponent).join('/')}`;
          await hub.download(url, incomplete, file.size, attempts);
          const problem = await check(incomplete, file);
          if (problem) {
            await rm(incomplete, { force: true });
            throw new MismatchError(problem);
          }
          await rename(incomplete, blob);
          verified.add(blobName);
        }
      }
      await place(blob, target);
    } catch (error) {
      await rm(target, { force: true });
      problems.push({ file: file.path, detail: (error as Error).message });
    }
  }
  return { folder, repo, revision, commit, pinned, problems };
}

class MismatchError extends Error {}

/** Thrown for HTTP answers a retry will not fix. */
class HubHttpError extends Error {}

class HubClient {
  constructor(
    private readonly endpoint: string,
    private readonly headers: Record<string, string>,
  ) {}

  async json(path: string): Promise<unknown> {
    return (await this.get(this.endpoint + path)).json();
  }

  private async get(url: string): Promise<Response> {
    let response: Response;
    try {
      response = await fetch(url, { headers: this.headers });
    } catch (error) {
      throw new TargetError(`cannot reach the Hub at ${url}: ${(error as Error).message}`);
    }
    if (!response.ok) {
      const body = (await response.text().catch(() => '')).slice(0, 200);
      throw new TargetError(`the Hub answered ${response.status} for ${url}${body ? `: ${body}` : ''}`);
    }
    return response;
  }

  /** Every file at a commit, following `Link: rel="next"` pages on the same origin. */
  async listFiles(repo: string, commit: string, problems: HubProblem[]): Promise<HubFile[]> {
    const files: HubFile[] = [];
    let url: string | undefined = `${this.endpoint}/api/models/${repo}/tree/${commit}?recursive=true&expand=false`;
    const origin = new URL(this.endpoint).origin;
    for (let page = 0; url !== undefined; page++) {
      if (page > 10_000) throw new TargetError(`the Hub file listing of ${repo} does not end`);
      const response = await this.get(url);
      const entries = await response.json();
      if (!Array.isArray(entries)) throw new TargetError(`the Hub file listing of ${repo} is not a list`);
      for (const entry of entries) {
        if (entry?.type !== 'file') continue;
        const file = asHubFile(entry);
        if (typeof file === 'string') problems.push({ file: String(entry?.path ?? '(no path)'), detail: file });
        else files.push(file);
      }
      const next = /<([^>]+)>\s*;\s*rel="next"/.exec(response.headers.get('link') ?? '')?.[1];
      url = next === undefined ? undefined : new URL(next, url).href;
      if (url !== undefined && new URL(url).origin !== origin) {
        throw new TargetError(`the Hub file listing of ${repo} points to another host: ${url}`);
      }
    }
    return files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }

  /** Streams a file to `incomplete`, resuming from what is already there; never writes more than `size` bytes. */
  async download(path: string, incomplete: string, size: number, attempts: number): Promise<void> {
    let lastError: Error | undefined;
    for (let attempt = 0; attempt < attempts; attempt++) {
      let offset = await stat(incomplete).then(
        (info) => info.size,
        () => 0,
      );
      if (offset > size) offset = 0;
      if (offset === size && size > 0) return;
      const headers = offset > 0 ? { ...this.headers, range: `bytes=${offset}-` } : this.headers;
      let response: Response;
      try {
        response = await fetch(this.endpoint + path, { headers });
      } catch (error) {
        lastError = error as Error;
        continue;
      }
      if (response.status === 206 && offset > 0) {
        const start = /^bytes (\d+)-/.exec(response.headers.get('content-range') ?? '')?.[1];
        if (start === undefined || Number(start) !== offset) {
          await response.body?.cancel();
          await rm(incomplete, { force: true });
          lastError = new Error(`the Hub answered a resume from byte ${offset} with ${start ?? 'no'} range`);
          continue;
        }
      } else if (response.status === 200) {
        offset = 0;
      } else {
        await response.body?.cancel();
        const error = new HubHttpError(`download failed: the Hub answered ${response.status}`);
        if (response.status < 500 && response.status !== 408 && response.status !== 429) throw error;
        lastError = error;
        continue;
      }
      const handle = await open(incomplete, offset > 0 ? 'a' : 'w');
      let written = offset;
      try {
        if (response.body) {
          for await (const chunk of response.body) {
            written += chunk.length;
            if (written > size) {
              throw new MismatchError(`size mismatch: the Hub lists ${size} bytes and sent more`);
            }
            await handle.write(chunk);
          }
        }
      } catch (error) {
        if (error instanceof MismatchError) {
          await handle.close();
          await rm(incomplete, { force: true });
          throw error;
        }
        lastError = error as Error;
        continue;
      } finally {
        await handle.close().catch(() => {});
      }
      if (written === size) return;
      lastError = new Error(`download ended after ${written} of ${size} bytes`);
    }
    throw new Error(`download failed after ${attempts} attempts: ${lastError?.message ?? 'unknown error'}`);
  }
}

function asHubFile(entry: Record<string, unknown>): HubFile | string {
  const { path, size, oid, lfs } = entry as { path: unknown; size: unknown; oid: unknown; lfs: unknown };
  if (typeof path !== 'string' || !safeRelativePath(path))
    return `unsafe path in the Hub listing: ${JSON.stringify(path)}`;
  if (typeof oid !== 'string' || !COMMIT.test(oid)) return 'the Hub listing gives no git blob id';
  if (lfs !== undefined && lfs !== null) {
    const { oid: sha256, size: lfsSize } = lfs as { oid: unknown; size: unknown };
    if (typeof sha256 !== 'string' || !SHA256.test(sha256)) return 'the Hub listing gives no LFS sha256';
    if (!isSize(lfsSize)) return 'the Hub listing gives no LFS size';
    return { path, size: lfsSize, oid, sha256 };
  }
  if (!isSize(size)) return 'the Hub listing gives no size';
  return { path, size, oid };
}

function isSize(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

/** A relative `/`-separated path with no empty, `.` or `..` segment, backslash or control character. */
function safeRelativePath(path: string): boolean {
  if (path === '' || path.length > 4096 || path.includes('\\')) return false;
  for (let i = 0; i < path.length; i++) if (path.charCodeAt(i) < 0x20 || path.charCodeAt(i) === 0x7f) return false;
  return path.split('/').every((segment) => segment !== '' && segment !== '.' && segment !== '..');
}

/** Hashes a file and compares it with what the Hub lists; returns the problem, if any. */
async function check(path: string, file: HubFile): Promise<string | undefined> {
  const size = (await stat(path)).size;
  if (size !== file.size) return `size mismatch: the Hub lists ${file.size} bytes, got ${size}`;
  const hash = createHash(file.sha256 ? 'sha256' : 'sha1');
  if (!file.sha256) hash.update(`blob ${size}\0`);
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  const digest = hash.digest('hex');
  const expected = file.sha256 ?? file.oid;
  if (digest === expected) return undefined;
  return file.sha256
    ? `sha256 mismatch: the Hub lists ${expected}, the downloaded bytes hash to ${digest}`
    : `git blob sha1 mismatch: the Hub lists ${expected}, the downloaded bytes hash to ${digest}`;
}

/**
 * Puts a verified blob at its snapshot path as a hard link (a copy where links fail). Regular files rather than the
 * usual `../../blobs` symlinks, so the snapshot folder audits like any local folder.
 */
async function place(blob: string, target: string): Promise<void> {
  await mkdir(dirname(target), { recursive: true });
  await rm(target, { force: true });
  try {
    await link(blob, target);
  } catch {
    await copyFile(blob, target);
  }
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}
