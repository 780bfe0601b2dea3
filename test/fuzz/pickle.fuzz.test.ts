/**
 * Fuzz / property tests of the pickle walker and of format sniffing: random bytes, mutated valid pickles and
 * random sequences of valid opcodes, pushed in chunks of random sizes. The walker must never throw, must
 * report facts that fit in a report (sane offsets, JSON), and must stop at its hard limits with a fact.
 *
 * Deterministic by default. Longer or different runs (see test/fuzz/support.ts):
 *   FUZZ_SEED=123 FUZZ_RUNS=20000 npx vitest run test/fuzz/pickle.fuzz.test.ts
 */
import fc from 'fast-check';
import { describe, it } from 'vitest';
import type { Fact } from '../../src/formats/facts.js';
import { OP } from '../../src/formats/pickle/opcodes.js';
import { DEFAULT_PICKLE_LIMITS, type PickleLimits, PickleWalker } from '../../src/formats/pickle/walker.js';
import { looksLikeProtocol0Pickle, SNIFF_BYTES, sniffFormat } from '../../src/formats/sniff.js';
import { factProblems, isFormatName } from './invariants.js';
import { compressionSeeds, npySeeds, pickleSeeds, tarSeeds, zipSeeds } from './seeds.js';
import {
  chunkSizes,
  expectThat,
  FuzzFailure,
  fuzzParams,
  fuzzSync,
  fuzzTimeout,
  hostileBytes,
  INTERESTING,
  mutated,
  split,
} from './support.js';

const SEEDS = pickleSeeds();

/** Limits small enough for fuzzed inputs to reach every one of them. */
const SMALL_LIMITS: PickleLimits = {
  maxOpcodes: 300,
  maxStack: 40,
  maxMemo: 24,
  maxLine: 48,
  maxInline: 96,
  maxStreams: 4,
  searchAfterJunk: true,
};

/** Positions right after an opcode with a length, index or size argument. */
const ARGUMENT_OPCODES: ReadonlySet<number> = new Set([
  OP.SHORT_BINSTRING,
  OP.BINSTRING,
  OP.SHORT_BINUNICODE,
  OP.BINUNICODE,
  OP.BINUNICODE8,
  OP.SHORT_BINBYTES,
  OP.BINBYTES,
  OP.BINBYTES8,
  OP.BYTEARRAY8,
  OP.LONG1,
  OP.LONG4,
  OP.FRAME,
  OP.PROTO,
  OP.BINGET,
  OP.LONG_BINGET,
  OP.BINPUT,
  OP.LONG_BINPUT,
  OP.EXT1,
  OP.EXT2,
  OP.EXT4,
]);
const pickleAnchors = (bytes: Uint8Array) => {
  const anchors: number[] = [];
  for (let i = 0; i < bytes.length; i++) if (ARGUMENT_OPCODES.has(bytes[i])) anchors.push(i + 1);
  return anchors;
};

// ---- random opcode sequences --------------------------------------------------------------------------

const le = (value: bigint, width: number) =>
  Array.from({ length: width }, (_, i) => Number((value >> BigInt(8 * i)) & 0xffn));
