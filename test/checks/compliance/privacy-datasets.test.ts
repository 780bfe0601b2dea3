import { describe, expect, it } from 'vitest';
import { DATASETS, lookUpDataset } from '../../../src/knowledge/datasets.js';

describe('data-set knowledge table', () => {
  it.each([
    ['allenai/c4', 'c4'],
    ['c4', 'c4'],
    ['HuggingFaceFW/fineweb-edu', 'fineweb'],
    ['tiiuae/falcon-refinedweb', 'refinedweb'],
    ['EleutherAI/pile', 'the_pile'],
    ['the_pile', 'the_pile'],
    ['togethercomputer/RedPajama-Data-1T', 'redpajama'],
    ['laion/laion2B-en', 'laion'],
    ['laion/laion-5b', 'laion'],
    ['laion400m', 'laion'],
    ['wikimedia/wikipedia', 'wikipedia'],
    ['bookcorpus', 'bookcorpus'],
    ['Skylion007/openwebtext', 'openwebtext'],
    ['oscar-corpus/OSCAR-2301', 'oscar'],
    ['allenai/dolma', 'dolma'],
    ['bigcode/the-stack-v2', 'the_stack'],
    ['stingning/ultrachat', 'ultrachat'],
    ['tatsu-lab/alpaca', 'alpaca'],
    ['databricks/databricks-dolly-15k', 'dolly'],
    ['OpenAssistant/oasst1', 'oasst'],
    ['anon8231489123/ShareGPT_Vicuna_unfiltered', 'sharegpt'],
    ['rajpurkar/squad_v2', 'squad'],
    ['nyu-mll/glue', 'glue'],
    ['stanfordnlp/imdb', 'imdb'],
    ['ylecun/mnist', 'mnist'],
    ['uoft-cs/cifar10', 'cifar'],
    ['detection-datasets/coco', 'coco'],
    ['ILSVRC/imagenet-1k', 'imagenet'],
    ['CelebA', 'celeba'],
    ['lfw', 'lfw'],
    ['mozilla-foundation/common_voice_11_0', 'common_voice'],
    ['openslr/librispeech_asr', 'librispeech'],
    ['mimic-iv', 'mimic'],
    ['cardiffnlp/tweet_eval', 'social-media-posts'],
  ])('%s is %s', (id, entry) => {
    expect(lookUpDataset(id)?.id).toBe(entry);
  });

  it.each(['laion/OIG', 'acme/crm-export', 'cocoa-beans', 'c4ai-command-r', 'my-org/internal-data'])(
    '%s is not in the table (reported unknown)',
    (id) => {
      expect(lookUpDataset(id)).toBeUndefined();
    },
  );

  it('every entry has a reason and a source, and special categories only where personal data is likely', () => {
    for (const entry of DATASETS) {
      expect(entry.reason.length, entry.id).toBeGreaterThan(10);
      expect(entry.reference, entry.id).toMatch(/^https:\/\//);
      if (entry.specialCategories.length > 0) expect(['high', 'medium'], entry.id).toContain(entry.personalData);
    }
  });
});
