/**
 * Shared machinery of the fuzz suite (test/fuzz/*.fuzz.test.ts).
 *
 * Runs are deterministic: every property uses the fixed seed below unless the environment overrides it.
 *
 *   FUZZ_SEED=<integer>     another seed (fast-check prints the seed and path of any failure to replay it)
 *   FUZZ_RUNS=<integer>     runs per property instead of the defaults (a few hundred each), e.g. 20000
 *   FUZZ_TIMEOUT_MS=<ms>    per-input budget of an asynchronous parser run before it counts as a hang (5000)
 *   FUZZ_HANG_MS=<ms>       per-input budget of a synchronous run before the watchdog kills the process (20000)
 *
 *   FUZZ_SEED=$RANDOM FUZZ_RUNS=20000 npx vitest run test/fuzz
 *
 * Every input runs inside `fuzzSync` / `fuzzAsync`: a failure (exception, hang, memory blow-up, insane fact)
 * is rethrown with the exact input bytes in hex, so the counterexample fast-check shrinks to can be pasted
 * into test/fuzz/regressions.test.ts. A synchronous infinite loop cannot be interrupted from its own thread:
 * a watchdog thread prints the input being processed to standard error and kills the test process.
 */
import { writeSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import fc from 'fast-check';
import { afterAll } from 'vitest';

// ---- configuration ------------------------------------------------------------------------------------

const envNumber = (name: string): number | undefined => {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return undefined;
  const value = Number(raw);
  if (!Number.isSafeInteger(value)) throw new Error(`${name} must be an integer, got ${JSON.stringify(raw)}`);
  return value;
};

export const FUZZ_SEED = envNumber('FUZZ_SEED') ?? 0x5eed_a55a;
const FUZZ_RUNS = envNumber('FUZZ_RUNS');
const FUZZ_TIMEOUT_MS = envNumber('FUZZ_TIMEOUT_MS') ?? 5_000;
const FUZZ_HANG_MS = envNumber('FUZZ_HANG_MS') ?? 20_000;
/** Resident memory above which a run counts as an unbounded allocation. */
const RSS_LIMIT = 1.5 * 2 ** 30;

/** fast-check parameters: the fixed (or given) seed and the run count. */
export function fuzzParams(defaultRuns: number): { seed: number; numRuns: number } {
  return { seed: FUZZ_SEED, numRuns: FUZZ_RUNS ?? defaultRuns };
}

/** A vitest timeout for a property: generous by default, scaled when FUZZ_RUNS asks for long runs. */
export function fuzzTimeout(defaultRuns: number, msPerRun = 20): number {
  return Math.max(60_000, (FUZZ_RUNS ?? defaultRuns) * msPerRun * 4);
}

// ---- reporting ----------------------------------------------------------------------------------------

export function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

export function fromHex(text: string): Uint8Array {
  return new Uint8Array(Buffer.from(text.replace(/\s+/g, ''), 'hex'));
}

function describeInput(bytes: Uint8Array): string {
  return `input (${bytes.length} bytes, hex): ${hex(bytes)}`;
}

/** What a failed run throws: the cause's stack, then the input that caused it. */
export class FuzzFailure extends Error {
  constructor(label: string, problem: string, bytes: Uint8Array) {
    super(`${label}: ${problem}\n${describeInput(bytes)}\nreplay: FUZZ_SEED=${FUZZ_SEED} (fast-check prints the path)`);
    this.name = 'FuzzFailure';
  }
}

const stackOf = (error: unknown) =>
  error instanceof Error ? (error.stack ?? error.message) : `non-Error thrown: ${String(error)}`;

// ---- watchdog -----------------------------------------------------------------------------------------

const INPUT_CAPACITY = 1 << 20;
const LABEL_CAPACITY = 256;
/** [0] generation of the armed run (0 = idle), [1] input length, [2] label length. */
const state = new Int32Array(new SharedArrayBuffer(12));
const inputShared = new Uint8Array(new SharedArrayBuffer(INPUT_CAPACITY));
const labelShared = new Uint8Array(new SharedArrayBuffer(LABEL_CAPACITY));
let generation = 0;
let watchdog: Worker | undefined;

const WATCHDOG_SOURCE = `
const { workerData } = require('node:worker_threads');
const { writeSync } = require('node:fs');
const { state, input, label, limitMs, seed } = workerData;
const words = new Int32Array(state);
let seen = 0;
let since = Date.now();
setInterval(() => {
  const current = Atomics.load(words, 0);
  if (current === 0 || current !== seen) { seen = current; since = Date.now(); return; }
  if (Date.now() - since < limitMs) return;
  const length = words[1];
  const kept = Math.min(length, input.byteLength);
  const name = Buffer.from(new Uint8Array(label, 0, words[2])).toString('utf8');
  const bytes = Buffer.from(new Uint8Array(input, 0, kept)).toString('hex');
  writeSync(2, '\\nFUZZ WATCHDOG: ' + name + ': no progress for ' + limitMs + ' ms (synchronous hang); killing the test process.\\n' +
    'input (' + length + ' bytes' + (kept < length ? ', first ' + kept + ' shown' : '') + ', hex): ' + bytes + '\\nreplay: FUZZ_SEED=' + seed + '\\n');
  process.kill(process.pid, 'SIGKILL');
}, 250);
`;

function arm(label: string, bytes: Uint8Array): void {
  if (watchdog === undefined) {
    watchdog = new Worker(WATCHDOG_SOURCE, {
      eval: true,
      workerData: {
        state: state.buffer,
        input: inputShared.buffer,
        label: labelShared.buffer,
        limitMs: FUZZ_HANG_MS,
        seed: FUZZ_SEED,
      },
    });
    watchdog.unref();
  }
  const kept = Math.min(bytes.length, INPUT_CAPACITY);
  inputShared.set(bytes.subarray(0, kept));
  const name = Buffer.from(label, 'utf8').subarray(0, LABEL_CAPACITY);
  labelShared.set(name);
  state[1] = bytes.length;
  state[2] = name.length;
  generation = (generation % 0x7ffffffe) + 1;
  Atomics.store(state, 0, generation);
}

function disarm(): void {
  Atomics.store(state, 0, 0);
}

afterAll(async () => {
  disarm();
  await watchdog?.terminate();
  watchdog = undefined;
});

// ---- guarded runs -------------------------------------------------------------------------------------

function checkMemory(label: string, bytes: Uint8Array): void {
  const rss = process.memoryUsage.rss();
  if (rss > RSS_LIMIT) {
    throw new FuzzFailure(
      label,
      `resident memory reached ${Math.round(rss / 2 ** 20)} MiB: unbounded allocation`,
      bytes,
    );
  }
}

/** Runs a synchronous parser on one input: any exception becomes a FuzzFailure naming the input. */
export function fuzzSync<T>(label: string, bytes: Uint8Array, body: () => T): T {
  arm(label, bytes);
  try {
    return body();
  } catch (error) {
    if (error instanceof FuzzFailure) throw error;
    throw new FuzzFailure(label, `threw ${stackOf(error)}`, bytes);
  } finally {
    disarm();
    checkMemory(label, bytes);
  }
}

const unhandled: unknown[] = [];
process.on('unhandledRejection', (reason) => {
  unhandled.push(reason);
});
// Observes (without handling) exceptions nobody caught, e.g. an 'error' event without a listener.
process.on('uncaughtExceptionMonitor', (error) => {
  unhandled.push(error);
});

/**
 * Runs an asynchronous parser on one input: a rejection or exception becomes a FuzzFailure naming the input,
 * and so does a promise still pending after FUZZ_TIMEOUT_MS (a hang), or an unhandled rejection it caused.
 */
export async function fuzzAsync<T>(label: string, bytes: Uint8Array, body: () => Promise<T>): Promise<T> {
  arm(label, bytes);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const failure = new FuzzFailure(label, `still pending after ${FUZZ_TIMEOUT_MS} ms: the parser hangs`, bytes);
      // Shrinking a hang costs the timeout per attempt and may outlast the test: say it now.
      note(`\nFUZZ HANG: ${failure.message}`);
      reject(failure);
    }, FUZZ_TIMEOUT_MS);
  });
  unhandled.length = 0;
  try {
    const result = await Promise.race([body(), timeout]);
    // Let rejections of abandoned promises surface before judging the run.
    await new Promise((resolve) => setImmediate(resolve));
    if (unhandled.length > 0)
      throw new FuzzFailure(label, `unhandled rejection or exception: ${stackOf(unhandled[0])}`, bytes);
    return result;
  } catch (error) {
    if (error instanceof FuzzFailure) throw error;
    throw new FuzzFailure(label, `threw ${stackOf(error)}`, bytes);
  } finally {
    clearTimeout(timer);
    disarm();
    checkMemory(label, bytes);
  }
}

