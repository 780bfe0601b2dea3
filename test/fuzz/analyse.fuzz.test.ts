/**
 * End-to-end fuzzing: the Analyser on mutated containers (zip holding pickles, gzip / bzip2 / xz / LZ4 / zlib
 * of pickles, tar and tar.gz, npy object arrays, npz, nested archives, 7z, embedded pickles) must always
 * resolve with artifacts fit for a report, and the whole audit pipeline must produce a report that validates
 * against the Report schema, with exit code 0, 1 or 2.
 *
 * Deterministic by default. Longer or different runs (see test/fuzz/support.ts):
 *   FUZZ_SEED=123 FUZZ_RUNS=5000 npx vitest run test/fuzz/analyse.fuzz.test.ts
 */
import fc from 'fast-check';
import { describe, it } from 'vitest';
import { Report } from '../../src/core/report.js';
import { Analyser, type AnalysisLimits, DEFAULT_LIMITS } from '../../src/formats/analyse.js';
import type { Artifact, Fact } from '../../src/formats/facts.js';
import { PickleWalker } from '../../src/formats/pickle/walker.js';
import { bufferSource } from '../../src/formats/source.js';
import { auditFiles } from '../helpers.js';
import { artifactProblems } from './invariants.js';
import {
  compressionAnchors,
  containerSeeds,
  npyAnchors,
  pickleSeeds,
  pluginSeeds,
  sevenZipSeeds,
  tarAnchors,
  zipAnchors,
} from './seeds.js';
import { expectThat, fuzzAsync, fuzzParams, fuzzTimeout, hostileBytes } from './support.js';

const SEEDS = [...containerSeeds(), ...sevenZipSeeds(), ...pickleSeeds(), ...pluginSeeds()];
const anchors = (bytes: Uint8Array) => [
  ...compressionAnchors(bytes),
  ...zipAnchors(bytes),
  ...tarAnchors(bytes),
  ...npyAnchors(bytes),
];

/** Limits small enough for fuzzed inputs to reach each of them. */
const SMALL_LIMITS: AnalysisLimits = {
  ...DEFAULT_LIMITS,
  maxDepth: 2,
  maxEntries: 3,
  maxCompressionRatio: 4,
  bombMinBytes: 512,
  maxEmbedded: 2,
  maxSpoolBytes: 1 << 12,
  pickle: {
    ...DEFAULT_LIMITS.pickle,
    maxOpcodes: 400,
    maxStack: 40,
    maxMemo: 24,
    maxLine: 48,
    maxInline: 96,
    maxStreams: 4,
  },
};

async function analyse(bytes: Uint8Array, limits: AnalysisLimits): Promise<Artifact[]> {
  const artifacts: Artifact[] = [];
  const analyser = new Analyser('f', (artifact) => artifacts.push(artifact), limits);
  try {
    await analyser.analyse(bufferSource(bytes, 'f'));
  } finally {
    await analyser.close();
  }
  return artifacts;
}

const RUNS = 600;

describe('Analyser under fuzzing', () => {
  it('resolves on any mutated container, with artifacts fit for a report', {
    timeout: fuzzTimeout(RUNS, 40),
  }, async () => {
    await fc.assert(
      fc.asyncProperty(
        hostileBytes(SEEDS, { anchors, maxMutations: 4 }),
        fc.constantFrom(DEFAULT_LIMITS, SMALL_LIMITS),
        async (bytes, limits) => {
          const artifacts = await fuzzAsync('Analyser', bytes, () => analyse(bytes, limits));
          const problems = artifactProblems(artifacts, 'f', limits.maxDepth);
          expectThat(problems.length === 0, 'Analyser', problems.slice(0, 5).join('\n'), bytes);
        },
      ),
      fuzzParams(RUNS),
    );
  });
});

/** What the walker alone, reading every byte as a pickle, sees imported and called in the first stream. */
function calledImports(bytes: Uint8Array): string[] {
  const facts: Fact[] = [];
  const walker = new PickleWalker({ fact: (fact) => facts.push(fact) });
  walker.push(bytes);
  walker.end();
  return facts.flatMap((fact) =>
    fact.kind === 'pickle-global' && fact.called && fact.stream === 0 && fact.view === 'sequential'
      ? [`${fact.module}.${fact.name}`]
      : [],
  );
}

