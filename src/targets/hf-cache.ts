import { readdir } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** A model snapshot already present in the Hugging Face cache. */
export interface CachedModel {
  repo: string;
  commit: string;
  /** `<cache>/models--org--name/snapshots/<commit>` */
  folder: string;
}

const COMMIT = /^[0-9a-f]{40}$/;

/** The Hub cache folder: `HF_HUB_CACHE`, else `$HF_HOME/hub`, else `$XDG_CACHE_HOME/huggingface/hub` or `~/.cache/huggingface/hub`. */
export function hubCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const explicit = env.HF_HUB_CACHE || env.HUGGINGFACE_HUB_CACHE;
  if (explicit) return expandHome(explicit);
  if (env.HF_HOME) return join(expandHome(env.HF_HOME), 'hub');
  const cache = env.XDG_CACHE_HOME ? expandHome(env.XDG_CACHE_HOME) : join(homedir(), '.cache');
  return join(cache, 'huggingface', 'hub');
}

function expandHome(path: string): string {
  return path === '~' || path.startsWith('~/') ? join(homedir(), path.slice(1)) : path;
}

/** `org/name` → `models--org--name`, as huggingface_hub names a model's cache folder. */
export function repoFolderName(repo: string): string {
  return `models--${repo.split('/').join('--')}`;
}

/** Every model snapshot in the cache, one entry per (repo, commit), sorted. A missing cache is empty. */
export async function listCachedModels(cacheDir?: string): Promise<CachedModel[]> {
  const root = cacheDir ?? hubCacheDir();
  const models: CachedModel[] = [];
  for (const entry of await readdirOrEmpty(root)) {
    if (!entry.isDirectory() || !entry.name.startsWith('models--')) continue;
    const repo = entry.name.slice('models--'.length).split('--').join('/');
    if (repo === '') continue;
    const snapshots = join(root, entry.name, 'snapshots');
    for (const snapshot of await readdirOrEmpty(snapshots)) {
      if (snapshot.isDirectory() && COMMIT.test(snapshot.name)) {
        models.push({ repo, commit: snapshot.name, folder: join(snapshots, snapshot.name) });
      }
    }
  }
  return models.sort((a, b) => compare(a.repo, b.repo) || compare(a.commit, b.commit));
}

async function readdirOrEmpty(folder: string) {
  try {
    return await readdir(folder, { withFileTypes: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT' || (error as NodeJS.ErrnoException).code === 'ENOTDIR') {
      return [];
    }
    throw error;
  }
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