/** A property-level assertion that names the input when it fails. */
export function expectThat(condition: unknown, label: string, problem: string, bytes: Uint8Array): asserts condition {
  if (!condition) throw new FuzzFailure(label, problem, bytes);
}

/** Prints a line to standard error (progress of long local runs); vitest does not buffer it. */
export function note(text: string): void {
  writeSync(2, `${text}\n`);
}

// ---- chunking -----------------------------------------------------------------------------------------

/** Chunk sizes cycled over an input: from one byte to whole, biased towards small. */
export const chunkSizes = fc.oneof(
  { weight: 1, arbitrary: fc.constant([Number.MAX_SAFE_INTEGER]) },
  { weight: 4, arbitrary: fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 8 }) },
  { weight: 1, arbitrary: fc.array(fc.integer({ min: 1, max: 4096 }), { minLength: 1, maxLength: 4 }) },
);

export function split(bytes: Uint8Array, sizes: readonly number[]): Uint8Array[] {
  const chunks: Uint8Array[] = [];
  for (let at = 0, i = 0; at < bytes.length; i++) {
    const size = sizes[i % sizes.length];
    chunks.push(bytes.subarray(at, Math.min(bytes.length, at + size)));
    at += size;
  }
  return chunks;
}

export async function* chunked(bytes: Uint8Array, sizes: readonly number[] = [4096]): AsyncGenerator<Uint8Array> {
  for (const chunk of split(bytes, sizes)) yield chunk;
}