/** Opcodes CPython runs before a payload, shaped like other formats' magic numbers or like text. */
const pickleLookalike = fc.oneof(
  fc.uint8Array({ minLength: 5, maxLength: 5 }).map((rest) => ['GGUF', rest]), // BINFLOAT eats "GUF" and 5 bytes
  fc.uint8Array({ minLength: 3, maxLength: 3 }).map((rest) => ['GIF89a', rest]), // BINFLOAT eats "IF89a" and 3 bytes
  fc.integer({ min: 0, max: 9000 }).map((n) => [`S'${'A'.repeat(n)}'\n0`]),
  fc.integer({ min: 0, max: 9000 }).map((n) => [`V${'x'.repeat(n)}\n0`]),
  fc.integer({ min: 1, max: 4200 }).map((n) => [`I${'1'.repeat(n)}\n0`]),
  fc.integer({ min: 1, max: 3000 }).map((n) => ['N'.repeat(n)]),
  fc.integer({ min: 1, max: 3000 }).map((n) => ['('.repeat(n)]),
  fc.integer({ min: 1, max: 1500 }).map((n) => ['F1.5\n'.repeat(n)]),
  fc.string({ maxLength: 40 }).map((text) => [`S'${text.replace(/['\\\n]/g, '')}'\n0`]),
);

describe('pickles shaped like something else', () => {
  it('are analysed as pickles whenever the walker reads a called import from their first byte', {
    timeout: fuzzTimeout(RUNS),
  }, async () => {
    const input = fc
      .tuple(pickleLookalike, fc.constantFrom("cos\nsystem\n(S'echo pwned'\ntR.", "cbuiltins\neval\n(S'1'\ntR."))
      .map(
        ([parts, payload]) =>
          new Uint8Array(
            Buffer.concat([
              ...parts.map((part) => (typeof part === 'string' ? Buffer.from(part, 'latin1') : part)),
              Buffer.from(payload, 'latin1'),
            ]),
          ),
      );
    await fc.assert(
      fc.asyncProperty(input, async (bytes) => {
        const expected = calledImports(bytes);
        if (expected.length === 0) return;
        const artifacts = await fuzzAsync('pickle lookalike', bytes, () => analyse(bytes, DEFAULT_LIMITS));
        const reported = artifacts.flatMap((artifact) =>
          artifact.facts.flatMap((fact) => (fact.kind === 'pickle-global' ? [`${fact.module}.${fact.name}`] : [])),
        );
        const missing = expected.filter((name) => !reported.includes(name));
        expectThat(
          missing.length === 0,
          'pickle lookalike',
          `sniffed as ${artifacts[0]?.format}: the import of ${missing.join(', ')} that loading runs is not reported`,
          bytes,
        );
      }),
      fuzzParams(Math.ceil(RUNS / 2)),
    );
  });
});

const NAMES = [
  'model.pkl',
  'pytorch_model.bin',
  'model.safetensors',
  'model.gguf',
  'archive.zip',
  'data.npy',
  'model.joblib',
  'x.tar.gz',
  'a.7z',
  'config.json',
  'tokenizer_config.json',
  'modeling_custom.py',
  'README.md',
];

describe('the audit pipeline under fuzzing', () => {
  it('reports on folders of mutated files: the report validates and the exit code is 0, 1 or 2', {
    timeout: fuzzTimeout(40, 1000),
  }, async () => {
    const folder = fc.uniqueArray(
      fc.tuple(fc.constantFrom(...NAMES), hostileBytes(SEEDS, { anchors, maxMutations: 3 })),
      {
        minLength: 1,
        maxLength: 5,
        selector: ([name]) => name,
      },
    );
    await fc.assert(
      fc.asyncProperty(folder, async (files) => {
        const bytes = new Uint8Array(Buffer.concat(files.map(([, content]) => content)));
        const label = `audit of ${files.map(([name, content]) => `${name} (${content.length} bytes)`).join(', ')}`;
        const report = await fuzzAsync(label, bytes, () => auditFiles(Object.fromEntries(files)));
        const parsed = Report.safeParse(JSON.parse(JSON.stringify(report)));
        const hexes = files.map(([name, content]) => `${name}: ${Buffer.from(content).toString('hex')}`).join('\n');
        expectThat(
          parsed.success,
          label,
          `report does not validate: ${parsed.error?.message.slice(0, 1500)}\n${hexes}`,
          bytes,
        );
        expectThat([0, 1, 2].includes(report.gate.exitCode), label, `exit code ${report.gate.exitCode}`, bytes);
        expectThat(
          report.files.length === files.length,
          label,
          `${report.files.length} files reported of ${files.length}`,
          bytes,
        );
      }),
      fuzzParams(40),
    );
  });
});
