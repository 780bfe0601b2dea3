/**
 * Fuzz / property tests of the container parsers: zip listing and member reads, tar, the compression
 * wrappers, NumPy headers and 7z. Every outcome must be a result or a clean Error saying where (an offset
 * or a member), within the time budget, and reading must terminate.
 *
 * Deterministic by default. Longer or different runs (see test/fuzz/support.ts):
 *   FUZZ_SEED=123 FUZZ_RUNS=5000 npx vitest run test/fuzz/containers.fuzz.test.ts
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, it } from 'vitest';
import { type Compression, decompress, inflateRaw, sniffCompression } from '../../src/formats/compression.js';
import {
  isNpy,
  isNpyHeaderError,
  NPY_MAX_HEADER_LENGTH,
  npyPrefixLength,
  parseNpyHeader,
} from '../../src/formats/numpy.js';
import { readSevenZip } from '../../src/formats/sevenzip.js';
import { bufferSource } from '../../src/formats/source.js';
import { looksLikeTar, readTar } from '../../src/formats/tar.js';
import { listZip, openZipEntry } from '../../src/formats/zip.js';
import { SHARED_DATA } from '../helpers.js';
import { errorProblem } from './invariants.js';
import {
  compressionAnchors,
  compressionSeeds,
  fixTarChecksums,
  npyAnchors,
  npyFile,
  npySeeds,
  sevenZipSeeds,
  tarAnchors,
  tarSeeds,
  zipAnchors,
  zipSeeds,
} from './seeds.js';
import {
  chunked,
  chunkSizes,
  expectThat,
  FuzzFailure,
  fuzzAsync,
  fuzzParams,
  fuzzSync,
  fuzzTimeout,
  hostileBytes,
  INTERESTING,
} from './support.js';

const RUNS = 600;
const isCount = (value: unknown) => typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
/** Output read from one member or stream before the test stops reading (a mutated stream may expand a lot). */
const OUTPUT_CAP = 64 << 20;

/** Fails the run unless `error` is a clean Error whose message matches `pattern`. */
function expectCleanError(error: unknown, pattern: RegExp, label: string, bytes: Uint8Array): void {
  if (error instanceof FuzzFailure) throw error;
  const problem = errorProblem(error, pattern);
  if (problem !== undefined) throw new FuzzFailure(label, problem, bytes);
}

// ---- zip ----------------------------------------------------------------------------------------------

const ZIP_SEEDS = zipSeeds();

/** A read plan per member: 0 skip, 1 read all, 2 read the first chunk only. */
const readPlan = fc.array(fc.integer({ min: 0, max: 2 }), { minLength: 1, maxLength: 8 });

async function exerciseZip(bytes: Uint8Array, plan: readonly number[], maxEntries: number): Promise<void> {
  const label = 'zip';
  const source = bufferSource(bytes, 'fuzz.zip');
  let listing: Awaited<ReturnType<typeof listZip>>;
  try {
    listing = await listZip(source, { maxEntries });
  } catch (error) {
    expectCleanError(error, /offset \d+/, label, bytes);
    return;
  }
  expectThat(
    listing.entries.length <= maxEntries,
    label,
    `${listing.entries.length} entries listed past the limit`,
    bytes,
  );
  for (const entry of listing.entries) {
    const shown = JSON.stringify({ ...entry, name: entry.name.slice(0, 80) });
    expectThat(typeof entry.name === 'string', label, `entry without a name: ${shown}`, bytes);
    for (const key of [
      'compressedSize',
      'uncompressedSize',
      'localHeaderOffset',
      'dataOffset',
      'method',
      'flags',
    ] as const) {
      expectThat(isCount(entry[key]), label, `${key} is not a count: ${shown}`, bytes);
    }
    // Data past the end of the file is possible in a damaged archive, but must be reported as damage.
    const reported = listing.damage.some((damage) => damage.name === entry.name);
    expectThat(
      entry.dataOffset + entry.compressedSize <= bytes.length || reported,
      label,
      `member data runs past the end of the archive and no damage names it: ${shown}`,
      bytes,
    );
  }
  for (const damage of listing.damage) {
    expectThat(damage.detail.length > 0, label, 'damage without a detail', bytes);
    expectThat(
      damage.offset === undefined || isCount(damage.offset),
      label,
      `damage offset: ${JSON.stringify(damage)}`,
      bytes,
    );
  }
  for (const [index, entry] of listing.entries.entries()) {
    const mode = plan[index % plan.length];
    let member: ReturnType<typeof openZipEntry>;
    try {
      member = openZipEntry(source, entry);
    } catch (error) {
      expectCleanError(error, /zip member ".*"/s, label, bytes);
      continue;
    }
    if (mode === 0) continue;
    let total = 0;
    try {
      for await (const chunk of member.stream()) {
        total += chunk.length;
        if (mode === 2 || total > OUTPUT_CAP) break;
      }
    } catch (error) {
      expectCleanError(error, /zip member ".*" .*offset \d+|offset \d+/s, label, bytes);
    }
  }
}