// ---- mutations ----------------------------------------------------------------------------------------

/** Values that break length and offset arithmetic. */
export const INTERESTING = [
  0n,
  1n,
  0x7fn,
  0x80n,
  0xffn,
  0x100n,
  0x7fffn,
  0x8000n,
  0xffffn,
  0x10000n,
  0x7fffffffn,
  0x80000000n,
  0xfffffffen,
  0xffffffffn,
  0x1_0000_0000n,
  2n ** 53n - 1n,
  2n ** 53n,
  2n ** 63n - 1n,
  2n ** 63n,
  2n ** 64n - 1n,
];

/** Text that means something to text-based headers (tar numbers, pax records, npy dict literals). */
const INTERESTING_TEXT = [
  '77777777777',
  '777777777777777777777',
  '99999999',
  '-1',
  ' ',
  '\0',
  '\n',
  'ustar\0',
  'ustar  \0',
  '18446744073709551616',
  '9007199254740993',
  '30 path=../../../etc/passwd\n',
  '99999999 size=99999999999999999999\n',
  '0 a=b\n',
  "'descr': '|O', ",
  "'shape': (-1,), ",
  "'shape': (99999999999999999, 99999999999999999), ",
  '((((((((((((((((((((((((((((((((((((((((',
  '[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[',
  "{'a':{'a':{'a':{'a':{'a':{'a':{'a':{'a':",
  "'\\U0010ffff\\x00\\u0000\\",
  'True',
  'None',
  '__import__("os")',
  'gASVAAAAAAAAAACMAm9zlIwGc3lzdGVtlJOUjAJpZJSFlFKULg==',
  '80049500',
];

export type Mutation =
  | { op: 'flip'; at: number; anchored: boolean; bit: number }
  | { op: 'byte'; at: number; anchored: boolean; value: number }
  | { op: 'insert'; at: number; anchored: boolean; bytes: Uint8Array }
  | { op: 'delete'; at: number; anchored: boolean; length: number }
  | { op: 'truncate'; at: number; anchored: boolean }
  | { op: 'int'; at: number; anchored: boolean; width: 1 | 2 | 4 | 8; value: bigint; bigEndian: boolean }
  | { op: 'text'; at: number; anchored: boolean; text: string }
  | { op: 'splice'; at: number; anchored: boolean; other: number; from: number; length: number }
  | { op: 'repeat'; at: number; anchored: boolean; length: number; times: number };

const position = { at: fc.nat({ max: 1 << 16 }), anchored: fc.boolean() };

export const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ op: fc.constant('flip' as const), ...position, bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ op: fc.constant('byte' as const), ...position, value: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ op: fc.constant('insert' as const), ...position, bytes: fc.uint8Array({ minLength: 1, maxLength: 16 }) }),
  fc.record({ op: fc.constant('delete' as const), ...position, length: fc.integer({ min: 1, max: 32 }) }),
  fc.record({ op: fc.constant('truncate' as const), ...position }),
  fc.record({
    op: fc.constant('int' as const),
    ...position,
    width: fc.constantFrom(1 as const, 2 as const, 4 as const, 8 as const),
    value: fc.oneof(fc.constantFrom(...INTERESTING), fc.bigInt({ min: 0n, max: 2n ** 64n - 1n })),
    bigEndian: fc.boolean(),
  }),
  fc.record({
    op: fc.constant('text' as const),
    ...position,
    text: fc.oneof(fc.constantFrom(...INTERESTING_TEXT), fc.string({ maxLength: 12 })),
  }),
  fc.record({
    op: fc.constant('splice' as const),
    ...position,
    other: fc.nat(),
    from: fc.nat({ max: 1 << 16 }),
    length: fc.integer({ min: 1, max: 256 }),
  }),
  fc.record({
    op: fc.constant('repeat' as const),
    ...position,
    length: fc.integer({ min: 1, max: 64 }),
    times: fc.integer({ min: 1, max: 16 }),
  }),
);