const NAMES = [
  'os',
  'system',
  'builtins',
  'eval',
  '__builtin__',
  'getattr',
  'torch._utils',
  '_rebuild_tensor_v2',
  'copy_reg',
  '_reconstructor',
  'posix',
  'a.b.c',
  '',
  // Keys every JavaScript object inherits: lookups in plain-object tables must not find them.
  '__proto__',
  'constructor',
  'valueOf',
];
const name = fc.oneof(fc.constantFrom(...NAMES), fc.string({ maxLength: 12 }));
const textLine = fc.oneof(
  fc.constantFrom(
    '0',
    '1',
    '00',
    '01',
    '-7',
    '42L',
    '1.5',
    'inf',
    'nan',
    "'quoted'",
    '"q\\x41\\n"',
    'x',
    '',
    '99999999999999999999',
  ),
  fc.string({ maxLength: 16 }),
);
const noArgument = fc
  .constantFrom(
    OP.MARK,
    OP.STOP,
    OP.POP,
    OP.POP_MARK,
    OP.DUP,
    OP.NONE,
    OP.NEWTRUE,
    OP.NEWFALSE,
    OP.EMPTY_LIST,
    OP.EMPTY_DICT,
    OP.EMPTY_SET,
    OP.EMPTY_TUPLE,
    OP.REDUCE,
    OP.BUILD,
    OP.NEWOBJ,
    OP.NEWOBJ_EX,
    OP.OBJ,
    OP.APPEND,
    OP.APPENDS,
    OP.SETITEM,
    OP.SETITEMS,
    OP.ADDITEMS,
    OP.LIST,
    OP.DICT,
    OP.FROZENSET,
    OP.TUPLE,
    OP.TUPLE1,
    OP.TUPLE2,
    OP.TUPLE3,
    OP.STACK_GLOBAL,
    OP.MEMOIZE,
    OP.BINPERSID,
    OP.NEXT_BUFFER,
    OP.READONLY_BUFFER,
  )
  .map((op) => [op]);
const fixedArgument = fc
  .tuple(
    fc.constantFrom<[number, number]>(
      [OP.BININT1, 1],
      [OP.BININT2, 2],
      [OP.BININT, 4],
      [OP.BINFLOAT, 8],
      [OP.PROTO, 1],
      [OP.BINGET, 1],
      [OP.LONG_BINGET, 4],
      [OP.BINPUT, 1],
      [OP.LONG_BINPUT, 4],
      [OP.EXT1, 1],
      [OP.EXT2, 2],
      [OP.EXT4, 4],
    ),
    fc.oneof(fc.bigInt({ min: 0n, max: 0xffn }), fc.constantFrom(...INTERESTING)),
  )
  .map(([[op, width], value]) => [op, ...le(value, width)]);
const sizedArgument = fc
  .tuple(
    fc.constantFrom<[number, number]>(
      [OP.SHORT_BINSTRING, 1],
      [OP.SHORT_BINUNICODE, 1],
      [OP.SHORT_BINBYTES, 1],
      [OP.LONG1, 1],
      [OP.BINSTRING, 4],
      [OP.BINUNICODE, 4],
      [OP.BINBYTES, 4],
      [OP.LONG4, 4],
      [OP.BINUNICODE8, 8],
      [OP.BINBYTES8, 8],
      [OP.BYTEARRAY8, 8],
    ),
    fc.oneof(
      name.map((text) => [...Buffer.from(text, 'utf8')]),
      fc.uint8Array({ maxLength: 40 }).map((bytes) => [...bytes]),
      fc.constantFrom(
        [0x80, 0x04, 0x63, 0x6f, 0x73, 0x0a, 0x73, 0x79, 0x73, 0x74, 0x65, 0x6d, 0x0a, 0x2e], // an embedded pickle
        [...Buffer.from('gASVAAAAAAAAAACMAm9zlIwGc3lzdGVtlJOUjAJpZJSFlFKULg==')],
        [...Buffer.from('80049500000000000000008c026f73948c0673797374656d9493942e')],
      ),
    ),
    fc.option(fc.constantFrom(...INTERESTING), { freq: 5 }),
  )
  .map(([[op, width], data, declared]) => [op, ...le(declared ?? BigInt(data.length), width), ...data]);
const frame = fc
  .oneof(fc.bigInt({ min: 0n, max: 64n }), fc.constantFrom(...INTERESTING))
  .map((length) => [OP.FRAME, ...le(length, 8)]);
const textArgument = fc
  .tuple(
    fc.constantFrom(OP.INT, OP.LONG, OP.FLOAT, OP.STRING, OP.UNICODE, OP.GET, OP.PUT, OP.PERSID),
    textLine,
    fc.boolean(),
  )
  .map(([op, text, newline]) => [op, ...Buffer.from(text, 'latin1'), ...(newline ? [0x0a] : [])]);