describe('listZip and openZipEntry under fuzzing', () => {
  it('list or reject, naming an offset, any mutated archive; member reads terminate', {
    timeout: fuzzTimeout(RUNS),
  }, async () => {
    await fc.assert(
      fc.asyncProperty(
        hostileBytes(ZIP_SEEDS, { anchors: zipAnchors, maxMutations: 6, magics: [[0x50, 0x4b, 0x03, 0x04]] }),
        readPlan,
        fc.constantFrom(2, 1000),
        async (bytes, plan, maxEntries) => fuzzAsync('zip', bytes, () => exerciseZip(bytes, plan, maxEntries)),
      ),
      fuzzParams(RUNS * 2),
    );
  });

  it('survive end records (and ZIP64 records) with arbitrary counts, sizes and offsets', {
    timeout: fuzzTimeout(RUNS),
  }, async () => {
    const value = (width: number) =>
      fc
        .oneof(fc.constantFrom(...INTERESTING), fc.bigInt({ min: 0n, max: 4096n }))
        .map((v) => v & ((1n << BigInt(8 * width)) - 1n));
    const le = (v: bigint, width: number) =>
      Array.from({ length: width }, (_, i) => Number((v >> BigInt(8 * i)) & 0xffn));
    const input = fc
      .tuple(
        fc.constantFrom(...ZIP_SEEDS, new Uint8Array(0)),
        fc.tuple(value(2), value(2), value(4), value(4), fc.integer({ min: 0, max: 40 })),
        fc.option(fc.tuple(value(8), value(8), value(8), value(8))),
      )
      .map(([prefix, [entries, total, size, offset, comment], zip64]) => {
        const parts: number[] = [...prefix];
        if (zip64) {
          const recordAt = BigInt(parts.length);
          const [count, centralSize, centralOffset, locatorTarget] = zip64;
          parts.push(0x50, 0x4b, 0x06, 0x06, ...le(44n, 8), 45, 0, 45, 0, 0, 0, 0, 0, 0, 0, 0, 0);
          parts.push(...le(count, 8), ...le(count, 8), ...le(centralSize, 8), ...le(centralOffset, 8));
          parts.push(
            0x50,
            0x4b,
            0x06,
            0x07,
            0,
            0,
            0,
            0,
            ...le(locatorTarget % 2n === 0n ? recordAt : locatorTarget, 8),
            1,
            0,
            0,
            0,
          );
        }
        parts.push(
          0x50,
          0x4b,
          0x05,
          0x06,
          0,
          0,
          0,
          0,
          ...le(entries, 2),
          ...le(total, 2),
          ...le(size, 4),
          ...le(offset, 4),
        );
        parts.push(...le(BigInt(comment), 2), ...new Array(Math.max(0, comment - 3)).fill(0x41));
        return Uint8Array.from(parts);
      });
    await fc.assert(
      fc.asyncProperty(input, readPlan, async (bytes, plan) =>
        fuzzAsync('zip end records', bytes, () => exerciseZip(bytes, plan, 1000)),
      ),
      fuzzParams(RUNS),
    );
  });
});

