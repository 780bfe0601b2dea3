/**
 * Hostile-but-legal inputs generated per input kind. Each family is named so the report can say which kind of input
 * broke the model. Text families follow the usual suspects of tokenizer and API bugs; tensor families cover values
 * float32 cannot hold, NaN and wrong row widths.
 */
import type { RunInput } from '../runners/types.js';

export interface EdgeCase {
  family: string;
  input: RunInput;
}

/** Characters that break naive handling: NUL, bell, escape sequences, backspace, a BOM, a right-to-left override. */
const CONTROL = 'before\u0000after \u0007bell \u001b[31mred\u001b[0m \b\b back \ufeffbom \u202eoverride\u202c end';

const TEXT_FAMILIES: Record<string, (longLength: number) => string> = {
  empty: () => '',
  'whitespace-only': () => ' \t\n  \r\n ',
  'very-long': (length) => 'lorem ipsum dolor sit amet '.repeat(Math.ceil(length / 27)).slice(0, length),
  'unicode-emoji': () => 'Is this fine? 🔥🐶☕ 👩🏽‍💻 🏳️‍🌈 family: 👨‍👩‍👧‍👦',
  'unicode-rtl': () => 'مرحبا بالعالم — שלום עולם — mixed עברית and English',
  'unicode-combining': () => 'Z̴̢̛a̸̡͠l̷̨̛g̵̢̛o̶̡͝ te\u0301xt a\u0300\u0301\u0302\u0303\u0304 cafe\u0301',
  'control-characters': () => CONTROL,
};

/** Text edge cases; `longLength` characters for the very-long case (set it above the model's context limit). */
export function textEdgeCases(kind: 'text' | 'chat', longLength: number): EdgeCase[] {
  return Object.entries(TEXT_FAMILIES).map(([family, make]) => {
    const text = make(longLength);
    const input: RunInput =
      kind === 'text' ? { kind: 'text', text } : { kind: 'chat', messages: [{ role: 'user', content: text }] };
    return { family, input };
  });
}

/** Tensor edge cases built from a real row so only one thing is odd at a time. */
export function tensorEdgeCases(row: readonly number[]): EdgeCase[] {
  const every = (value: number) => row.map(() => value);
  const first = (value: number) => [value, ...row.slice(1)];
  const cases: [string, number[]][] = [
    ['empty-row', []],
    ['zeros', every(0)],
    ['nan', first(Number.NaN)],
    ['all-nan', every(Number.NaN)],
    ['positive-infinity', first(Number.POSITIVE_INFINITY)],
    ['negative-infinity', first(Number.NEGATIVE_INFINITY)],
    ['float32-max', every(3.4028234663852886e38)],
    ['float32-lowest', every(-3.4028234663852886e38)],
    ['beyond-float32', first(1e39)],
    ['subnormal', every(1e-45)],
    ['missing-column', row.slice(0, -1)],
    ['extra-column', [...row, 0]],
  ];
  return cases.map(([family, values]) => ({ family, input: { kind: 'tensor', values } }));
}