const globalArgument = fc
  .tuple(
    fc.constantFrom(OP.GLOBAL, OP.INST),
    name,
    name,
    fc.option(fc.uint8Array({ minLength: 1, maxLength: 3 }), { freq: 6 }),
  )
  .map(([op, module, global, junk]) => [
    op,
    ...Buffer.from(module),
    ...(junk ?? []),
    0x0a,
    ...Buffer.from(global),
    0x0a,
  ]);

const opcodeSequence = fc
  .tuple(
    fc.option(fc.integer({ min: 0, max: 6 })),
    fc.array(
      fc.oneof(
        { weight: 6, arbitrary: noArgument },
        { weight: 3, arbitrary: fixedArgument },
        { weight: 3, arbitrary: sizedArgument },
        { weight: 1, arbitrary: frame },
        { weight: 2, arbitrary: textArgument },
        { weight: 2, arbitrary: globalArgument },
      ),
      { maxLength: 80 },
    ),
    fc.boolean(),
  )
  .map(([protocol, ops, stop]) =>
    Uint8Array.from([...(protocol === null ? [] : [OP.PROTO, protocol]), ...ops.flat(), ...(stop ? [OP.STOP] : [])]),
  );

// ---- running the walker -------------------------------------------------------------------------------

function walk(bytes: Uint8Array, sizes: readonly number[], limits: PickleLimits): Fact[] {
  const facts: Fact[] = [];
  const walker = new PickleWalker(
    {
      fact: (fact) => facts.push(fact),
      string: (text, offset) => {
        if (typeof text !== 'string' || !Number.isSafeInteger(offset))
          throw new Error(`bad string callback (${offset})`);
      },
      embedded: (embedded, offset) => {
        if (!(embedded instanceof Uint8Array) || !Number.isSafeInteger(offset))
          throw new Error(`bad embedded callback (${offset})`);
      },
    },
    limits,
  );
  for (const chunk of split(bytes, sizes)) walker.push(chunk);
  walker.end();
  return facts;
}

/** Walks one input and checks every invariant; returns the facts. */
function checkedWalk(label: string, bytes: Uint8Array, sizes: readonly number[], limits: PickleLimits): Fact[] {
  const facts = fuzzSync(label, bytes, () => walk(bytes, sizes, limits));
  const problems = factProblems(facts, bytes.length);
  expectThat(
    problems.length === 0,
    label,
    `chunks ${JSON.stringify(sizes)}: ${problems.slice(0, 5).join('\n')}`,
    bytes,
  );
  for (const stats of facts) {
    if (stats.kind !== 'pickle-stats') continue;
    expectThat(stats.opcodes <= limits.maxOpcodes, label, `stats count ${stats.opcodes} opcodes past the limit`, bytes);
    expectThat(
      stats.maxStack <= limits.maxStack,
      label,
      `stats show a stack of ${stats.maxStack} past the limit`,
      bytes,
    );
  }
  const streams = new Set(facts.flatMap((fact) => (fact.kind === 'pickle-stats' ? [fact.stream] : [])));
  expectThat(streams.size <= limits.maxStreams, label, `${streams.size} streams analysed past the limit`, bytes);
  return facts;
}

const RUNS = 1000;
const limitsArbitrary = fc.constantFrom(DEFAULT_PICKLE_LIMITS, SMALL_LIMITS);