// ---- tar ----------------------------------------------------------------------------------------------

const TAR_SEEDS = tarSeeds();
const TAR_ERROR = /^tar: .* at offset \d+$/s;

async function exerciseTar(bytes: Uint8Array, sizes: readonly number[], plan: readonly number[]): Promise<void> {
  const label = 'tar';
  let index = 0;
  let bodyBytes = 0;
  try {
    for await (const entry of readTar(chunked(bytes, sizes), { maxEntries: 64 })) {
      const shown = JSON.stringify({ ...entry, name: entry.name.slice(0, 80), body: undefined });
      expectThat(
        isCount(entry.offset) && entry.offset + 512 <= bytes.length,
        label,
        `entry offset outside the input: ${shown}`,
        bytes,
      );
      expectThat(isCount(entry.size), label, `size is not a count: ${shown}`, bytes);
      expectThat(index < 64, label, 'more entries than the limit', bytes);
      const mode = plan[index++ % plan.length];
      if (mode === 0) continue;
      for await (const piece of entry.body) {
        bodyBytes += piece.length;
        if (mode === 2) break;
      }
    }
  } catch (error) {
    expectCleanError(error, TAR_ERROR, label, bytes);
  }
  expectThat(
    bodyBytes <= bytes.length,
    label,
    `bodies yielded ${bodyBytes} bytes from a ${bytes.length}-byte archive`,
    bytes,
  );
}

describe('readTar under fuzzing', () => {
  it('reads or rejects, naming the offset, any mutated archive, whatever the chunking', {
    timeout: fuzzTimeout(RUNS),
  }, async () => {
    // Half of the mutated headers get their checksum recomputed, so that the fields behind it are reached.
    const repair = fc.constantFrom(fixTarChecksums, (bytes: Uint8Array) => bytes);
    await fc.assert(
      fc.asyncProperty(
        hostileBytes(TAR_SEEDS, { anchors: tarAnchors, repair, maxMutations: 4 }),
        chunkSizes,
        readPlan,
        async (bytes, sizes, plan) => {
          await fuzzAsync('tar', bytes, () => exerciseTar(bytes, sizes, plan));
          fuzzSync('looksLikeTar', bytes, () => looksLikeTar(bytes.subarray(0, 512)));
        },
      ),
      fuzzParams(RUNS * 2),
    );
  });
});

// ---- compression --------------------------------------------------------------------------------------

const COMPRESSION_SEEDS = compressionSeeds();
const ALL_COMPRESSED = Object.values(COMPRESSION_SEEDS).flat();
const MAGICS: Record<Compression, number[]> = {
  gzip: [0x1f, 0x8b, 0x08, 0x00],
  zlib: [0x78, 0x9c],
  bzip2: [0x42, 0x5a, 0x68, 0x39, 0x31, 0x41, 0x59, 0x26, 0x53, 0x59],
  xz: [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00, 0x00, 0x04],
  lz4: [0x04, 0x22, 0x4d, 0x18, 0x64, 0x40],
};

async function exerciseDecompress(
  kind: Compression,
  bytes: Uint8Array,
  sizes: readonly number[],
  stopAfter: number | null,
) {
  let total = 0;
  let chunks = 0;
  try {
    for await (const chunk of decompress(kind, chunked(bytes, sizes))) {
      total += chunk.length;
      if (++chunks === stopAfter || total > OUTPUT_CAP) break;
    }
  } catch (error) {
    expectCleanError(error, new RegExp(`^${kind}: `), kind, bytes);
  }
}

