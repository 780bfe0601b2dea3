import { describe, expect, it } from 'vitest';
import type { Fact } from '../../src/formats/facts.js';
import { DEFAULT_PICKLE_LIMITS, type PickleLimits, PickleWalker } from '../../src/formats/pickle/walker.js';
import { callPickle, pickle, stateDictPickle } from '../fixtures/pickle-writer.js';

function walk(bytes: Uint8Array, chunkSize = bytes.length || 1, limits: Partial<PickleLimits> = {}): Fact[] {
  const facts: Fact[] = [];
  const walker = new PickleWalker({ fact: (fact) => facts.push(fact) }, { ...DEFAULT_PICKLE_LIMITS, ...limits });
  for (let offset = 0; offset < bytes.length; offset += chunkSize)
    walker.push(bytes.subarray(offset, offset + chunkSize));
  walker.end();
  return facts;
}

const globalsOf = (facts: Fact[]) =>
  facts.flatMap((fact) =>
    fact.kind === 'pickle-global' ? [`${fact.module}.${fact.name}${fact.called ? '()' : ''}`] : [],
  );

describe('pickle walker', () => {
  it('resolves the same globals whatever the chunk boundaries', () => {
    const bytes = stateDictPickle(
      [
        { name: 'w', key: '0', numel: 4 },
        { name: 'b', key: '1', numel: 2 },
      ],
      4,
    );
    const whole = globalsOf(walk(bytes));
    expect(whole).toContain('torch._utils._rebuild_tensor_v2()');
    for (const size of [1, 2, 3, 7, 64]) expect(globalsOf(walk(bytes, size))).toEqual(whole);
  });

  it('maps Python 2 names for protocols below 3 only', () => {
    expect(globalsOf(walk(callPickle('__builtin__', 'eval', '1', 0)))).toEqual(['builtins.eval()']);
    expect(globalsOf(walk(callPickle('__builtin__', 'eval', '1', 4)))).toEqual(['__builtin__.eval()']);
  });

  it('follows STACK_GLOBAL operands through every memo opcode and string opcode', () => {
    const bytes = pickle()
      .proto(4)
      .textString('o' + 's') // STRING
      .put(7)
      .binstring('sys') // SHORT_BINSTRING
      .longBinput(300)
      .op('POP')
      .op('POP')
      .get(7)
      .unicode('system')
      .op('MEMOIZE')
      .op('STACK_GLOBAL')
      .longBinget(300)
      .op('TUPLE1')
      .op('REDUCE')
      .stop()
      .build();
    expect(globalsOf(walk(bytes))).toEqual(['os.system()']);
  });

  it('reports a STACK_GLOBAL whose operand comes from an unwritten memo slot', () => {
    const bytes = pickle().proto(4).binget(9).unicode('system').op('STACK_GLOBAL').stop().build();
    const kinds = walk(bytes).map((fact) => fact.kind);
    expect(kinds).toContain('pickle-memo-miss');
    expect(kinds).toContain('pickle-unresolved-global');
  });

  it('reports EXT opcodes as unresolved globals', () => {
    const facts = walk(pickle().proto(2).ext1(42).op('EMPTY_TUPLE').op('REDUCE').stop().build());
    expect(facts.find((fact) => fact.kind === 'pickle-unresolved-global')).toMatchObject({ opcode: 'EXT1' });
  });

  it('records calls through INST, OBJ, NEWOBJ and NEWOBJ_EX', () => {
    const inst = pickle().op('MARK').textUnicode('ls').inst('os', 'system').stop().build();
    const obj = pickle().op('MARK').global('subprocess', 'Popen').textUnicode('ls').op('OBJ').stop().build();
    const newobj = pickle()
      .proto(4)
      .stackGlobal('subprocess', 'Popen')
      .unicode('ls')
      .op('TUPLE1')
      .op('NEWOBJ')
      .stop()
      .build();
    const newobjEx = pickle()
      .proto(4)
      .stackGlobal('subprocess', 'Popen')
      .unicode('ls')
      .op('TUPLE1')
      .op('EMPTY_DICT')
      .op('NEWOBJ_EX')
      .stop()
      .build();
    expect(globalsOf(walk(inst))).toEqual(['os.system()']);
    expect(globalsOf(walk(obj))).toEqual(['subprocess.Popen()']);
    expect(globalsOf(walk(newobj))).toEqual(['subprocess.Popen()']);
    expect(globalsOf(walk(newobjEx))).toEqual(['subprocess.Popen()']);
  });

  it('analyses stacked pickles and reports junk after the last one', () => {
    const first = pickle().proto(2).op('NONE').stop().build();
    const second = callPickle('os', 'system', 'id', 2);
    const facts = walk(Buffer.concat([first, second, Buffer.from([0xff, 0xfe, 0xfd])]));
    expect(globalsOf(facts)).toEqual(['os.system()']);
    expect(facts.find((fact) => fact.kind === 'pickle-trailing-bytes')).toMatchObject({ length: 3 });
  });

  it('follows what torch.load executes when a FRAME length disagrees with the data', () => {
    const payload = pickle().stackGlobal('os', 'system').unicode('id').op('TUPLE1').op('REDUCE').build();
    const bytes = pickle()
      .proto(4)
      .frame(7)
      .op('BINBYTES')
      .raw([16, 0, 0, 0]) // 16 bytes declared, 2 left in the frame
      .raw([0, 0])
      .raw(new Uint8Array(14))
      .raw([0x43, payload.length]) // SHORT_BINBYTES: the sequential reading swallows the payload
      .raw(payload)
      .stop()
      .build();
    for (const size of [bytes.length, 5]) {
      const facts = walk(bytes, size);
      expect(facts.some((fact) => fact.kind === 'pickle-frame-desync')).toBe(true);
      const hidden = facts.find((fact) => fact.kind === 'pickle-global');
      expect(hidden).toMatchObject({ module: 'os', name: 'system', view: 'frame-skipping', called: true });
    }
  });

  it('stops at hard limits with a fact instead of running away', () => {
    const deep = pickle().proto(4);
    for (let i = 0; i < 2_000; i++) deep.op('EMPTY_LIST');
    expect(
      walk(deep.stop().build(), undefined, { maxStack: 1_000 }).find((fact) => fact.kind === 'limit-reached'),
    ).toMatchObject({
      limit: 'stack-depth',
    });
    const many = pickle().proto(4);
    for (let i = 0; i < 100; i++) many.op('NONE').op('POP');
    expect(
      walk(many.stop().build(), undefined, { maxOpcodes: 50 }).find((fact) => fact.kind === 'limit-reached'),
    ).toMatchObject({
      limit: 'opcodes',
    });
  });

  it('skips bulk data without buffering it', () => {
    const size = 8 << 20;
    const head = pickle().proto(4).bytes8Header(size).build();
    const facts: Fact[] = [];
    const walker = new PickleWalker({ fact: (fact) => facts.push(fact) });
    walker.push(head);
    const zeros = new Uint8Array(1 << 20);
    for (let i = 0; i < 8; i++) walker.push(zeros);
    walker.push(pickle().op('POP').stop().build());
    walker.end();
    expect(facts.map((fact) => fact.kind)).toEqual(['pickle-stats']);
  });

  it('treats a truncated stream as malformed at the point loading fails', () => {
    const bytes = callPickle('os', 'system', 'id', 4);
    const facts = walk(bytes.subarray(0, bytes.length - 3));
    expect(globalsOf(facts)).toEqual(['os.system']);
    expect(facts.some((fact) => fact.kind === 'pickle-malformed')).toBe(true);
  });
});