/** A valid pickle followed by many copies of a short fragment: the shape that exposes super-linear rescans. */
const repeatedFragment = fc
  .tuple(
    fc.constantFrom(...SEEDS),
    fc.oneof(
      fc.uint8Array({ minLength: 1, maxLength: 6 }),
      opcodeSequence.map((bytes) => bytes.subarray(0, 12)),
      // A protocol header in the junk after a pickle starts a candidate stream; opcodes that only push keep it alive.
      fc
        .tuple(
          fc.integer({ min: 2, max: 5 }),
          fc.array(
            fc.constantFrom(
              [OP.NONE],
              [OP.NEWTRUE],
              [OP.EMPTY_LIST],
              [OP.MARK],
              [OP.BININT1, 7],
              [OP.BINGET, 3],
              [OP.NEXT_BUFFER],
              [OP.SHORT_BINUNICODE, 1, 0x41],
            ),
            { maxLength: 4 },
          ),
        )
        .map(([protocol, rest]) => Uint8Array.from([OP.PROTO, protocol, ...rest.flat()])),
    ),
    fc.integer({ min: 1, max: 3000 }),
    fc.oneof(fc.uint8Array({ maxLength: 2 }), fc.constant(Uint8Array.of(0xff))),
  )
  .map(([seed, fragment, times, tail]) => {
    const out = new Uint8Array(seed.length + fragment.length * times + tail.length);
    out.set(seed);
    for (let i = 0; i < times; i++) out.set(fragment, seed.length + i * fragment.length);
    out.set(tail, out.length - tail.length);
    return out;
  });

