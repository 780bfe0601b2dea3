import { type ArtifactRule, at, CWE_502, factRule, where } from '../artifact-rule.js';

export const pickleFrameDesync: ArtifactRule = factRule(
  {
    id: 'security/pickle-frame-desync',
    pillar: 'security',
    severity: 'high',
    title: 'Pickle FRAME lengths disagree with the opcodes (scanner evasion)',
    description:
      'An opcode argument runs past the end of its FRAME, or a FRAME opens inside another. pickletools-based ' +
      "scanners read straight through, while CPython's C unpickler (before 3.13.15 / 3.14.7) drops the rest of the " +
      'frame: the two see different opcodes (cpython#154848). Assay analyses both readings.',
    remediation: 'Do not load this file: no pickler writes such frames; they exist to hide a payload.',
    references: [
      CWE_502,
      { kind: 'url', id: 'cpython#154848', url: 'https://github.com/python/cpython/issues/154848' },
    ],
  },
  'pickle-frame-desync',
  (fact, artifact) =>
    fact.view === 'sequential'
      ? {
          message: `FRAME starting at offset ${fact.frameStart} ends at ${fact.frameEnd}, but ${fact.detail}${where(artifact)}`,
          ...at(artifact, fact.offset),
          evidence: { frameStart: fact.frameStart, frameEnd: fact.frameEnd, detail: fact.detail, stream: fact.stream },
        }
      : undefined,
);

/** Memo reads and writes per opcode that no ordinary pickler produces: the shape of an expansion bomb. */
const EXPANSION = { minGets: 100_000, getsPerPut: 50, maxDups: 100_000 };

export const pickleExpansion: ArtifactRule = factRule(
  {
    id: 'security/pickle-expansion',
    pillar: 'security',
    severity: 'high',
    title: 'Pickle reuses memo entries like an expansion ("billion laughs") bomb',
    description:
      `More than ${EXPANSION.getsPerPut} memo reads per memo write (with at least ${EXPANSION.minGets} reads), or more ` +
      `than ${EXPANSION.maxDups} DUP opcodes: loading can build exponentially large objects and exhaust memory.`,
    remediation: 'Do not load this file in a shared process; ask its producer how it was written.',
    references: [{ kind: 'cwe', id: 'CWE-776', url: 'https://cwe.mitre.org/data/definitions/776.html' }],
  },
  'pickle-stats',
  (fact, artifact) => {
    const ratio = fact.gets / Math.max(fact.puts, 1);
    const expanding = (fact.gets >= EXPANSION.minGets && ratio > EXPANSION.getsPerPut) || fact.dups > EXPANSION.maxDups;
    if (!expanding) return undefined;
    return {
      message: `Pickle stream ${fact.stream} reads memo entries ${fact.gets} times for ${fact.puts} writes and duplicates ${fact.dups} values${where(artifact)}`,
      ...at(artifact, fact.offset),
      evidence: { gets: fact.gets, puts: fact.puts, dups: fact.dups, opcodes: fact.opcodes },
    };
  },
);

export const pickleTrailingBytes: ArtifactRule = factRule(
  {
    id: 'security/pickle-trailing-bytes',
    pillar: 'security',
    severity: 'medium',
    title: 'Bytes follow the last pickle',
    description:
      'pickle.load stops at STOP and never reads what follows, but a custom loader can: trailing data is a ' +
      'common hiding place for a second payload or a polyglot.',
    remediation: 'Ask the producer what the trailing bytes are; re-save the model with a standard writer.',
    references: [CWE_502],
  },
  'pickle-trailing-bytes',
  (fact, artifact) => ({
    message: `${fact.length} bytes after the last pickle, from offset ${fact.offset}, are not a pickle${where(artifact)}`,
    ...at(artifact, fact.offset),
    evidence: { length: fact.length },
  }),
);

export const pickleMalformed: ArtifactRule = {
  meta: {
    id: 'security/pickle-malformed',
    pillar: 'security',
    severity: 'low',
    title: 'Pickle is malformed: loading raises at this point',
    description:
      "CPython's unpickler raises here (truncated data, an invalid opcode, a missing memo entry, stack underflow). " +
      'Everything before this point runs when the file is loaded and has been analysed; nothing after it runs.',
    remediation: 'Re-download or re-export the file; a model that cannot be loaded is broken either way.',
    references: [],
  },
  *check(artifact) {
    for (const fact of artifact.facts) {
      if (fact.kind === 'pickle-malformed') {
        yield {
          message: `Loading raises at offset ${fact.offset} of pickle stream ${fact.stream}: ${fact.detail}${where(artifact)}`,
          ...at(artifact, fact.offset),
          evidence: { detail: fact.detail, stream: fact.stream, view: fact.view },
        };
      } else if (fact.kind === 'pickle-memo-miss') {
        yield {
          message: `Memo slot ${fact.index} is read at offset ${fact.offset} but was never written; CPython raises here${where(artifact)}`,
          ...at(artifact, fact.offset),
          evidence: { index: fact.index, stream: fact.stream, view: fact.view },
        };
      }
    }
  },
};