describe('decompress under fuzzing', () => {
  for (const kind of Object.keys(COMPRESSION_SEEDS) as Compression[]) {
    it(`${kind}: decodes or rejects naming the format, on mutated streams and random bytes; abandoning stops it`, {
      timeout: fuzzTimeout(RUNS),
    }, async () => {
      const input = fc.oneof(
        hostileBytes(COMPRESSION_SEEDS[kind], { anchors: compressionAnchors, magics: [MAGICS[kind]] }),
        fc.constantFrom(...ALL_COMPRESSED, new Uint8Array(0)),
      );
      await fc.assert(
        fc.asyncProperty(
          input,
          chunkSizes,
          fc.option(fc.integer({ min: 1, max: 3 }), { freq: 3 }),
          async (bytes, sizes, stopAfter) => {
            await fuzzAsync(kind, bytes, () => exerciseDecompress(kind, bytes, sizes, stopAfter));
            fuzzSync('sniffCompression', bytes, () => sniffCompression(bytes.subarray(0, 16)));
          },
        ),
        fuzzParams(Math.ceil(RUNS / 2)),
      );
    });
  }

  it('inflateRaw (zip deflate members) rejects naming the member', { timeout: fuzzTimeout(RUNS) }, async () => {
    await fc.assert(
      fc.asyncProperty(
        hostileBytes([...COMPRESSION_SEEDS.zlib.map((z) => z.subarray(2))]),
        chunkSizes,
        async (bytes, sizes) => {
          await fuzzAsync('inflateRaw', bytes, async () => {
            try {
              for await (const _ of inflateRaw(chunked(bytes, sizes), 'zip member "m.pkl"'));
            } catch (error) {
              expectCleanError(error, /^zip member "m\.pkl": /, 'inflateRaw', bytes);
            }
          });
        },
      ),
      fuzzParams(Math.ceil(RUNS / 2)),
    );
  });
});

// ---- numpy --------------------------------------------------------------------------------------------

const NPY_SEEDS = npySeeds();

function checkNpy(bytes: Uint8Array): void {
  const label = 'parseNpyHeader';
  const prefix = fuzzSync('npyPrefixLength', bytes, () => npyPrefixLength(bytes));
  expectThat(prefix === undefined || isCount(prefix), 'npyPrefixLength', `not a count: ${prefix}`, bytes);
  fuzzSync('isNpy', bytes, () => isNpy(bytes));
  const result = fuzzSync(label, bytes, () => parseNpyHeader(bytes));
  if (isNpyHeaderError(result)) {
    expectThat(typeof result.error === 'string' && result.error.length > 0, label, 'empty error', bytes);
    expectThat(
      isCount(result.offset) && result.offset <= bytes.length,
      label,
      `error offset ${result.offset} outside the input`,
      bytes,
    );
    return;
  }
  const shown = JSON.stringify(result).slice(0, 300);
  expectThat(
    isCount(result.dataOffset) && result.dataOffset <= bytes.length,
    label,
    `data offset outside the input: ${shown}`,
    bytes,
  );
  expectThat(
    isCount(result.headerLength) && result.headerLength <= NPY_MAX_HEADER_LENGTH,
    label,
    `header length: ${shown}`,
    bytes,
  );
  expectThat(result.shape.every(isCount), label, `shape: ${shown}`, bytes);
  expectThat(
    typeof result.descr === 'string' && typeof result.hasObjects === 'boolean',
    label,
    `descr: ${shown}`,
    bytes,
  );
}

/** Python-literal-shaped text: what an npy header is parsed as. */
const literal: fc.Arbitrary<string> = fc.letrec<{ value: string }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constantFrom(
      "'|O'",
      "'<i4'",
      "'O8'",
      "'object'",
      "'i4,O'",
      "'(2,)O'",
      "''",
      'True',
      'False',
      'None',
      '()',
      '[]',
      '{}',
    ),
    fc.string({ maxLength: 10 }).map((text) => `'${text}'`),
    fc.constantFrom("u'x'", "'\\x4f'", "'\\u004f'", "'\\U0010ffff'", "'\\q'", "'\\", "'\\x4'", '"\'"', "'''"),
    fc
      .oneof(
        fc.integer(),
        fc.constantFrom('-0', '00', '1L', '99999999999999999', '9007199254740993', '+5', '1_0', '0x10'),
      )
      .map(String),
    fc.array(tie('value'), { maxLength: 4 }).map((items) => `(${items.join(', ')}${items.length === 1 ? ',' : ''})`),
    fc.array(tie('value'), { maxLength: 4 }).map((items) => `[${items.join(', ')}]`),
    fc
      .array(fc.tuple(fc.oneof(fc.constantFrom("'descr'", "'shape'", "'fortran_order'"), tie('value')), tie('value')), {
        maxLength: 4,
      })
      .map((entries) => `{${entries.map(([k, v]) => `${k}: ${v}`).join(', ')}}`),
  ),
})).value;