describe('PickleWalker under fuzzing', () => {
  it('never throws on random bytes, and reports sane facts', { timeout: fuzzTimeout(RUNS) }, () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 4096 }), chunkSizes, limitsArbitrary, (bytes, sizes, limits) => {
        checkedWalk('random bytes', bytes, sizes, limits);
      }),
      fuzzParams(RUNS),
    );
  });

  it('never throws on random bytes behind a protocol header', { timeout: fuzzTimeout(RUNS) }, () => {
    const input = fc
      .tuple(fc.integer({ min: 0, max: 7 }), fc.uint8Array({ maxLength: 2048 }))
      .map(([protocol, rest]) => Uint8Array.from([OP.PROTO, protocol, ...rest]));
    fc.assert(
      fc.property(input, chunkSizes, limitsArbitrary, (bytes, sizes, limits) => {
        checkedWalk('protocol header + random bytes', bytes, sizes, limits);
      }),
      fuzzParams(RUNS),
    );
  });

  it('never throws on mutated valid pickles (flips, insertions, huge lengths, splices)', {
    timeout: fuzzTimeout(RUNS * 2),
  }, () => {
    fc.assert(
      fc.property(
        mutated(SEEDS, { anchors: pickleAnchors, maxMutations: 8 }),
        chunkSizes,
        limitsArbitrary,
        (bytes, sizes, limits) => {
          checkedWalk('mutated pickle', bytes, sizes, limits);
        },
      ),
      fuzzParams(RUNS * 2),
    );
  });

  it('never throws on random sequences of valid opcodes with plausible and absurd arguments', {
    timeout: fuzzTimeout(RUNS * 2),
  }, () => {
    fc.assert(
      fc.property(opcodeSequence, chunkSizes, limitsArbitrary, (bytes, sizes, limits) => {
        checkedWalk('opcode sequence', bytes, sizes, limits);
      }),
      fuzzParams(RUNS * 2),
    );
  });

  it('reports the same facts whatever the chunk boundaries', { timeout: fuzzTimeout(RUNS) }, () => {
    // `value` of a limit fact counts the bytes buffered when it tripped, which chunking may change; the two
    // readings (sequential, frame-skipping) interleave their facts differently, which the report sorts anyway.
    const normalise = (facts: Fact[]) =>
      facts
        .map((fact) => JSON.stringify(fact.kind === 'limit-reached' ? { ...fact, value: 0 } : fact))
        .sort()
        .join('\n');
    const input = fc.oneof(mutated(SEEDS, { anchors: pickleAnchors }), opcodeSequence, fc.constantFrom(...SEEDS));
    fc.assert(
      fc.property(input, chunkSizes, limitsArbitrary, (bytes, sizes, limits) => {
        const whole = normalise(checkedWalk('chunking (whole)', bytes, [Number.MAX_SAFE_INTEGER], limits));
        const pieces = normalise(checkedWalk('chunking (pieces)', bytes, sizes, limits));
        if (whole !== pieces) {
          const a = whole.split('\n');
          const b = pieces.split('\n');
          const onlyWhole = a.filter((line) => !b.includes(line));
          const onlyPieces = b.filter((line) => !a.includes(line));
          throw new FuzzFailure(
            'chunking',
            `facts differ between one push and chunks ${JSON.stringify(sizes)}:\n` +
              `only in one push: ${onlyWhole.join('\n  ')}\nonly in chunks:   ${onlyPieces.join('\n  ')}`,
            bytes,
          );
        }
      }),
      fuzzParams(RUNS),
    );
  });

  it('executes at most one opcode per input byte in each reading, whatever the chunking', {
    timeout: fuzzTimeout(RUNS),
  }, () => {
    // Every opcode consumes at least one byte, and each reading (sequential, frame-skipping) moves forwards:
    // with the opcode limit set to the input length, reaching it means work grew faster than the input.
    const input = fc.oneof(mutated(SEEDS, { anchors: pickleAnchors }), opcodeSequence, repeatedFragment);
    fc.assert(
      fc.property(input, chunkSizes, (bytes, sizes) => {
        const limits = { ...DEFAULT_PICKLE_LIMITS, maxOpcodes: bytes.length + 2 };
        const facts = checkedWalk('opcode budget', bytes, sizes, limits);
        const tripped = facts.find((fact) => fact.kind === 'limit-reached' && fact.limit === 'opcodes');
        expectThat(
          tripped === undefined,
          'opcode budget',
          `more opcodes than input bytes (${bytes.length}) with chunks ${JSON.stringify(sizes)}: ${JSON.stringify(tripped)}`,
          bytes,
        );
      }),
      fuzzParams(RUNS),
    );
  });

  it('never throws or hangs on long repetitions of short fragments after a valid pickle', {
    timeout: fuzzTimeout(RUNS, 60),
  }, () => {
    fc.assert(
      fc.property(repeatedFragment, chunkSizes, limitsArbitrary, (bytes, sizes, limits) => {
        // The opcode budget (tested above) keeps super-linear work out of this test's running time.
        const budget = Math.min(limits.maxOpcodes, 4 * bytes.length + 16);
        checkedWalk('repeated fragment', bytes, sizes, { ...limits, maxOpcodes: budget });
      }),
      fuzzParams(Math.ceil(RUNS / 2)),
    );
  });

  it('stops at each hard limit with a limit-reached fact', { timeout: fuzzTimeout(RUNS) }, () => {
    // Inputs built to exceed one limit by a random margin; the walker must say which limit it hit.
    const overLimit = fc.oneof(
      fc.integer({ min: 1, max: 200 }).map((extra) => ({
        limit: 'opcodes',
        bytes: Uint8Array.from([
          OP.PROTO,
          4,
          ...new Array(SMALL_LIMITS.maxOpcodes + extra).fill(OP.NONE).flatMap((op, i) => (i % 2 ? [OP.POP] : [op])),
        ]),
      })),
      fc
        .tuple(fc.integer({ min: 1, max: 200 }), fc.constantFrom(OP.MARK, OP.EMPTY_LIST, OP.NONE))
        .map(([extra, op]) => ({
          limit: 'stack-depth',
          bytes: Uint8Array.from([OP.PROTO, 4, ...new Array(SMALL_LIMITS.maxStack + extra).fill(op), OP.STOP]),
        })),
      fc.integer({ min: 1, max: 100 }).map((extra) => ({
        limit: 'memo',
        bytes: Uint8Array.from([
          OP.PROTO,
          4,
          OP.NONE,
          ...new Array(SMALL_LIMITS.maxMemo + extra)
            .fill(0)
            .flatMap((_, i) => [OP.LONG_BINPUT, ...le(BigInt(i * 7919), 4)]),
          OP.STOP,
        ]),
      })),
      fc
        .tuple(fc.integer({ min: 1, max: 500 }), fc.constantFrom(OP.GLOBAL, OP.INT, OP.STRING, OP.UNICODE))
        .map(([extra, op]) => ({
          limit: 'line-length',
          bytes: Uint8Array.from([op, ...new Array(SMALL_LIMITS.maxLine + extra).fill(0x41)]),
        })),
    );
    fc.assert(
      fc.property(overLimit, chunkSizes, ({ limit, bytes }, sizes) => {
        const facts = checkedWalk(`over the ${limit} limit`, bytes, sizes, SMALL_LIMITS);
        const hit = facts.filter((fact) => fact.kind === 'limit-reached');
        expectThat(
          hit.some((fact) => fact.kind === 'limit-reached' && fact.limit === limit),
          `over the ${limit} limit`,
          `no limit-reached fact for ${limit}; got ${JSON.stringify(hit)}`,
          bytes,
        );
      }),
      fuzzParams(Math.ceil(RUNS / 2)),
    );
  });

  it('skips huge declared lengths without buffering them', { timeout: fuzzTimeout(RUNS) }, () => {
    // A length near 2^64 followed by a little data: memory must stay bounded (the guard checks RSS).
    const input = fc
      .tuple(
        fc.constantFrom(
          OP.BINBYTES8,
          OP.BINUNICODE8,
          OP.BYTEARRAY8,
          OP.BINBYTES,
          OP.BINUNICODE,
          OP.BINSTRING,
          OP.LONG4,
          OP.FRAME,
        ),
        fc.constantFrom(...INTERESTING.filter((value) => value > 0xffffn)),
        fc.uint8Array({ maxLength: 512 }),
      )
      .map(([op, length, rest]) => {
        const width = op === OP.BINBYTES8 || op === OP.BINUNICODE8 || op === OP.BYTEARRAY8 || op === OP.FRAME ? 8 : 4;
        return Uint8Array.from([OP.PROTO, 4, op, ...le(length, width), ...rest]);
      });
    fc.assert(
      fc.property(input, chunkSizes, limitsArbitrary, (bytes, sizes, limits) => {
        checkedWalk('huge declared length', bytes, sizes, limits);
      }),
      fuzzParams(Math.ceil(RUNS / 2)),
    );
  });
});

