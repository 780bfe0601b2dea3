/**
 * The `base_model` lineage: the enrich step follows the card's `base_model` (and GGUF `general.base_model.*`) to each
 * ancestor's card, in a local folder of cards (`--cards`, laid out `<org>/<name>/README.md`), in the local Hugging
 * Face cache, or, for Hub targets only, on the Hub. Every ancestor becomes an artifact with one `lineage-card` fact, found or not: an ancestor that
 * cannot be read is unknown, never assumed permissive. Walks are bounded in depth and count, and cycles stop.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Artifact } from '../formats/facts.js';
import { factsOf } from '../formats/facts.js';
import { isLicenceFileName, type LicenceTextFact, licenceTextFact } from '../formats/licence-text.js';
import { type ModelCardFields, parseModelCard } from '../formats/model-card.js';
import { repoFolderName } from '../targets/hf-cache.js';
import { TargetError } from '../targets/local.js';

export interface LineageCardFact {
  kind: 'lineage-card';
  /** The ancestor's Hub id (`org/name`). */
  model: string;
  /** Ids of the models (the target is `.`) whose card names this one as `base_model`. */
  childOf: string[];
  /** 1 for a direct base model. */
  depth: number;
  found: 'cards-folder' | 'hf-cache' | 'hub' | 'not-found' | 'unreadable' | 'depth-limit';
  /** Why it was not found or could not be read; where it was read from. */
  detail: string;
  /** The ancestor card's fields (absent when not found). */
  card?: ModelCardFields;
  /** Licence files beside the ancestor's card in the cards folder. */
  licenceTexts: LicenceTextFact[];
}

/** The target's place in the lineage tree. */
export const TARGET_NODE = '.';

export interface LineageOptions {
  /** Folder of cards laid out `<org>/<name>/README.md`. */
  cardsFolder?: string;
  /** The local Hugging Face cache: an ancestor downloaded before is read from its `main` snapshot, offline. */
  hfCacheDir?: string;
  /** Hub base URL to fetch ancestors' README.md from (only for Hub targets; absent offline). */
  hubEndpoint?: string;
  hubToken?: string;
  maxDepth?: number;
  maxAncestors?: number;
}

const MAX_CARD_BYTES = 1 << 20;
const HUB_TIMEOUT_MS = 15_000;
const MODEL_ID = /^[A-Za-z0-9][\w.-]*\/[A-Za-z0-9][\w.-]*$/;

/** The enrich hook for `AuditOptions`: ancestors' cards as artifacts. */
export function lineageEnricher(options: LineageOptions): (artifacts: readonly Artifact[]) => Promise<Artifact[]> {
  return (artifacts) => walkLineage(directBaseModels(artifacts), options);
}

