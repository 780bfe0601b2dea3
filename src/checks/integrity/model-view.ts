/** The facts of one model folder gathered across its files: config, tokenizer, shard indexes and tensors. */
import { type Artifact, type FactOf, factsOf } from '../../formats/facts.js';
import { EMBEDDING_SUFFIXES, LAYER_PATTERN } from './tensor-roles.js';

export interface Located<T> {
  file: string;
  fact: T;
}

export interface TensorInfo {
  name: string;
  dtype: string;
  shape: number[];
  file: string;
}

export interface ModelFolder {
  /** Folder relative to the target ('' for the root). */
  folder: string;
  config?: Located<FactOf<'model-config'>>;
  tokenizer?: Located<FactOf<'model-tokenizer'>>;
  indexes: Located<FactOf<'model-shard-index'>>[];
  /** Every file of the folder by path, whatever its format. */
  files: Map<string, Artifact>;
  /** safetensors files of the folder by path. */
  weights: Map<string, Artifact>;
}

export function folderOf(path: string): string {
  const slash = path.lastIndexOf('/');
  return slash < 0 ? '' : path.slice(0, slash);
}

export function inFolder(folder: string, name: string): string {
  return folder ? `${folder}/${name}` : name;
}

/** Files on disk only: a config.json inside an archive describes that archive's format, not this folder. */
export function modelFolders(artifacts: readonly Artifact[]): ModelFolder[] {
  const folders = new Map<string, ModelFolder>();
  for (const artifact of artifacts) {
    if (artifact.depth !== 0 || artifact.member !== undefined) continue;
    const name = folderOf(artifact.file);
    let folder = folders.get(name);
    if (!folder) {
      folder = { folder: name, indexes: [], files: new Map(), weights: new Map() };
      folders.set(name, folder);
    }
    folder.files.set(artifact.file, artifact);
    if (artifact.format === 'safetensors') folder.weights.set(artifact.file, artifact);
    const file = artifact.file;
    for (const fact of artifact.facts) {
      if (fact.kind === 'model-config') folder.config = { file, fact };
      else if (fact.kind === 'model-tokenizer') folder.tokenizer = { file, fact };
      else if (fact.kind === 'model-shard-index') folder.indexes.push({ file, fact });
    }
  }
  return [...folders.values()];
}

export function tensorsOf(artifact: Artifact): TensorInfo[] {
  return factsOf(artifact, 'safetensors-tensor').map(({ name, dtype, shape }) => ({
    name,
    dtype,
    shape,
    file: artifact.file,
  }));
}

/**
 * The tensors the loader would load: the shards an index lists, else `model.safetensors`, else every
 * safetensors file of the folder (first file wins for a name found twice). `complete` is false when a listed
 * shard is absent or unreadable: counts over the tensors would then blame the config for a missing file.
 */
export function modelTensors(folder: ModelFolder): { tensors: Map<string, TensorInfo>; complete: boolean } {
  const listed = folder.indexes.flatMap(({ fact }) => fact.shards.map((shard) => inFolder(folder.folder, shard)));
  const single = inFolder(folder.folder, 'model.safetensors');
  const files = listed.length > 0 ? listed : folder.weights.has(single) ? [single] : [...folder.weights.keys()];
  const tensors = new Map<string, TensorInfo>();
  let complete = true;
  for (const file of files) {
    const artifact = folder.weights.get(file);
    if (!artifact?.facts.some((fact) => fact.kind === 'safetensors-header')) complete = false;
    if (!artifact) continue;
    for (const tensor of tensorsOf(artifact)) if (!tensors.has(tensor.name)) tensors.set(tensor.name, tensor);
  }
  return { tensors, complete };
}

/** The token embedding (or, failing that, the output projection): the first suffix of the table that matches. */
export function findEmbedding(tensors: Map<string, TensorInfo>): TensorInfo | undefined {
  for (const { suffix } of EMBEDDING_SUFFIXES) {
    let best: TensorInfo | undefined;
    for (const tensor of tensors.values()) {
      const matches = tensor.name === suffix || tensor.name.endsWith(`.${suffix}`);
      if (matches && tensor.shape.length === 2 && (!best || tensor.name.length < best.name.length)) best = tensor;
    }
    if (best) return best;
  }
  return undefined;
}

export interface LayerStack {
  prefix: string;
  indices: Set<number>;
  tensors: number;
}

/** Repeated blocks grouped by prefix, largest (by tensor count) first. */
export function layerStacks(tensors: Map<string, TensorInfo>): LayerStack[] {
  const stacks = new Map<string, LayerStack>();
  for (const name of tensors.keys()) {
    const match = LAYER_PATTERN.exec(name);
    if (!match) continue;
    const prefix = match[1] ? `${match[1]}.${match[2]}` : match[2];
    let stack = stacks.get(prefix);
    if (!stack) {
      stack = { prefix, indices: new Set(), tensors: 0 };
      stacks.set(prefix, stack);
    }
    stack.indices.add(Number(match[3]));
    stack.tensors++;
  }
  return [...stacks.values()].sort((a, b) => b.tensors - a.tensors || a.prefix.localeCompare(b.prefix));
}
