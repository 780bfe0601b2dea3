import { z } from 'zod';
import { type Artifact, factsOf } from '../../formats/facts.js';
import { isModelCardPath } from '../../formats/model-card.js';

/**
 * What the model says about itself in its card (README.md front matter), as written: the claims that compliance,
 * lineage and the ML-BOM start from. Judging them is the rules' job; this section only reports them.
 */
export const ModelSection = z.object({
  card: z
    .object({
      file: z.string().describe('The card the claims come from, relative to the target root'),
      status: z
        .enum(['read', 'no-front-matter', 'malformed'])
        .describe('read: front matter parsed; no-front-matter: a card that claims nothing; malformed: unreadable YAML'),
      problem: z
        .object({ detail: z.string(), line: z.number().int().positive().optional() })
        .optional()
        .describe('Why a malformed card could not be read, with the line in README.md when known'),
    })
    .optional()
    .describe('Absent when the model has no card at its top level'),
  name: z.string().optional().describe('`model_name`, else the first `model-index` entry'),
  license: z.string().optional().describe('`license` as written (an SPDX id, a Hub id such as llama3, or `other`)'),
  licenseName: z.string().optional().describe('`license_name`, used with `license: other`'),
  licenseLink: z.string().optional().describe('`license_link`: where the licence text is'),
  baseModels: z.array(z.string()).describe('`base_model`: the models this one was derived from'),
  baseModelRelation: z.string().optional().describe('`base_model_relation`: adapter, merge, quantized, finetune'),
  datasets: z.array(z.string()).describe('`datasets`: training data the card names'),
  libraryName: z.string().optional().describe('`library_name`'),
  pipelineTag: z.string().optional().describe('`pipeline_tag`: the task'),
  languages: z.array(z.string()).describe('`language`'),
  tags: z.array(z.string()),
  frontMatter: z
    .record(z.string(), z.unknown())
    .optional()
    .describe('The front matter as parsed (JSON values), for diffs of two reports'),
});
export type ModelSection = z.infer<typeof ModelSection>;

/** The model section from the card's facts; undefined fields stay out. Cards deeper in the tree are not the model's. */
export function buildModelSection(artifacts: readonly Artifact[]): { model: ModelSection } {
  const cards = artifacts
    .filter((artifact) => artifact.depth === 0 && artifact.member === undefined && isModelCardPath(artifact.file))
    .sort((a, b) => cardRank(a) - cardRank(b) || (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
  const artifact = cards[0];
  const empty: ModelSection = { baseModels: [], datasets: [], languages: [], tags: [] };
  if (!artifact) return { model: empty };
  const fact = factsOf(artifact, 'model-card')[0];
  const malformed = factsOf(artifact, 'model-card-malformed')[0];
  if (malformed) {
    const problem = { detail: malformed.detail, ...(malformed.line === undefined ? {} : { line: malformed.line }) };
    return { model: { ...empty, card: { file: artifact.file, status: 'malformed', problem } } };
  }
  if (!fact) return { model: { ...empty, card: { file: artifact.file, status: 'no-front-matter' } } };
  const defined = <T>(key: string, value: T | undefined) => (value === undefined ? {} : { [key]: value });
  return {
    model: {
      card: { file: artifact.file, status: 'read' },
      ...defined('name', fact.modelName),
      ...defined('license', fact.license),
      ...defined('licenseName', fact.licenseName),
      ...defined('licenseLink', fact.licenseLink),
      baseModels: fact.baseModels,
      ...defined('baseModelRelation', fact.baseModelRelation),
      datasets: fact.datasets,
      ...defined('libraryName', fact.libraryName),
      ...defined('pipelineTag', fact.pipelineTag),
      languages: fact.languages,
      tags: fact.tags,
      frontMatter: fact.metadata,
    },
  };
}

/** A card with front matter beats one without; README.md beats modelcard.md. */
function cardRank(artifact: Artifact): number {
  const claims = artifact.facts.some((fact) => fact.kind === 'model-card' || fact.kind === 'model-card-malformed');
  return (claims ? 0 : 2) + (/^readme\.md$/i.test(artifact.file) ? 0 : 1);
}
