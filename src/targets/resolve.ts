import type { Artifact, Fact } from '../formats/facts.js';
import { type HubTarget, type HubTargetOptions, resolveHubTarget } from './hub.js';

export const HUB_PREFIX = 'hf://';

export interface ResolvedTarget {
  /** The folder or file to audit on this machine (for Hub targets, the verified snapshot in the cache). */
  path: string;
  hub?: HubTarget;
  /** Facts about how the target was obtained (Hub digest mismatches, an unpinned revision). */
  extraArtifacts: Artifact[];
}

/** A local path as it is; `hf://org/name@revision` resolved, downloaded and verified into the Hugging Face cache. */
export async function resolveTarget(target: string, options: HubTargetOptions = {}): Promise<ResolvedTarget> {
  if (!target.startsWith(HUB_PREFIX)) return { path: target, extraArtifacts: [] };
  const hub = await resolveHubTarget(target.slice(HUB_PREFIX.length), options);
  return { path: hub.folder, hub, extraArtifacts: [hubArtifact(hub)] };
}

/** How the Hub target was resolved and verified, as facts for the provenance rules. */
function hubArtifact(hub: HubTarget): Artifact {
  const facts: Fact[] = hub.problems.map((problem) => ({
    kind: 'hub-file-rejected',
    path: problem.file,
    detail: problem.detail,
  }));
  if (!hub.pinned) facts.push({ kind: 'hub-unpinned', repo: hub.repo, revision: hub.revision, commit: hub.commit });
  return { file: hub.repo, format: 'unknown', origin: { via: 'file' }, depth: 0, facts };
}
