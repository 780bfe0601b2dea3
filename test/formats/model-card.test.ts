import { describe, expect, it } from 'vitest';
import { factsOf } from '../../src/formats/facts.js';
import { parseModelCard } from '../../src/formats/model-card.js';
import { snapshotLocal } from '../../src/targets/local.js';
import { tempFolder } from '../helpers.js';

describe('model card front matter', () => {
  it('reads licence, lineage, datasets and library from a Hub card', async () => {
    const card = await parseModelCard(
      [
        '---',
        'license: other',
        'license_name: llama3',
        'license_link: LICENSE',
        'base_model:',
        '- meta-llama/Meta-Llama-3-8B',
        'datasets: [HuggingFaceH4/ultrachat_200k]',
        'library_name: transformers',
        'extra_gated_eu_disallowed: true',
        'model-index:',
        '- name: Llama-3-8B-Chat',
        '---',
        '# My model',
      ].join('\n'),
    );
    expect(card).toMatchObject({
      kind: 'model-card',
      license: 'other',
      licenseName: 'llama3',
      baseModels: ['meta-llama/Meta-Llama-3-8B'],
      datasets: ['HuggingFaceH4/ultrachat_200k'],
      libraryName: 'transformers',
      euDisallowed: true,
      modelName: 'Llama-3-8B-Chat',
    });
  });

  it('a README without front matter claims nothing; broken YAML is reported with its line', async () => {
    expect(await parseModelCard('# Just a readme\n')).toBeUndefined();
    expect(await parseModelCard('---\nlicense: mit\nbase_model: [a, b\n---\n')).toMatchObject({
      kind: 'model-card-malformed',
      line: expect.any(Number),
    });
  });

  it('an alias bomb stops at the alias cap instead of exhausting memory', async () => {
    const lines = ['---', 'a0: &a0 [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 12; i++)
      lines.push(
        `a${i}: &a${i} [${Array(10)
          .fill(`*a${i - 1}`)
          .join(', ')}]`,
      );
    lines.push('---');
    expect(await parseModelCard(lines.join('\n'))).toMatchObject({ kind: 'model-card-malformed' });
  });

  it('only the card at the top of the folder is read as the model card', async () => {
    const folder = await tempFolder({
      'README.md': '---\nlicense: apache-2.0\n---\n',
      'docs/README.md': '---\nlicense: cc-by-nc-4.0\n---\n',
    });
    const snapshot = await snapshotLocal(folder, {});
    const cards = snapshot.artifacts.flatMap((artifact) => factsOf(artifact, 'model-card').map(() => artifact.file));
    expect(cards).toEqual(['README.md']);
  });
});