describe('parseNpyHeader under fuzzing', () => {
  it('returns a header or an error with an offset inside the input, for mutated files', {
    timeout: fuzzTimeout(RUNS),
  }, () => {
    fc.assert(
      fc.property(
        hostileBytes(NPY_SEEDS, { anchors: npyAnchors, magics: [[0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]] }),
        checkNpy,
      ),
      fuzzParams(RUNS * 2),
    );
  });

  it('never evaluates or crashes on arbitrary literal-shaped headers, in every version', {
    timeout: fuzzTimeout(RUNS),
  }, () => {
    const header = fc.oneof(
      literal,
      fc
        .tuple(literal, literal, literal)
        .map(([descr, order, shape]) => `{'descr': ${descr}, 'fortran_order': ${order}, 'shape': ${shape}, }`),
      fc
        .tuple(fc.integer({ min: 1, max: 20_000 }), fc.constantFrom('(', '[', '{', "{'a':"))
        .map(([depth, open]) => `{'descr': ${open.repeat(depth)}`),
    );
    fc.assert(
      fc.property(header, fc.constantFrom(1, 2, 3), fc.uint8Array({ maxLength: 32 }), (text, major, payload) => {
        checkNpy(npyFile(text, payload, major));
      }),
      fuzzParams(RUNS * 2),
    );
  });
});

// ---- 7z -----------------------------------------------------------------------------------------------

const SEVEN_ZIP_FIXTURE = join(SHARED_DATA, 'peer-corpora/picklescan/data/malicious1.7z');
const scratch = mkdtempSync(join(tmpdir(), 'assay-fuzz-7z-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

async function sevenZipSeedsWithFixture(): Promise<Uint8Array[]> {
  const { existsSync, readFileSync } = await import('node:fs');
  const seeds = sevenZipSeeds();
  if (existsSync(SEVEN_ZIP_FIXTURE)) seeds.push(new Uint8Array(readFileSync(SEVEN_ZIP_FIXTURE)));
  return seeds;
}

describe('readSevenZip under fuzzing', () => {
  it('lists and reads, or rejects naming the archive or member, any mutated archive', {
    timeout: fuzzTimeout(RUNS, 40),
  }, async () => {
    const seeds = await sevenZipSeedsWithFixture();
    let count = 0;
    await fc.assert(
      fc.asyncProperty(
        hostileBytes(seeds, { magics: [[0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c, 0x00, 0x04]] }),
        readPlan,
        async (bytes, plan) => {
          const path = join(scratch, `${count++}.7z`);
          writeFileSync(path, bytes);
          await fuzzAsync('7z', bytes, async () => {
            let index = 0;
            let total = 0;
            try {
              for await (const member of readSevenZip(path, { maxEntries: 64, maxMemberBytes: 16 << 20 })) {
                expectThat(
                  typeof member.name === 'string' && isCount(member.size),
                  '7z',
                  `member ${JSON.stringify(member.name)}`,
                  bytes,
                );
                const mode = plan[index++ % plan.length];
                if (mode === 0) continue;
                for await (const piece of member.body) {
                  total += piece.length;
                  if (mode === 2) break;
                }
              }
            } catch (error) {
              expectCleanError(error, /^7z[: ]/, '7z', bytes);
            }
            expectThat(total <= 16 << 20, '7z', `read ${total} bytes past the member limit`, bytes);
          });
          rmSync(path, { force: true });
        },
      ),
      fuzzParams(RUNS),
    );
  });
});