// ---- sniffing -----------------------------------------------------------------------------------------

const ALL_SEEDS = [...SEEDS, ...zipSeeds(), ...tarSeeds(), ...npySeeds(), ...Object.values(compressionSeeds()).flat()];

describe('sniffFormat and looksLikeProtocol0Pickle under fuzzing', () => {
  it('name a known format, deterministically, for any head and size', { timeout: fuzzTimeout(RUNS) }, () => {
    const size = fc.option(fc.oneof(fc.nat(), fc.constantFrom(0, 8, 9, 2 ** 32, Number.MAX_SAFE_INTEGER)));
    fc.assert(
      fc.property(hostileBytes(ALL_SEEDS), size, (bytes, declared) => {
        const head = bytes.subarray(0, SNIFF_BYTES);
        const format = fuzzSync('sniffFormat', bytes, () => sniffFormat(head, declared ?? undefined));
        expectThat(isFormatName(format), 'sniffFormat', `unknown format ${format}`, bytes);
        const again = fuzzSync('sniffFormat', bytes, () => sniffFormat(head.slice(), declared ?? undefined));
        expectThat(again === format, 'sniffFormat', `not deterministic: ${format} then ${again}`, bytes);
        fuzzSync('looksLikeProtocol0Pickle', bytes, () => looksLikeProtocol0Pickle(head));
      }),
      fuzzParams(RUNS * 2),
    );
  });

  it('never throw on protocol 0 shaped text', { timeout: fuzzTimeout(RUNS) }, () => {
    fc.assert(
      fc.property(opcodeSequence, fc.nat({ max: SNIFF_BYTES }), (bytes, cut) => {
        const head = bytes.subarray(0, cut);
        fuzzSync('looksLikeProtocol0Pickle', head, () => looksLikeProtocol0Pickle(head));
        const format = fuzzSync('sniffFormat', head, () => sniffFormat(head));
        expectThat(isFormatName(format), 'sniffFormat', `unknown format ${format}`, head);
      }),
      fuzzParams(RUNS),
    );
  });
});