/** `base_model` of the target's card, else the GGUF base models that name a Hub repository. */
export function directBaseModels(artifacts: readonly Artifact[]): string[] {
  const fromCard = artifacts.flatMap((artifact) => factsOf(artifact, 'model-card').flatMap((card) => card.baseModels));
  if (fromCard.length > 0) return [...new Set(fromCard)];
  const fromGguf = artifacts.flatMap((artifact) =>
    factsOf(artifact, 'gguf-metadata').flatMap((metadata) =>
      metadata.baseModels.flatMap((base) => {
        const id = base.repoUrl?.match(/huggingface\.co\/([^/?#]+\/[^/?#]+)/)?.[1];
        return id ? [id] : [];
      }),
    ),
  );
  return [...new Set(fromGguf)];
}

export async function walkLineage(roots: readonly string[], options: LineageOptions): Promise<Artifact[]> {
  if (options.cardsFolder && !(await stat(options.cardsFolder).catch(() => undefined))?.isDirectory())
    throw new TargetError(`--cards ${options.cardsFolder}: not a folder (expected <org>/<name>/README.md inside)`);
  const maxDepth = options.maxDepth ?? 8;
  const maxAncestors = options.maxAncestors ?? 64;
  const nodes = new Map<string, LineageCardFact>();
  let frontier = roots.map((model) => ({ model, child: TARGET_NODE }));
  for (let depth = 1; frontier.length > 0; depth++) {
    const next: { model: string; child: string }[] = [];
    for (const { model, child } of frontier) {
      const known = nodes.get(model);
      // Seen before (a merge of siblings, or a cycle): record the extra edge, do not walk it again.
      if (known) {
        if (!known.childOf.includes(child)) known.childOf.push(child);
        continue;
      }
      if (depth > maxDepth || nodes.size >= maxAncestors) {
        const limit = depth > maxDepth ? `deeper than ${maxDepth} generations` : `more than ${maxAncestors} ancestors`;
        nodes.set(model, node(model, child, depth, 'depth-limit', `not followed: the lineage is ${limit}`));
        continue;
      }
      const fact = await readAncestor(model, child, depth, options);
      nodes.set(model, fact);
      for (const parent of fact.card?.baseModels ?? []) next.push({ model: parent, child: model });
    }
    frontier = next;
  }
  return [...nodes.values()].map((fact) => ({
    file: `base_model:${fact.model}`,
    format: 'text',
    origin: { via: 'file' },
    depth: 0,
    facts: [fact],
  }));
}

function node(
  model: string,
  child: string,
  depth: number,
  found: LineageCardFact['found'],
  detail: string,
  card?: ModelCardFields,
  licenceTexts: LicenceTextFact[] = [],
): LineageCardFact {
  return { kind: 'lineage-card', model, childOf: [child], depth, found, detail, card, licenceTexts };
}

async function readAncestor(
  model: string,
  child: string,
  depth: number,
  options: LineageOptions,
): Promise<LineageCardFact> {
  if (!MODEL_ID.test(model) || model.includes('..'))
    return node(model, child, depth, 'not-found', 'not a Hub model id of the form org/name');
  if (options.cardsFolder) {
    const folder = join(options.cardsFolder, ...model.split('/'));
    const text = await readBounded(join(folder, 'README.md'));
    if (text !== undefined)
      return fromCardText(
        model,
        child,
        depth,
        'cards-folder',
        join(folder, 'README.md'),
        text,
        await licenceFiles(folder),
      );
  }
  if (options.hfCacheDir) {
    const snapshot = await cachedSnapshot(options.hfCacheDir, model);
    const text = snapshot && (await readBounded(join(snapshot, 'README.md')));
    if (snapshot && text !== undefined)
      return fromCardText(
        model,
        child,
        depth,
        'hf-cache',
        join(snapshot, 'README.md'),
        text,
        await licenceFiles(snapshot),
      );
  }
  if (options.hubEndpoint) {
    const url = `${options.hubEndpoint.replace(/\/+$/, '')}/${model}/resolve/main/README.md`;
    const fetched = await fetchCard(url, options.hubToken);
    if (typeof fetched === 'string') return fromCardText(model, child, depth, 'hub', url, fetched, []);
    return node(model, child, depth, 'not-found', fetched.problem);
  }
  const where = [
    options.cardsFolder && `no ${model}/README.md in ${options.cardsFolder}`,
    options.hfCacheDir && 'not in the Hugging Face cache',
    options.hubEndpoint === undefined && 'the Hub is consulted for hf:// targets only',
  ].filter(Boolean);
  return node(model, child, depth, 'not-found', where.join('; '));
}

async function fromCardText(
  model: string,
  child: string,
  depth: number,
  found: 'cards-folder' | 'hf-cache' | 'hub',
  where: string,
  text: string,
  licenceTexts: LicenceTextFact[],
): Promise<LineageCardFact> {
  const parsed = await parseModelCard(text);
  if (parsed?.kind === 'model-card-malformed')
    return node(model, child, depth, 'unreadable', `${where}: front matter is not valid YAML (${parsed.detail})`);
  if (!parsed) return node(model, child, depth, found, `${where} (no front matter)`, emptyCard(), licenceTexts);
  const { kind: _kind, metadata: _metadata, bodyLength: _bodyLength, ...card } = parsed;
  return node(model, child, depth, found, where, card, licenceTexts);
}

/** The snapshot `refs/main` points at in the Hugging Face cache (huggingface_hub's layout). */
async function cachedSnapshot(cacheDir: string, model: string): Promise<string | undefined> {
  const folder = join(cacheDir, repoFolderName(model));
  const commit = (await readBounded(join(folder, 'refs', 'main')))?.trim();
  return commit && /^[0-9a-f]{40}$/.test(commit) ? join(folder, 'snapshots', commit) : undefined;
}

function emptyCard(): ModelCardFields {
  return {
    baseModels: [],
    datasets: [],
    sourceDatasets: [],
    languageCreators: [],
    languages: [],
    tags: [],
    euDisallowed: false,
  };
}

async function licenceFiles(folder: string): Promise<LicenceTextFact[]> {
  const names = await readdir(folder).catch(() => [] as string[]);
  const facts: LicenceTextFact[] = [];
  for (const name of names.filter(isLicenceFileName).sort()) {
    const text = await readBounded(join(folder, name));
    if (text !== undefined) facts.push(licenceTextFact(name, text));
  }
  return facts;
}

async function readBounded(path: string): Promise<string | undefined> {
  try {
    const info = await stat(path);
    if (!info.isFile() || info.size > MAX_CARD_BYTES) return undefined;
    return await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
}

async function fetchCard(url: string, token: string | undefined): Promise<string | { problem: string }> {
  try {
    const response = await fetch(url, {
      headers: token ? { authorization: `Bearer ${token}` } : {},
      signal: AbortSignal.timeout(HUB_TIMEOUT_MS),
    });
    if (!response.ok) {
      await response.body?.cancel();
      return { problem: `${url} answered HTTP ${response.status}` };
    }
    const declared = Number(response.headers.get('content-length') ?? 0);
    if (declared > MAX_CARD_BYTES) {
      await response.body?.cancel();
      return { problem: `${url} is larger than ${MAX_CARD_BYTES} bytes` };
    }
    const body = await readLimited(response, MAX_CARD_BYTES);
    return body ?? { problem: `${url} is larger than ${MAX_CARD_BYTES} bytes` };
  } catch (error) {
    return { problem: `${url} could not be fetched: ${(error as Error).message}` };
  }
}

async function readLimited(response: Response, limit: number): Promise<string | undefined> {
  if (!response.body) return '';
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of response.body as AsyncIterable<Uint8Array>) {
    total += chunk.byteLength;
    if (total > limit) return undefined;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}
