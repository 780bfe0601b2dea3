/**
 * Minimal reproducers of what the fuzz suite (test/fuzz/*.fuzz.test.ts) and its review found, kept as plain
 * deterministic tests. Each names the input bytes in hex, as the fuzz failure printed them.
 */
import { describe, expect, it } from 'vitest';
import type { Fact } from '../../src/formats/facts.js';
import { DEFAULT_PICKLE_LIMITS, type PickleLimits, PickleWalker } from '../../src/formats/pickle/walker.js';
import { auditFiles } from '../helpers.js';
import { factProblems } from './invariants.js';
import { fromHex } from './support.js';

function walk(bytes: Uint8Array, chunkSize = bytes.length || 1, limits: Partial<PickleLimits> = {}): Fact[] {
  const facts: Fact[] = [];
  const walker = new PickleWalker({ fact: (fact) => facts.push(fact) }, { ...DEFAULT_PICKLE_LIMITS, ...limits });
  for (let at = 0; at < bytes.length; at += chunkSize) walker.push(bytes.subarray(at, at + chunkSize));
  walker.end();
  return facts;
}

const latin1 = (text: string) => new Uint8Array(Buffer.from(text, 'latin1'));
const globalsOf = (facts: Fact[]) =>
  facts.flatMap((fact) =>
    fact.kind === 'pickle-global' ? [`${fact.module}.${fact.name}${fact.called ? '()' : ''}`] : [],
  );

describe('fuzz regressions: pickle walker', () => {
  it('keeps offsets inside the input when a length field claims up to 2^64 bytes', () => {
    // BINBYTES8 of 2^53 - 1 bytes, BINUNICODE8 of 2^56 bytes, LONG4 of 24 MB, FRAME of 255 bytes: each used to
    // move the reported offsets past the end of the input (up to 9.2e18, beyond safe integers, so the report
    // failed its own schema), blaming a FRAME that did not exist.
    for (const hex of [
      '80048effffffffffff1f00',
      '8d0000000000000001',
      '80008a61',
      '95ff000000000000002e',
      '8e00000000000000808004636f730a73797374656d0a2e',
    ]) {
      const bytes = fromHex(hex);
      for (const limits of [{}, { maxInline: 96 }]) {
        expect(factProblems(walk(bytes, bytes.length, limits), bytes.length), hex).toEqual([]);
        expect(factProblems(walk(bytes, 1, limits), bytes.length), hex).toEqual([]);
      }
    }
  });

  it('counts an opcode once however many chunks its argument arrives in', () => {
    const bytes = latin1('\x80\x04\x8c\x08builtins\x8c\x04eval\x93\x8c\x0512345\x85R.');
    const stats = (facts: Fact[]) => facts.find((fact) => fact.kind === 'pickle-stats');
    expect(stats(walk(bytes, 1))).toEqual(stats(walk(bytes)));
  });

  it('does no more work than the input has bytes when junk after a pickle holds many protocol headers', () => {
    // A valid pickle, then PROTO 2 x 64, then an invalid opcode: every candidate stream ran to the end before
    // failing and the next one was tried one byte later (quadratic: 24 KB took 2.5 s; a 64 KiB file used up the
    // 200 M opcode budget and ended as "not analysed").
    const bytes = fromHex(`80024e2e${'8002'.repeat(64)}ff`);
    const limits = { maxOpcodes: bytes.length + 2 };
    for (const chunk of [bytes.length, 1]) {
      expect(walk(bytes, chunk, limits).filter((fact) => fact.kind === 'limit-reached')).toEqual([]);
    }
    const found = fromHex('636f730a73797374656d0a28566563686f2070776e65640a74522e80028002800280028002800280028002ff');
    expect(walk(found, 1, { maxOpcodes: found.length + 2 }).filter((fact) => fact.kind === 'limit-reached')).toEqual(
      [],
    );
  });

  it('finds a pickle hidden in junk whatever the chunk boundaries', () => {
    // A pickle, then SHORT_BINSTRING wrapping `\x80\x02 GLOBAL os system STOP`, then an invalid opcode. The string's
    // bytes were searched for a stream again only when the failure happened in the same chunk.
    const bytes = fromHex('80024e2e550e8002636f730a73797374656d0a2eff');
    for (const chunk of [bytes.length, 1, 6, 20])
      expect(globalsOf(walk(bytes, chunk)), `chunks of ${chunk}`).toEqual(['os.system']);
  });

  it('applies the text-argument limit whatever the chunk boundaries', () => {
    const bytes = latin1(`c${'m'.repeat(100)}\nsystem\n.`);
    const limitsHit = (chunk: number) =>
      walk(bytes, chunk, { maxLine: 64 }).filter((fact) => fact.kind === 'limit-reached').length;
    expect(limitsHit(1)).toBe(limitsHit(bytes.length));
  });

  it('reports the same facts whatever the chunk boundaries, inside a FRAME that runs past the end', () => {
    // FRAME of 2^63 - 1 bytes, STOP, GLOBAL with empty lines: the frame-skipping reading ended at offset 13 when
    // pushed whole and at offset 10 when pushed byte by byte.
    for (const hex of ['95ffffffffffffff7f2e630a0a', '95110000000000000055008004636f730a73797374656d0a2e4b00']) {
      const bytes = fromHex(hex);
      const sorted = (facts: Fact[]) => facts.map((fact) => JSON.stringify(fact)).sort();
      expect(sorted(walk(bytes, 1)), hex).toEqual(sorted(walk(bytes)));
    }
  });
});