/** Positions worth aiming at in a given input (length fields, headers); empty to aim at random. */
export type Anchors = (bytes: Uint8Array) => number[];

function concat(...parts: Uint8Array[]): Uint8Array {
  return new Uint8Array(Buffer.concat(parts));
}

export function applyMutation(
  input: Uint8Array,
  m: Mutation,
  seeds: readonly Uint8Array[],
  anchors?: Anchors,
): Uint8Array {
  const targets = m.anchored && anchors ? anchors(input) : [];
  const at = targets.length > 0 ? Math.min(input.length, targets[m.at % targets.length]) : m.at % (input.length + 1);
  switch (m.op) {
    case 'flip': {
      if (at >= input.length) return input;
      const out = input.slice();
      out[at] ^= 1 << m.bit;
      return out;
    }
    case 'byte': {
      if (at >= input.length) return input;
      const out = input.slice();
      out[at] = m.value;
      return out;
    }
    case 'insert':
      return concat(input.subarray(0, at), m.bytes, input.subarray(at));
    case 'delete':
      return concat(input.subarray(0, at), input.subarray(at + m.length));
    case 'truncate':
      return input.slice(0, at);
    case 'int': {
      const out = input.slice();
      for (let i = 0; i < m.width && at + i < out.length; i++) {
        const shift = BigInt(8 * (m.bigEndian ? m.width - 1 - i : i));
        out[at + i] = Number((m.value >> shift) & 0xffn);
      }
      return out;
    }
    case 'text': {
      const text = Buffer.from(m.text, 'utf8');
      const out = input.slice();
      out.set(text.subarray(0, Math.max(0, out.length - at)), at);
      return out;
    }
    case 'splice': {
      const other = seeds.length > 0 ? seeds[m.other % seeds.length] : input;
      const from = m.from % (other.length + 1);
      return concat(input.subarray(0, at), other.subarray(from, from + m.length), input.subarray(at));
    }
    case 'repeat': {
      const block = input.subarray(at, at + m.length);
      return concat(
        input.subarray(0, at),
        ...Array.from({ length: m.times + 1 }, () => block),
        input.subarray(at + block.length),
      );
    }
  }
}

export interface MutatedOptions {
  anchors?: Anchors;
  maxMutations?: number;
  /** Applied after the mutations (e.g. recomputing tar checksums so headers stay plausible). */
  repair?: fc.Arbitrary<(bytes: Uint8Array) => Uint8Array>;
}

/** A seed with one to `maxMutations` mutations applied; shrinks towards fewer, simpler mutations. */
export function mutated(seeds: readonly Uint8Array[], options: MutatedOptions = {}): fc.Arbitrary<Uint8Array> {
  const identity = (bytes: Uint8Array) => bytes;
  return fc
    .tuple(
      fc.nat({ max: seeds.length - 1 }),
      fc.array(mutation, { minLength: 1, maxLength: options.maxMutations ?? 6 }),
      options.repair ?? fc.constant(identity),
    )
    .map(([index, mutations, repair]) =>
      repair(mutations.reduce((bytes, m) => applyMutation(bytes, m, seeds, options.anchors), seeds[index])),
    );
}

/** Mutated seeds (mostly), pure random bytes, and random bytes behind a given magic, in one arbitrary. */
export function hostileBytes(
  seeds: readonly Uint8Array[],
  options: MutatedOptions & { magics?: readonly number[][] } = {},
) {
  const arbitraries: fc.WeightedArbitrary<Uint8Array>[] = [
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 2048 }) },
    { weight: 5, arbitrary: mutated(seeds, options) },
  ];
  if (options.magics && options.magics.length > 0) {
    const magic = fc
      .tuple(fc.constantFrom(...options.magics), fc.uint8Array({ maxLength: 1024 }))
      .map(([prefix, rest]) => concat(Uint8Array.from(prefix), rest));
    arbitraries.push({ weight: 1, arbitrary: magic });
  }
  return fc.oneof(...arbitraries);
}
