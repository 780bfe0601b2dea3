import { resolve } from 'node:path';
import { parseHubSpec } from '../targets/hub.js';

const HUB_PREFIX = 'hf://';
const CACHE_PREFIX = 'hf-cache:';

/**
 * A model's name in the store, from the target as the user gave it: `hf://org/name` for Hub targets and cached
 * Hub models (the revision is not part of the name: which bytes were audited is the model digest's job), and the
 * absolute path for local files and folders, so `./m` and `m` run from the same folder are the same model.
 */
export function modelName(target: string, cwd: string = process.cwd()): string {
  if (target.startsWith(HUB_PREFIX)) return `${HUB_PREFIX}${parseHubSpec(target).repo}`;
  if (target.startsWith(CACHE_PREFIX)) return `${HUB_PREFIX}${parseHubSpec(target.slice(CACHE_PREFIX.length)).repo}`;
  return resolve(cwd, target);
}
