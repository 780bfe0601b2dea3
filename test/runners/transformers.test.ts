import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { transformersRunner } from '../../src/runners/transformers.js';
import { tinyBertFolder } from '../fixtures/tiny-bert.js';
import { tempFolder } from '../helpers.js';

describe('Transformers.js runner on a local folder, offline', () => {
  it('classifies text with a tiny bert-like model built by the test, without any network request', async () => {
    const root = await tempFolder({});
    process.env.ASSAY_HOME = root;
    const folder = await tempFolder(
      Object.fromEntries(Object.entries(tinyBertFolder()).map(([name, body]) => [`tiny-bert/${name}`, body])),
    );
    const realFetch = globalThis.fetch;
    const requests: string[] = [];
    globalThis.fetch = (async (input: string | URL | Request) => {
      requests.push(String(input));
      throw new Error('network used');
    }) as typeof fetch;
    try {
      const runner = await transformersRunner({ path: join(folder, 'tiny-bert') });
      const results = await runner.run([
        { id: 'p', input: { kind: 'text', text: 'a GREAT film' } },
        { id: 'n', input: { kind: 'text', text: 'the film was awful' } },
      ]);
      await runner.close();
      expect(results.map((result) => result.output?.kind === 'scores' && result.output.labels)).toEqual([
        ['NEGATIVE', 'POSITIVE'],
        ['NEGATIVE', 'POSITIVE'],
      ]);
      const positive = results.map((result) =>
        result.output?.kind === 'scores' ? result.output.values[1] : Number.NaN,
      );
      // logits (0, 2) and (2, 0): softmax gives e²/(1+e²) and 1/(1+e²).
      expect(positive[0]).toBeCloseTo(Math.exp(2) / (1 + Math.exp(2)), 5);
      expect(positive[1]).toBeCloseTo(1 / (1 + Math.exp(2)), 5);
      expect(runner.describe()).toMatchObject({
        kind: 'transformers',
        modelDigest: expect.stringMatching(/^[0-9a-f]{64}$/),
      });
    } finally {
      globalThis.fetch = realFetch;
    }
    expect(requests).toEqual([]);
  });

  it('refuses a folder that is not a local model rather than fetching it from the Hub', async () => {
    await expect(
      transformersRunner({ path: 'Xenova/distilbert-base-uncased-finetuned-sst-2-english' }),
    ).rejects.toThrow(
      /not a local Transformers\.js model folder: config\.json is missing \(remote models are never downloaded\)/,
    );
  });
});
