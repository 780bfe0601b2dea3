/**
 * Seeded perturbations that should not change a sound model's answer: typos, casing, punctuation, whitespace for
 * text; ±1% multiplicative noise for numbers. The same seed gives the same perturbed inputs, run after run.
 */
import type { RunInput } from '../runners/types.js';
import { seededRandom } from './fairness/statistics.js';

type Perturb = (text: string, random: () => number) => string;

const TEXT_PERTURBATIONS: Record<string, Perturb> = {
  // Swap two adjacent letters in about one word in five (at least one word).
  typos: (text, random) => {
    const words = text.split(' ');
    const candidates = words.map((word, index) => (/[\p{L}]{3,}/u.test(word) ? index : -1)).filter((i) => i >= 0);
    const picks = new Set(candidates.filter(() => random() < 0.2));
    if (picks.size === 0 && candidates.length > 0) picks.add(candidates[Math.floor(random() * candidates.length)]);
    return words
      .map((word, index) => {
        if (!picks.has(index)) return word;
        const at = 1 + Math.floor(random() * (word.length - 2));
        return word.slice(0, at - 1) + word[at] + word[at - 1] + word.slice(at + 1);
      })
      .join(' ');
  },
  casing: (text, random) => (random() < 0.5 ? text.toUpperCase() : text.toLowerCase()),
  punctuation: (text) => {
    const stripped = text.replace(/[\p{P}]/gu, '');
    return stripped === text ? `${text}!` : stripped;
  },
  whitespace: (text) => `  ${text.replace(/ /g, '  ')}\n`,
};

export interface Perturbation {
  name: string;
  input: RunInput;
}

/** Every perturbation of one input (text and chat: the last user message; tensor: noise). */
export function perturbations(input: RunInput, seed: number): Perturbation[] {
  const random = seededRandom(seed);
  if (input.kind === 'tensor') {
    const values = input.values.map((value) => value * (1 + (random() * 2 - 1) * 0.01));
    return [{ name: 'noise-1pct', input: { kind: 'tensor', values } }];
  }
  return Object.entries(TEXT_PERTURBATIONS).map(([name, perturb]) => {
    if (input.kind === 'text') return { name, input: { kind: 'text', text: perturb(input.text, random) } };
    const messages = input.messages.map((message, index) =>
      index === input.messages.length - 1 ? { ...message, content: perturb(message.content, random) } : message,
    );
    return { name, input: { kind: 'chat', messages } };
  });
}