describe('fuzz regressions: names that are also JavaScript object keys', () => {
  it('reports module names such as constructor, __proto__ and valueOf as written', () => {
    // The Python 2 module table is a plain object: looking up "constructor" found Object itself, so the fact's
    // module was a function (dropped from JSON) and the report read "function Object() { [native code] }.system".
    // Found by the opcode-sequence property: 6376616c75654f660a6f730a (GLOBAL valueOf os).
    for (const module of ['constructor', '__proto__', 'valueOf', 'toString', 'hasOwnProperty']) {
      const facts = walk(latin1(`\x80\x02c${module}\nsystem\n(S'a'\ntR.`));
      expect(globalsOf(facts)).toEqual([`${module}.system()`]);
    }
    expect(factProblems(walk(fromHex('6376616c75654f660a6f730a')), 12)).toEqual([]);
  });
});

describe('fuzz regressions: protocol 0 arguments CPython accepts', () => {
  // CPython parses INT and LONG with PyLong_FromString(base 0) and GET / PUT with PyLong_FromString(base 10):
  // hex / octal / binary prefixes, underscores between digits and a leading sign are all accepted, and both
  // pickle.loads and pickle._loads run what follows (checked with CPython 3.11). The walker treated these
  // arguments as malformed and stopped: the os.system call after them went unseen.
  const payload = "cos\nsystem\n(S'echo pwned'\ntR.";
  const cases: Record<string, string> = {
    'INT 0x10': `I0x10\n0${payload}`,
    'INT 1_0': `I1_0\n0${payload}`,
    'LONG 0b1L': `L0b1L\n0${payload}`,
    'GET +0': `S'x'\np0\n0g+0\n0${payload}`,
    'GET 0_0': `S'x'\np0\n0g0_0\n0${payload}`,
    'PUT 1_0': `S'x'\np1_0\n0${payload}`,
  };
  for (const [name, text] of Object.entries(cases)) {
    it(`${name}: the call that follows is still reported`, () => {
      expect(globalsOf(walk(latin1(text)))).toEqual(['os.system()']);
    });
  }

  it('fails the gate on such a pickle', async () => {
    const report = await auditFiles({ 'model.pkl': latin1(cases['INT 0x10']) });
    expect(report.gate.exitCode).toBe(1);
  });

  it('keeps memo indexes beyond 2^53 apart, and analyses on after them (joblib uses the pure-Python unpickler)', () => {
    // pickle._Unpickler (joblib's base class) keeps the memo in a dict: any index works and 2^53 and 2^53 + 1 are
    // two slots. The C unpickler raises MemoryError on such an index, but joblib.load runs this and calls os.system.
    const bytes = latin1(
      "S'os'\np9007199254740992\n0S'harmless'\np9007199254740993\n0g9007199254740992\nS'system'\n\x93(S'echo pwned'\ntR.",
    );
    expect(globalsOf(walk(bytes))).toEqual(['os.system()']);
  });
});

describe('fuzz regressions: pickles that sniffing takes for something else', () => {
  // CPython's pickle.loads and pickle._loads run each of these (checked with CPython 3.11), and torch.load runs a raw
  // pickle file's first pickle too. They were sniffed as text, image or gguf, so no pickle analysis ran at all.
  const payload = "cos\nsystem\n(S'echo pwned'\ntR.";
  const cases: Record<string, string> = {
    'GGUF magic (BINFLOAT eats "GUF" and 5 bytes)': `GGUF\0\0\0\0\0${payload}`,
    'GIF magic (BINFLOAT eats "IF89a" and 3 bytes)': `GIF89a\0\0\0${payload}`,
    'a first STRING longer than the sniffed head': `S'${'A'.repeat(5000)}'\n0${payload}`,
    'a first STRING ending near the end of the head': `S'${'A'.repeat(4090)}'\n0${payload}`,
    'a first UNICODE longer than the sniffed head': `V${'x'.repeat(5000)}\n0${payload}`,
    'a first INT with 4200 digits (under CPython 3.11+ default 4300-digit limit)': `I${'1'.repeat(4200)}\n0${payload}`,
    '3000 NONE opcodes (more than the sniffing walker allows)': `${'N'.repeat(3000)}${payload}`,
    '3000 MARK opcodes': `${'('.repeat(3000)}${payload}`,
    '1000 FLOAT opcodes': `${'F1.5\n'.repeat(1000)}${payload}`,
  };
  for (const [name, text] of Object.entries(cases)) {
    it(`${name}: the os.system call is reported and fails the gate`, async () => {
      const bytes = latin1(text);
      expect(globalsOf(walk(bytes))).toContain('os.system()');
      const report = await auditFiles({ 'pytorch_model.bin': bytes });
      // The sniffed format may still say image / gguf / text: the bytes are that too. What matters is the reading
      // torch.load performs, reported as the "[as pickle]" member when sniffing did not already call it a pickle.
      const calls = report.findings.filter((finding) => finding.ruleId === 'security/pickle-dangerous-global');
      expect(calls.map((finding) => finding.evidence?.global)).toContain('os.system');
      expect(report.gate.exitCode).toBe(1);
    });
  }
});
