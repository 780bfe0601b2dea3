/** Sharded checkpoints: the index (*.safetensors.index.json) against the shard files it names. */
import type { FindingDraft } from '../../core/rule.js';
import type { Artifact, FactOf } from '../../formats/facts.js';
import type { ModelRule } from '../model-rule.js';
import { inFolder, type Located, modelFolders, tensorsOf } from './model-view.js';

/** Findings per index and rule before the rest is summarised in one. */
const MAX_FINDINGS = 50;

const SHARDING_DOC = {
  kind: 'doc',
  id: 'transformers sharded checkpoints',
  url: 'https://huggingface.co/docs/transformers/main/en/big_models',
} as const;

/** A shard name that leaves the folder: loaders join it to the folder path as it is. */
function escapes(shard: string): boolean {
  return shard.startsWith('/') || /^[a-zA-Z]:/.test(shard) || shard.split(/[\\/]/).includes('..');
}

export const shardMissing: ModelRule = {
  meta: {
    id: 'performance/shard-missing',
    pillar: 'performance',
    severity: 'high',
    title: 'A shard named by the index is missing',
    description:
      'The index maps tensors to shard files; loading opens every one of them. A missing shard makes loading ' +
      'fail, or (with low_cpu_mem_usage / partial loaders) leaves its tensors randomly initialised. A shard name ' +
      'that leaves the model folder (absolute, or with "..") reads a file the model does not own.',
    remediation: 'Download the missing shard from the same revision as the index, and check its digest.',
    references: [SHARDING_DOC],
  },
  *check(artifacts) {
    for (const folder of modelFolders(artifacts)) {
      for (const { file, fact } of folder.indexes) {
        for (const shard of fact.shards) {
          const path = inFolder(folder.folder, shard);
          const tensors = fact.weightMap.filter((entry) => fact.shards[entry.shard] === shard).length;
          if (escapes(shard)) {
            yield {
              message: `${file} names shard ${JSON.stringify(shard)}, outside the model folder (${tensors} tensors)`,
              file,
              evidence: { shard, tensors },
            };
          } else if (!artifacts.some((artifact) => artifact.depth === 0 && artifact.file === path)) {
            yield {
              message: `${file} maps ${tensors} tensor(s) to ${shard}, which is not in the folder`,
              file,
              evidence: { shard, tensors },
            };
          }
        }
      }
    }
  },
};

export const shardIndexCoverage: ModelRule = {
  meta: {
    id: 'performance/shard-index-coverage',
    pillar: 'performance',
    severity: 'high',
    title: 'The shard index and the shards disagree about which tensor is where',
    description:
      'Every tensor of every shard must be listed in the index exactly once, under the shard that holds it. A ' +
      'tensor the index omits is never loaded (its layer stays randomly initialised); an entry pointing at a shard ' +
      'that lacks the tensor fails to load; a tensor stored in two shards or listed twice loads whichever copy the ' +
      'loader meets last, which need not be the one that was reviewed.',
    remediation: 'Regenerate the index from the shards (or re-save the model) and publish both together.',
    references: [SHARDING_DOC],
  },
  *check(artifacts) {
    for (const folder of modelFolders(artifacts)) {
      for (const index of folder.indexes) {
        const drafts = [...indexProblems(index, folder.folder, folder.weights)];
        yield* drafts.slice(0, MAX_FINDINGS);
        if (drafts.length > MAX_FINDINGS) {
          yield {
            message: `${index.file}: ${drafts.length - MAX_FINDINGS} more tensor(s) disagree with the shards (not listed one by one)`,
            file: index.file,
            evidence: { more: drafts.length - MAX_FINDINGS },
          };
        }
      }
    }
  },
};

function* indexProblems(
  { file, fact }: Located<FactOf<'model-shard-index'>>,
  folder: string,
  weights: Map<string, Artifact>,
): Generator<FindingDraft> {
  const draft = (message: string, evidence: Record<string, unknown>): FindingDraft => ({ message, file, evidence });
  for (const { tensor, shards } of fact.duplicates) {
    const names = shards.map((shard) => fact.shards[shard]);
    yield draft(`${file} lists ${JSON.stringify(tensor)} ${shards.length} times (${names.join(', ')})`, {
      tensor,
      shards: names,
    });
  }
  // Shards: every file the index names, plus files that follow its naming (model-00003-of-00003) but it forgot.
  const stem = file.slice(file.lastIndexOf('/') + 1).replace(/\.safetensors\.index\.json$/, '');
  const family = new RegExp(`^${stem.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}-\\d+-of-\\d+\\.safetensors$`);
  const shardFiles = new Set(fact.shards.map((shard) => inFolder(folder, shard)));
  for (const path of weights.keys()) if (family.test(path.slice(path.lastIndexOf('/') + 1))) shardFiles.add(path);
  const listed = new Map(fact.weightMap.map(({ tensor, shard }) => [tensor, inFolder(folder, fact.shards[shard])]));
  // Shards that are missing or whose header could not be read are reported by their own rules.
  const readable = (path: string) => weights.get(path)?.facts.some((item) => item.kind === 'safetensors-header');
  const holders = new Map<string, string[]>();
  for (const path of shardFiles) {
    const artifact = weights.get(path);
    if (!artifact || !readable(path)) continue;
    for (const { name } of tensorsOf(artifact)) {
      const where = holders.get(name);
      if (where) where.push(path);
      else holders.set(name, [path]);
    }
  }
  for (const [tensor, where] of holders) {
    if (where.length > 1) {
      yield draft(`${JSON.stringify(tensor)} is stored in ${where.length} shards: ${where.join(', ')}`, {
        tensor,
        shards: where,
      });
    }
    const expected = listed.get(tensor);
    if (expected === undefined) {
      yield draft(`${JSON.stringify(tensor)} in ${where[0]} is not in ${file}: loaders never read it`, {
        tensor,
        shard: where[0],
      });
    }
  }
  for (const [tensor, shard] of listed) {
    if (!readable(shard)) continue;
    if (!holders.get(tensor)?.includes(shard)) {
      const elsewhere = holders.get(tensor);
      yield draft(
        `${file} maps ${JSON.stringify(tensor)} to ${shard}, which does not contain it${elsewhere ? ` (it is in ${elsewhere.join(', ')})` : ''}`,
        { tensor, shard, ...(elsewhere ? { foundIn: elsewhere } : {}) },
      );
    }
  }
}
