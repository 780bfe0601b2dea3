import { DESERIALIZERS } from '../../knowledge/pickle-globals.js';
import { python3Name } from '../../knowledge/python2-names.js';
import type { EmbeddingKind, Fact, FactOf, PickleOpcodeName, PickleView } from '../facts.js';
import { isOpcode, OP, opcodeName } from './opcodes.js';

/**
 * A streaming, symbolic pickle opcode walker. It never builds Python objects: it tracks just enough of the
 * unpickler's stack and memo to know which globals are imported and which are called, and with what.
 *
 * Bytes are pushed in chunks of any size; memory stays bounded by the limits below, whatever the stream's size.
 * Two readings are followed when they differ (see PickleView): the walker forks a frame-skipping twin at the
 * first opcode whose argument runs past the end of its FRAME, and both are fed the rest of the stream.
 */

export interface PickleLimits {
  /** Opcodes per file, across stacked pickles. */
  maxOpcodes: number;
  /** Stack entries plus marks. */
  maxStack: number;
  /** Memo entries. */
  maxMemo: number;
  /** Length of one text line (protocol 0 arguments such as GLOBAL's module name). */
  maxLine: number;
  /** Strings and bytes up to this length are kept for inspection; longer ones are skipped unread. */
  maxInline: number;
  /** Stop after this many stacked pickles (legacy torch files hold five, then raw storage bytes). */
  maxStreams: number;
  /** Look for further pickles in junk after a STOP or a broken stream (off: only what pickle.load reads). */
  searchAfterJunk: boolean;
}

export const DEFAULT_PICKLE_LIMITS: PickleLimits = {
  maxOpcodes: 200_000_000,
  maxStack: 1_000_000,
  maxMemo: 8_000_000,
  maxLine: 65_536,
  maxInline: 1 << 20,
  maxStreams: Number.POSITIVE_INFINITY,
  searchAfterJunk: true,
};

export interface PickleObserver {
  fact(fact: Fact): void;
  /** Every string constant of at least 8 characters, for payload indicators. */
  string?(text: string, offset: number): void;
  /** Bytes or text that decode to something starting with a pickle protocol header. */
  embedded?(bytes: Uint8Array, offset: number, encoding: EmbeddingKind): void;
}

type GlobalFact = FactOf<'pickle-global'> | FactOf<'pickle-unresolved-global'>;

type Value =
  | { k: 'str'; v: string }
  /** `data` is kept only for short values that could be a complete pickle (handed to pickle.loads later). */
  | { k: 'bytes'; len: number; data?: Uint8Array }
  | { k: 'int'; v: number | bigint }
  | { k: 'global'; fact: GlobalFact }
  | { k: 'call'; fact?: GlobalFact }
  | { k: 'tuple'; items: Value[] }
  | { k: 'other'; what: string }
  | { k: 'unknown' };

const NONE: Value = { k: 'other', what: 'None' };
const BOOL: Value = { k: 'other', what: 'bool' };
const FLOAT: Value = { k: 'other', what: 'float' };
const LIST: Value = { k: 'other', what: 'list' };
const DICT: Value = { k: 'other', what: 'dict' };
const SET: Value = { k: 'other', what: 'set' };
const PERSISTENT: Value = { k: 'other', what: 'persistent object' };
const BUFFER: Value = { k: 'other', what: 'buffer' };
const UNKNOWN: Value = { k: 'unknown' };
/** What the memo keeps for strings that cannot name a module or attribute (most strings in a data pickle). */
const NOT_A_NAME: Value = { k: 'other', what: 'string that is not a Python name' };
const NAME_LIKE = /^[\p{L}\p{N}_.]{1,512}$/u;

/** The memo can hold millions of entries: strings that could never be a STACK_GLOBAL operand share one value. */
function forMemo(value: Value): Value {
  return value.k === 'str' && !NAME_LIKE.test(value.v) ? NOT_A_NAME : value;
}
const EMPTY_TUPLE: Value = { k: 'tuple', items: [] };
const TUPLE_KEEP = 8;
/** Longest bytes value kept for analysis as a nested pickle. */
const NESTED_KEEP = 1 << 16;
const DESERIALIZER_NAMES: ReadonlySet<string> = new Set(DESERIALIZERS.map((entry) => entry.pattern));
const LATIN1_ENCODERS: ReadonlySet<string> = new Set(['_codecs.encode', 'codecs.encode']);
const STRING_REPORT_MIN = 8;
const PREVIEW_MAX = 200;

enum Phase {
  /** Before the first opcode of a stream. */
  Between = 0,
  InStream = 1,
  /** Non-pickle bytes after the last STOP: counted, not parsed. */
  Trailing = 2,
  Done = 3,
}

const NEED_MORE = -1;
/**
 * A candidate stream that breaks within this many bytes is rescanned from its second byte; a longer one resumes
 * the search where it broke. This keeps the search linear (junk such as 80 02 80 02 … would otherwise be
 * re-parsed from every offset) at the price of not looking for pickles inside long broken candidates.
 */
const PROBE_RESCAN = 256;

/** Memo slots: a dense array for the usual 0, 1, 2, … indexes, a map for the rest (any Python int is a key). */
class Memo {
  private dense: Value[] = [];
  private sparse = new Map<number | string, Value>();

  get size(): number {
    return this.dense.length + this.sparse.size;
  }
  set(index: number | bigint, value: Value): void {
    const key = memoKey(index);
    if (typeof key === 'number' && key >= 0 && key <= this.dense.length) this.dense[key] = value;
    else this.sparse.set(key, value);
  }
  get(index: number | bigint): Value | undefined {
    const key = memoKey(index);
    return typeof key === 'number' && key >= 0 && key < this.dense.length ? this.dense[key] : this.sparse.get(key);
  }
  clone(): Memo {
    const copy = new Memo();
    copy.dense = this.dense.slice();
    copy.sparse = new Map(this.sparse);
    return copy;
  }
}

function memoKey(index: number | bigint): number | string {
  if (typeof index === 'number') return index;
  return index >= BigInt(Number.MIN_SAFE_INTEGER) && index <= BigInt(Number.MAX_SAFE_INTEGER)
    ? Number(index)
    : `${index}`;
}

class StopStream extends Error {}

export class PickleWalker {
  private buf: Uint8Array = new Uint8Array(0);
  /** Absolute offset of buf[0]. */
  private base = 0;
  /** Absolute offset of the next byte to interpret. */
  private p = 0;
  /** End of the C unpickler's input buffer (absolute): a FRAME's end, or the end of the last read. */
  private cEnd = 0;
  private phase: Phase = Phase.Between;
  private stack: Value[] = [];
  private marks: number[] = [];
  private memo = new Memo();
  private proto = 0;
  private stream = 0;
  private opcodes = 0;
  private gets = 0;
  private puts = 0;
  private dups = 0;
  private maxStack = 0;
  /** Start of the current run of non-pickle bytes after a STOP, or -1. */
  private junkStart = -1;
  private junkReported = 0;
  private streamStart = 0;
  /**
   * A stream after the first is only a candidate until it imports something or reaches STOP; if it breaks first
   * it was junk that happened to start with a valid opcode, and its facts are dropped.
   */
  private probing = false;
  private probeFacts: Fact[] = [];
  /** Opcode count when the candidate began: a candidate that proves to be junk does not use up the budget. */
  private opcodesBeforeProbe = 0;
  private frameStart = 0;
  /** Where the last FRAME says its bytes end. */
  private frameClaim = 0;
  /** Opcode offset of the last argument skipped unread. */
  private bulkStart = 0;
  /** After the first desync the sequential reading ignores frames (the twin follows the loader's). */
  private framesIgnored = false;
  private twin: PickleWalker | undefined;
  private malformedReported = false;

  constructor(
    private readonly observer: PickleObserver,
    private readonly limits: PickleLimits = DEFAULT_PICKLE_LIMITS,
    private readonly view: PickleView = 'sequential',
  ) {}

  /** Feeds the next chunk; chunks are never modified and may be retained until consumed. Never throws on bad input. */
  push(chunk: Uint8Array): void {
    const twinBefore = this.twin;
    this.append(chunk);
    this.guarded(() => this.run());
    // A twin forked during this run already holds the current buffer; an older one needs the chunk.
    twinBefore?.push(chunk);
  }

  /** A hard limit ends the analysis of this reading (the limit fact was already reported). */
  private guarded(action: () => void): void {
    try {
      action();
    } catch (error) {
      if (!(error instanceof LimitReached)) throw error;
      this.phase = Phase.Done;
    }
  }

  /** Signals the end of the stream and reports what was left unfinished. */
  end(): void {
    this.twin?.end();
    if (this.phase === Phase.Done) return;
    if (this.phase === Phase.InStream && this.probing) {
      this.dropProbe();
      this.phase = Phase.Trailing;
    }
    if (this.phase === Phase.InStream) {
      const available = this.base + this.buf.length;
      let offset = Math.min(this.p, available);
      let detail = 'the stream ends before STOP (truncated pickle)';
      if (this.p > available) {
        offset = this.bulkStart;
        detail = `the argument of the opcode at offset ${this.bulkStart} runs ${this.p - available} bytes past the end of the stream`;
      } else if (this.frameClaim > available && !this.framesIgnored) {
        detail = `FRAME at offset ${this.frameStart} claims bytes up to ${this.frameClaim} but the stream ends at ${available}`;
      }
      this.malformed(offset, detail);
      this.p = offset;
      this.finishStream();
    } else if (this.phase === Phase.Trailing) {
      this.closeJunk(this.base + this.buf.length);
    }
    this.phase = Phase.Done;
  }

  /** Streams analysed so far (stacked pickles). */
  get streams(): number {
    return this.stream;
  }

  /** True once nothing more can be learnt from further bytes (a caller may stop reading). */
  get finished(): boolean {
    return this.phase === Phase.Done && (this.twin === undefined || this.twin.finished);
  }

  private append(chunk: Uint8Array): void {
    // A candidate stream keeps its first bytes so that, if it proves to be junk, the search resumes inside it.
    const from = this.probing && this.p - this.streamStart <= PROBE_RESCAN ? this.streamStart : this.p;
    const keepFrom = Math.max(0, from - this.base);
    const kept = this.buf.length - keepFrom;
    if (this.phase === Phase.Done) {
      this.base += this.buf.length;
      this.buf = chunk;
      this.p = this.base;
      return;
    }
    if (kept <= 0) {
      this.base += this.buf.length;
      this.buf = chunk;
      return;
    }
    const merged = new Uint8Array(kept + chunk.length);
    merged.set(this.buf.subarray(keepFrom), 0);
    merged.set(chunk, kept);
    this.base += keepFrom;
    this.buf = merged;
  }

  private run(): void {
    while (true) {
      const index = this.p - this.base;
      if (index >= this.buf.length || this.phase === Phase.Done) return;
      if (this.phase === Phase.Trailing) {
        if (!this.limits.searchAfterJunk) {
          this.phase = Phase.Done;
          return;
        }
        if (!this.resync()) return;
        continue;
      }
      if (this.phase === Phase.Between) {
        if (this.stream >= this.limits.maxStreams) {
          this.phase = Phase.Done;
          return;
        }
        if (!isOpcode(this.buf[index])) {
          this.phase = Phase.Trailing;
          this.junkStart = this.p;
          continue;
        }
        this.phase = Phase.InStream;
        this.streamStart = this.p;
        this.probing = this.stream > 0;
        this.opcodesBeforeProbe = this.opcodes;
      }
      let stepped: number;
      try {
        stepped = this.step();
      } catch (error) {
        if (!(error instanceof StopStream)) throw error;
        if (this.probing) {
          this.dropProbe();
        } else {
          // The loader raises here: nothing after this point of the stream runs. Later bytes are still searched
          // for pickles a custom loader could read.
          this.finishStream();
        }
        this.phase = Phase.Trailing;
        continue;
      }
      if (stepped === NEED_MORE) {
        this.opcodes--; // the opcode is read again, whole, when more bytes arrive
        this.checkPendingLimits();
        return;
      }
    }
  }

  /** Looks for the next protocol 2–5 header in junk; true when a candidate stream starts at `p`. */
  private resync(): boolean {
    const buf = this.buf;
    let i = this.p - this.base;
    while (true) {
      i = buf.indexOf(OP.PROTO, i);
      if (i < 0 || i === buf.length - 1) {
        this.p = this.base + (i < 0 ? buf.length : i);
        return false;
      }
      if (buf[i + 1] >= 2 && buf[i + 1] <= 5) break;
      i++;
    }
    this.closeJunk(this.base + i);
    this.p = this.base + i;
    this.phase = Phase.Between;
    return true;
  }

  /** Reports a run of junk bytes (a bounded number of runs per file). */
  private closeJunk(end: number): void {
    if (this.junkStart >= 0 && end > this.junkStart && this.junkReported < 16) {
      this.junkReported++;
      this.observer.fact({ kind: 'pickle-trailing-bytes', offset: this.junkStart, length: end - this.junkStart });
    }
    this.junkStart = -1;
  }

  /** A candidate stream broke before proving itself: its bytes were junk. Rescan from just after its start. */
  private dropProbe(): void {
    this.probeFacts = [];
    this.probing = false;
    this.opcodes = this.opcodesBeforeProbe;
    this.resetStreamState();
    if (this.junkStart < 0) this.junkStart = this.streamStart;
    if (this.p - this.streamStart <= PROBE_RESCAN) this.p = this.streamStart + 1;
    this.cEnd = this.p;
  }

  private emit(fact: Fact): void {
    if (this.probing) this.probeFacts.push(fact);
    else this.observer.fact(fact);
  }

  /** The candidate stream is a real pickle: its facts stand. */
  private confirm(): void {
    if (!this.probing) return;
    this.probing = false;
    for (const fact of this.probeFacts.splice(0)) this.observer.fact(fact);
  }

  /** A line or inline value waiting for more bytes must not grow without bound. */
  private checkPendingLimits(): void {
    const pending = this.base + this.buf.length - this.p;
    if (pending > this.limits.maxInline + this.limits.maxLine + 64) {
      this.limit('pending-bytes', pending, `an opcode argument of more than ${pending} bytes could not be completed`);
    }
  }

  private limit(limit: string, value: number, detail: string): never {
    this.observer.fact({ kind: 'limit-reached', limit, value, offset: this.p, detail });
    this.phase = Phase.Done;
    throw new LimitReached();
  }

  private malformed(offset: number, detail: string): void {
    if (this.malformedReported) return;
    this.malformedReported = true;
    this.emit({ kind: 'pickle-malformed', offset, stream: this.stream, view: this.view, detail });
  }

  private fail(offset: number, detail: string): never {
    this.malformed(offset, detail);
    throw new StopStream(detail);
  }

  /** `end` is where the stream stopped: after STOP, or where it broke. */
  private finishStream(end = this.p): void {
    this.emit({
      kind: 'pickle-stats',
      offset: end,
      stream: this.stream,
      view: this.view,
      opcodes: this.opcodes,
      gets: this.gets,
      puts: this.puts,
      dups: this.dups,
      maxStack: this.maxStack,
    });
    this.stream += 1;
    this.resetStreamState();
  }

  private resetStreamState(): void {
    this.stack = [];
    this.marks = [];
    this.memo = new Memo();
    this.proto = 0;
    this.gets = 0;
    this.puts = 0;
    this.dups = 0;
    this.maxStack = 0;
    this.malformedReported = false;
    this.phase = Phase.Between;
  }

  // ---- reading ------------------------------------------------------------------------------------------

  private byteAt(absolute: number): number {
    return this.buf[absolute - this.base];
  }

  /**
   * Where a read of `n` bytes at `at` really starts. Inside a frame, a read that runs past the frame's end is
   * where the two readings part: the sequential one reads on, the C unpickler drops the rest of the frame.
   */
  private locate(at: number, n: number, opStart: number): number {
    if (at >= this.cEnd || at + n <= this.cEnd) return at;
    if (this.view === 'frame-skipping') return this.cEnd;
    if (!this.framesIgnored) this.diverge(opStart, `an argument of ${n} bytes at offset ${at} runs past the frame end`);
    return at;
  }

  private diverge(opStart: number, detail: string): void {
    this.observer.fact({
      kind: 'pickle-frame-desync',
      offset: opStart,
      stream: this.stream,
      view: this.view,
      frameStart: this.frameStart,
      frameEnd: this.cEnd,
      detail,
    });
    const twin = new PickleWalker(this.observer, this.limits, 'frame-skipping');
    twin.buf = this.buf;
    twin.base = this.base;
    twin.p = opStart;
    twin.cEnd = this.cEnd;
    twin.phase = Phase.InStream;
    twin.stack = this.stack.slice();
    twin.marks = this.marks.slice();
    twin.memo = this.memo.clone();
    twin.proto = this.proto;
    twin.stream = this.stream;
    twin.opcodes = this.opcodes;
    twin.frameStart = this.frameStart;
    this.twin = twin;
    this.framesIgnored = true;
    twin.guarded(() => twin.run());
  }

  /** Commits a read that ended at `end`: outside a frame the C buffer is exactly the last read. */
  private consumed(end: number): void {
    this.p = end;
    if (end > this.cEnd) this.cEnd = end;
  }

  private available(start: number, n: number): boolean {
    return start + n <= this.base + this.buf.length;
  }

  private uint(start: number, n: number): number {
    let value = 0;
    for (let i = n - 1; i >= 0; i--) value = value * 256 + this.byteAt(start + i);
    return value;
  }

  private int32(start: number): number {
    const i = start - this.base;
    return this.buf[i] | (this.buf[i + 1] << 8) | (this.buf[i + 2] << 16) | (this.buf[i + 3] << 24);
  }

  /** Reads a text line starting at `at`; returns [start, end of text, position after newline] or NEED_MORE. */
  private line(at: number, opStart: number): [number, number, number] | typeof NEED_MORE {
    let start = at;
    if (at < this.cEnd) {
      const inFrame = this.indexOfNewline(at, this.cEnd);
      if (inFrame === NEED_MORE) return NEED_MORE;
      if (inFrame < 0) {
        if (this.view === 'frame-skipping') start = this.cEnd;
        else if (!this.framesIgnored) this.diverge(opStart, `a text line at offset ${at} runs past the frame end`);
      }
    }
    const available = this.base + this.buf.length;
    const newline = this.indexOfNewline(start, available);
    const length = newline < 0 ? available - start : newline - start;
    if (length > this.limits.maxLine) {
      this.limit('line-length', length, `a text argument longer than ${this.limits.maxLine} bytes`);
    }
    if (newline < 0) return NEED_MORE;
    return [start, newline, newline + 1];
  }

  /** Absolute index of the first newline in [from, to), -1 if none there, NEED_MORE if [from, to) is not all here. */
  private indexOfNewline(from: number, to: number): number {
    const end = Math.min(to, this.base + this.buf.length);
    const found = this.buf.subarray(from - this.base, end - this.base).indexOf(0x0a);
    if (found >= 0) return from + found;
    return end < to ? NEED_MORE : -1;
  }

  private text(start: number, end: number, encoding: 'utf8' | 'latin1'): string {
    const bytes = this.buf.subarray(start - this.base, end - this.base);
    if (encoding === 'latin1') return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('latin1');
    return UTF8.decode(bytes);
  }

  // ---- stack --------------------------------------------------------------------------------------------

  private push1(value: Value): void {
    this.stack.push(value);
    if (this.stack.length + this.marks.length > this.maxStack) {
      this.maxStack = this.stack.length + this.marks.length;
      if (this.maxStack > this.limits.maxStack) this.limit('stack-depth', this.maxStack, 'the stack grew too deep');
    }
  }

  private pop1(offset: number): Value {
    const floor = this.marks.length > 0 ? this.marks[this.marks.length - 1] : 0;
    if (this.stack.length <= floor)
      this.fail(offset, 'stack underflow: an opcode needs a value the stack does not hold');
    return this.stack.pop()!;
  }

  private top(offset: number): Value {
    const floor = this.marks.length > 0 ? this.marks[this.marks.length - 1] : 0;
    if (this.stack.length <= floor)
      this.fail(offset, 'stack underflow: an opcode needs a value the stack does not hold');
    return this.stack[this.stack.length - 1];
  }

  private popMark(offset: number): Value[] {
    const mark = this.marks.pop();
    if (mark === undefined) this.fail(offset, 'an opcode needs a MARK that was never pushed');
    const items = this.stack.slice(mark);
    this.stack.length = mark;
    return items;
  }

  // ---- values with meaning ------------------------------------------------------------------------------

  private pushString(value: string, offset: number): void {
    if (value.length >= STRING_REPORT_MIN) {
      this.observer.string?.(value, offset);
      this.lookForEncodedPickle(value, offset);
    }
    this.push1({ k: 'str', v: value });
  }

  private lookForEncodedPickle(value: string, offset: number): void {
    if (!this.observer.embedded) return;
    if (/^gA[JNSU]/.test(value) && /^[A-Za-z0-9+/=\s]+$/.test(value)) {
      this.observer.embedded(Buffer.from(value, 'base64'), offset, 'base64');
    } else if (/^80(0[2-5])/i.test(value) && /^[0-9a-fA-F]+$/.test(value) && value.length % 2 === 0) {
      this.observer.embedded(Buffer.from(value, 'hex'), offset, 'hex');
    }
  }

  private pushBytes(start: number, n: number, offset: number): void {
    if (n >= 4 && this.observer.embedded && this.byteAt(start) === OP.PROTO) {
      const version = this.byteAt(start + 1);
      if (version >= 2 && version <= 5) {
        this.observer.embedded(this.buf.slice(start - this.base, start - this.base + n), offset, 'raw');
      }
    }
    if (n >= STRING_REPORT_MIN && this.observer.string && n <= 4096) {
      this.observer.string(this.text(start, start + n, 'latin1'), offset);
    }
    // A complete pickle ends with STOP: only such values are kept, so tensor bytes are not held in memory.
    const couldBePickle =
      n >= 2 && n <= NESTED_KEEP && isOpcode(this.byteAt(start)) && this.byteAt(start + n - 1) === OP.STOP;
    const data = couldBePickle ? this.buf.slice(start - this.base, start - this.base + n) : undefined;
    this.push1({ k: 'bytes', len: n, data });
  }

  private importGlobal(module: string, name: string, opcode: PickleOpcodeName, offset: number): GlobalFact {
    const [mappedModule, mappedName] = this.proto < 3 ? python3Name(module, name) : [module, name];
    const fact: FactOf<'pickle-global'> = {
      kind: 'pickle-global',
      module: mappedModule,
      name: mappedName,
      opcode,
      offset,
      stream: this.stream,
      view: this.view,
      called: false,
    };
    this.emit(fact);
    this.confirm();
    return fact;
  }

  private unresolved(opcode: PickleOpcodeName, offset: number, detail: string): GlobalFact {
    const fact: FactOf<'pickle-unresolved-global'> = {
      kind: 'pickle-unresolved-global',
      opcode,
      offset,
      stream: this.stream,
      view: this.view,
      detail,
    };
    this.emit(fact);
    this.confirm();
    return fact;
  }

  /** Records that a value is called (or its state set) with `args`; returns the call's result. */
  private call(callee: Value, args: Value[], how: 'CALL' | 'BUILD', offset: number): Value {
    if (callee.k === 'global') {
      const fact = callee.fact;
      if (fact.kind === 'pickle-global' && !fact.called) {
        fact.called = true;
        fact.callKind = how === 'BUILD' ? 'build' : 'call';
        fact.callPreview = preview({ k: 'tuple', items: args });
      }
      if (fact.kind === 'pickle-global' && how === 'CALL') {
        const name = `${fact.module}.${fact.name}`;
        const first = args[0];
        if (DESERIALIZER_NAMES.has(name) && first?.k === 'bytes' && first.data) {
          this.observer.embedded?.(first.data, offset, 'loader-argument');
        }
        // codecs.encode(text, 'latin1') is how protocol 0-2 pickles spell bytes: model it, it is a pure function.
        if (
          LATIN1_ENCODERS.has(name) &&
          first?.k === 'str' &&
          args[1]?.k === 'str' &&
          /^latin[-_]?1$/i.test(args[1].v)
        ) {
          const bytes = Buffer.from(first.v, 'latin1');
          return {
            k: 'bytes',
            len: bytes.length,
            data: bytes.length <= NESTED_KEEP ? new Uint8Array(bytes) : undefined,
          };
        }
      }
      return { k: 'call', fact };
    }
    if (callee.k === 'call') return { k: 'call', fact: callee.fact };
    return { k: 'call' };
  }

  // ---- the interpreter ----------------------------------------------------------------------------------

  private step(): number {
    const at = this.p;
    const op = this.byteAt(at);
    const q = at + 1;
    if (++this.opcodes > this.limits.maxOpcodes) {
      this.limit('opcodes', this.opcodes, `more than ${this.limits.maxOpcodes} opcodes`);
    }
    switch (op) {
      case OP.MARK:
        this.marks.push(this.stack.length);
        if (this.stack.length + this.marks.length > this.limits.maxStack) {
          this.limit('stack-depth', this.stack.length + this.marks.length, 'too many open MARKs');
        }
        return this.done(q);
      case OP.STOP:
        if (q < this.cEnd && this.view === 'sequential' && !this.framesIgnored) {
          // The next load on the same file object starts after the frame, not after STOP.
          this.diverge(at, `STOP at offset ${at} leaves ${this.cEnd - q} bytes of its frame unread`);
        }
        this.consumed(q);
        if (this.view === 'frame-skipping' && this.p < this.cEnd) this.p = this.cEnd;
        this.confirm();
        this.finishStream(q);
        return q;
      case OP.POP:
        if (this.marks.length > 0 && this.marks[this.marks.length - 1] === this.stack.length) this.marks.pop();
        else this.pop1(at);
        return this.done(q);
      case OP.POP_MARK:
        this.popMark(at);
        return this.done(q);
      case OP.DUP:
        this.dups++;
        this.push1(this.top(at));
        return this.done(q);
      case OP.NONE:
        this.push1(NONE);
        return this.done(q);
      case OP.NEWTRUE:
      case OP.NEWFALSE:
        this.push1(BOOL);
        return this.done(q);
      case OP.EMPTY_LIST:
        this.push1(LIST);
        return this.done(q);
      case OP.EMPTY_DICT:
        this.push1(DICT);
        return this.done(q);
      case OP.EMPTY_SET:
        this.push1(SET);
        return this.done(q);
      case OP.EMPTY_TUPLE:
        this.push1(EMPTY_TUPLE);
        return this.done(q);
      case OP.BININT1:
        return this.fixed(at, q, 1, (s) => this.push1({ k: 'int', v: this.byteAt(s) }));
      case OP.BININT2:
        return this.fixed(at, q, 2, (s) => this.push1({ k: 'int', v: this.uint(s, 2) }));
      case OP.BININT:
        return this.fixed(at, q, 4, (s) => this.push1({ k: 'int', v: this.int32(s) }));
      case OP.BINFLOAT:
        return this.fixed(at, q, 8, () => this.push1(FLOAT));
      case OP.PROTO:
        return this.fixed(at, q, 1, (s) => {
          this.proto = this.byteAt(s);
          if (this.proto > 5) this.fail(at, `unsupported pickle protocol ${this.proto}`);
        });
      case OP.FRAME:
        return this.frame(at, q);
      case OP.BINGET:
        return this.fixed(at, q, 1, (s) => this.get(this.byteAt(s), at));
      case OP.LONG_BINGET:
        return this.fixed(at, q, 4, (s) => this.get(this.uint(s, 4), at));
      case OP.BINPUT:
        return this.fixed(at, q, 1, (s) => this.put(this.byteAt(s), at));
      case OP.LONG_BINPUT:
        return this.fixed(at, q, 4, (s) => this.put(this.uint(s, 4), at));
      case OP.MEMOIZE:
        this.put(this.memo.size, at);
        return this.done(q);
      case OP.EXT1:
        return this.fixed(at, q, 1, (s) => this.ext('EXT1', this.byteAt(s), at));
      case OP.EXT2:
        return this.fixed(at, q, 2, (s) => this.ext('EXT2', this.uint(s, 2), at));
      case OP.EXT4:
        return this.fixed(at, q, 4, (s) => this.ext('EXT4', this.int32(s), at));
      case OP.LONG1:
        return this.sized(at, q, 1, (s, n) =>
          this.push1({ k: 'int', v: n <= 6 ? signedLE(this.buf, s - this.base, n) : 0 }),
        );
      case OP.LONG4:
        return this.sized(at, q, 4, (s, n) =>
          this.push1({ k: 'int', v: n <= 6 ? signedLE(this.buf, s - this.base, n) : 0 }),
        );
      case OP.SHORT_BINSTRING:
        return this.sized(at, q, 1, (s, n) => this.pushString(this.text(s, s + n, 'latin1'), at));
      case OP.BINSTRING:
        return this.sized(at, q, 4, (s, n) => this.pushString(this.text(s, s + n, 'latin1'), at), true);
      case OP.SHORT_BINUNICODE:
        return this.sized(at, q, 1, (s, n) => this.pushString(this.text(s, s + n, 'utf8'), at));
      case OP.BINUNICODE:
        return this.sized(at, q, 4, (s, n) => this.pushString(this.text(s, s + n, 'utf8'), at));
      case OP.BINUNICODE8:
        return this.sized(at, q, 8, (s, n) => this.pushString(this.text(s, s + n, 'utf8'), at));
      case OP.SHORT_BINBYTES:
        return this.sized(at, q, 1, (s, n) => this.pushBytes(s, n, at));
      case OP.BINBYTES:
        return this.sized(at, q, 4, (s, n) => this.pushBytes(s, n, at));
      case OP.BINBYTES8:
      case OP.BYTEARRAY8:
        return this.sized(at, q, 8, (s, n) => this.pushBytes(s, n, at));
      case OP.INT:
        return this.textArg(at, q, (t) => {
          const value = parsePythonInt(t, 0);
          if (value === undefined) this.fail(at, `INT argument is not a number: ${JSON.stringify(t.slice(0, 40))}`);
          this.push1(t === '00' || t === '01' ? BOOL : { k: 'int', v: value });
        });
      case OP.LONG:
        return this.textArg(at, q, (t) => {
          const value = parsePythonInt(t.replace(/L$/, ''), 0);
          if (value === undefined) this.fail(at, `LONG argument is not a number: ${JSON.stringify(t.slice(0, 40))}`);
          this.push1({ k: 'int', v: value });
        });
      case OP.FLOAT:
        // float() accepts more spellings than a regex should guess at; only text with no number in it is refused.
        return this.textArg(at, q, (t) => {
          if (!/^[\s\w.+-]*$/.test(t) || !/\d|inf|nan/i.test(t)) this.fail(at, 'FLOAT argument is not a number');
          this.push1(FLOAT);
        });
      case OP.STRING:
        return this.textArg(at, q, (t) =>
          this.pushString(
            unquotePython(t, () => this.fail(at, 'STRING argument is not quoted')),
            at,
          ),
        );
      case OP.UNICODE:
        return this.textArg(at, q, (t) => this.pushString(rawUnicodeEscape(t), at), 'latin1');
      case OP.GET:
        return this.textArg(at, q, (t) =>
          this.get(parsePythonInt(t, 10) ?? this.fail(at, 'GET index is not a number'), at),
        );
      case OP.PUT:
        return this.textArg(at, q, (t) =>
          this.put(parsePythonInt(t, 10) ?? this.fail(at, 'PUT index is not a number'), at),
        );
      case OP.PERSID:
        return this.textArg(at, q, () => this.push1(PERSISTENT));
      case OP.BINPERSID:
        this.pop1(at);
        this.push1(PERSISTENT);
        return this.done(q);
      case OP.GLOBAL:
      case OP.INST:
        return this.globalOp(at, q, op === OP.INST);
      case OP.STACK_GLOBAL: {
        const name = this.pop1(at);
        const module = this.pop1(at);
        if (module.k === 'str' && name.k === 'str') {
          this.push1({ k: 'global', fact: this.importGlobal(module.v, name.v, 'STACK_GLOBAL', at) });
        } else {
          const detail = `module ${describe(module)} and name ${describe(name)} are not both known strings`;
          this.push1({ k: 'global', fact: this.unresolved('STACK_GLOBAL', at, detail) });
        }
        return this.done(q);
      }
      case OP.REDUCE: {
        const args = this.pop1(at);
        const callee = this.pop1(at);
        this.push1(this.call(callee, args.k === 'tuple' ? args.items : [args], 'CALL', at));
        return this.done(q);
      }
      case OP.BUILD: {
        const state = this.pop1(at);
        const target = this.top(at);
        if (target.k === 'global') this.call(target, [state], 'BUILD', at);
        return this.done(q);
      }
      case OP.NEWOBJ: {
        const args = this.pop1(at);
        const cls = this.pop1(at);
        this.push1(this.call(cls, args.k === 'tuple' ? args.items : [args], 'CALL', at));
        return this.done(q);
      }
      case OP.NEWOBJ_EX: {
        const kwargs = this.pop1(at);
        const args = this.pop1(at);
        const cls = this.pop1(at);
        this.push1(this.call(cls, [...(args.k === 'tuple' ? args.items : [args]), kwargs], 'CALL', at));
        return this.done(q);
      }
      case OP.OBJ: {
        const items = this.popMark(at);
        if (items.length === 0) this.fail(at, 'OBJ without a class');
        this.push1(this.call(items[0], items.slice(1), 'CALL', at));
        return this.done(q);
      }
      case OP.APPEND:
        this.pop1(at);
        this.top(at);
        return this.done(q);
      case OP.APPENDS:
      case OP.SETITEMS:
      case OP.ADDITEMS:
        this.popMark(at);
        this.top(at);
        return this.done(q);
      case OP.SETITEM:
        this.pop1(at);
        this.pop1(at);
        this.top(at);
        return this.done(q);
      case OP.LIST:
        this.popMark(at);
        this.push1(LIST);
        return this.done(q);
      case OP.DICT:
        this.popMark(at);
        this.push1(DICT);
        return this.done(q);
      case OP.FROZENSET:
        this.popMark(at);
        this.push1(SET);
        return this.done(q);
      case OP.TUPLE:
        this.push1(tuple(this.popMark(at)));
        return this.done(q);
      case OP.TUPLE1:
      case OP.TUPLE2:
      case OP.TUPLE3: {
        const count = op - OP.TUPLE1 + 1;
        const items: Value[] = [];
        for (let i = 0; i < count; i++) items.unshift(this.pop1(at));
        this.push1(tuple(items));
        return this.done(q);
      }
      case OP.NEXT_BUFFER:
        this.push1(BUFFER);
        return this.done(q);
      case OP.READONLY_BUFFER:
        this.top(at);
        return this.done(q);
      default:
        this.fail(at, `invalid opcode 0x${op.toString(16).padStart(2, '0')}`);
    }
  }

  private done(next: number): number {
    this.consumed(next);
    return next;
  }

  /** An opcode with a fixed-size argument. */
  private fixed(at: number, q: number, n: number, apply: (start: number) => void): number {
    const start = this.locate(q, n, at);
    if (!this.available(start, n)) return NEED_MORE;
    apply(start);
    return this.done(start + n);
  }

  /** An opcode with a length prefix of `width` bytes followed by that many bytes. */
  private sized(
    at: number,
    q: number,
    width: number,
    apply: (start: number, n: number) => void,
    signed = false,
  ): number {
    const start = this.locate(q, width, at);
    if (!this.available(start, width)) return NEED_MORE;
    const n = signed ? this.int32(start) : this.uint(start, width);
    if (n < 0) this.fail(at, `negative length ${n}`);
    const dataAt = this.locate(start + width, n, at);
    if (n > this.limits.maxInline) {
      // Bulk data (tensor bytes, big strings): the position jumps past it, and chunks before it are dropped unread.
      this.bulkStart = at;
      this.push1({ k: 'bytes', len: n });
      return this.done(dataAt + n);
    }
    if (!this.available(dataAt, n)) return NEED_MORE;
    apply(dataAt, n);
    return this.done(dataAt + n);
  }

  private textArg(
    at: number,
    q: number,
    apply: (text: string) => void,
    encoding: 'utf8' | 'latin1' = 'latin1',
  ): number {
    const line = this.line(q, at);
    if (line === NEED_MORE) return NEED_MORE;
    let text = this.text(line[0], line[1], encoding);
    if (text.endsWith('\r')) text = text.slice(0, -1);
    apply(text);
    return this.done(line[2]);
  }

  private globalOp(at: number, q: number, isInst: boolean): number {
    const first = this.line(q, at);
    if (first === NEED_MORE) return NEED_MORE;
    const second = this.line(first[2], at);
    if (second === NEED_MORE) return NEED_MORE;
    const module = this.strictUtf8(first[0], first[1], at);
    const name = this.strictUtf8(second[0], second[1], at);
    const fact = this.importGlobal(module, name, isInst ? 'INST' : 'GLOBAL', at);
    const value: Value = { k: 'global', fact };
    if (isInst) this.push1(this.call(value, this.popMark(at), 'CALL', at));
    else this.push1(value);
    return this.done(second[2]);
  }

  private strictUtf8(start: number, end: number, at: number): string {
    try {
      return STRICT_UTF8.decode(this.buf.subarray(start - this.base, end - this.base));
    } catch {
      this.fail(at, 'a module or name is not valid UTF-8; the loader raises before importing anything');
    }
  }

  private frame(at: number, q: number): number {
    const start = this.locate(q, 8, at);
    if (!this.available(start, 8)) return NEED_MORE;
    const length = this.uint(start, 8);
    const after = start + 8;
    if (after < this.cEnd) {
      // A FRAME inside an unfinished frame.
      if (this.view === 'frame-skipping') {
        this.frameStart = at;
        if (after + length > this.cEnd) {
          this.p = this.cEnd;
          this.cEnd += length;
          return this.p;
        }
        this.p = after;
        return after;
      }
      if (!this.framesIgnored) this.diverge(at, `a FRAME at offset ${at} starts before the previous frame ends`);
      this.p = after;
      return after;
    }
    this.frameStart = at;
    this.frameClaim = after + length;
    this.p = after;
    this.cEnd = this.framesIgnored ? after : after + length;
    return after;
  }

  private get(index: number | bigint, at: number): void {
    this.gets++;
    const value = this.memo.get(index);
    if (value === undefined) {
      this.emit({ kind: 'pickle-memo-miss', offset: at, stream: this.stream, view: this.view, index: `${index}` });
      this.push1(UNKNOWN);
    } else {
      this.push1(value);
    }
  }

  private put(index: number | bigint, at: number): void {
    this.puts++;
    if (this.memo.size >= this.limits.maxMemo)
      this.limit('memo', this.memo.size, `more than ${this.limits.maxMemo} memo entries`);
    this.memo.set(index, forMemo(this.top(at)));
  }

  private ext(opcode: PickleOpcodeName, code: number, at: number): void {
    const detail = `copyreg extension code ${code}: the global comes from the process's extension registry`;
    this.push1({ k: 'global', fact: this.unresolved(opcode, at, detail) });
  }
}

export class LimitReached extends Error {}

const UTF8 = new TextDecoder('utf-8');
const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true });

function tuple(items: Value[]): Value {
  return items.length <= TUPLE_KEEP ? { k: 'tuple', items } : { k: 'other', what: `tuple of ${items.length}` };
}

function signedLE(buf: Uint8Array, index: number, n: number): number {
  if (n === 0) return 0;
  let value = 0;
  for (let i = n - 1; i >= 0; i--) value = value * 256 + buf[index + i];
  return buf[index + n - 1] & 0x80 ? value - 2 ** (8 * n) : value;
}

/**
 * Parses text the way Python's int(text, base) and the C unpickler's strtol do (base 0: 0x / 0o / 0b prefixes;
 * underscores between digits; surrounding whitespace; a sign). Returns undefined only where every loader raises,
 * so the walker never stops earlier than loading does.
 */
export function parsePythonInt(text: string, base: 0 | 10): bigint | undefined {
  const match = /^\s*([-+]?)(0[xX](?:_?[0-9a-fA-F])+|0[oO](?:_?[0-7])+|0[bB](?:_?[01])+|\d(?:_?\d)*)\s*$/.exec(text);
  if (!match) return undefined;
  const digits = match[2].replace(/_/g, '');
  const prefixed = /^0[xXoObB]/.test(digits);
  if (prefixed && base === 10) return undefined;
  // "007" is refused by int(text, 0) but read as octal by the C unpickler's strtol: accept it, as one loader does.
  const value = BigInt(prefixed ? digits.toLowerCase() : digits.replace(/^0+(?=\d)/, ''));
  return match[1] === '-' ? -value : value;
}

/** Decodes a protocol-0 STRING argument: a Python repr in single or double quotes. */
function unquotePython(text: string, onError: () => never): string {
  const quote = text[0];
  if ((quote !== "'" && quote !== '"') || text.length < 2 || text[text.length - 1] !== quote) onError();
  return text.slice(1, -1).replace(/\\(x[0-9a-fA-F]{2}|[0-7]{1,3}|.)/g, (_, sequence: string) => {
    if (sequence[0] === 'x') return String.fromCharCode(Number.parseInt(sequence.slice(1), 16));
    if (/^[0-7]/.test(sequence)) return String.fromCharCode(Number.parseInt(sequence, 8));
    return ({ n: '\n', r: '\r', t: '\t' } as Record<string, string>)[sequence] ?? sequence;
  });
}

/** Decodes a protocol-0 UNICODE argument (raw-unicode-escape). */
function rawUnicodeEscape(text: string): string {
  return text.replace(/\\u([0-9a-fA-F]{4})|\\U([0-9a-fA-F]{8})/g, (_, short?: string, long?: string) =>
    String.fromCodePoint(Number.parseInt((short ?? long)!, 16)),
  );
}

function describe(value: Value): string {
  switch (value.k) {
    case 'str':
      return JSON.stringify(value.v.slice(0, 60));
    case 'unknown':
      return '(unknown: a memo slot that was never written)';
    case 'global':
      return value.fact.kind === 'pickle-global'
        ? `the object ${value.fact.module}.${value.fact.name}`
        : 'an unresolved global';
    case 'call':
      return 'the result of a call';
    default:
      return `a ${value.k === 'other' ? value.what : value.k}`;
  }
}

function preview(value: Value): string {
  const rendered = render(value, 0);
  return rendered.length > PREVIEW_MAX ? `${rendered.slice(0, PREVIEW_MAX)}…` : rendered;
}

function render(value: Value, depth: number): string {
  switch (value.k) {
    case 'str':
      return pyRepr(value.v.length > PREVIEW_MAX ? `${value.v.slice(0, PREVIEW_MAX)}…` : value.v);
    case 'bytes':
      return `<${value.len} bytes>`;
    case 'int':
      return String(value.v);
    case 'global':
      return value.fact.kind === 'pickle-global' ? `${value.fact.module}.${value.fact.name}` : '<unresolved global>';
    case 'call':
      return value.fact?.kind === 'pickle-global' ? `${value.fact.module}.${value.fact.name}(…)` : '<call result>';
    case 'tuple': {
      if (depth > 3) return '(…)';
      const inner = value.items.map((item) => render(item, depth + 1));
      return inner.length === 1 ? `(${inner[0]},)` : `(${inner.join(', ')})`;
    }
    case 'unknown':
      return '<unknown>';
    default:
      return `<${value.what}>`;
  }
}

function pyRepr(text: string): string {
  return `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\n/g, '\\n')}'`;
}

/** Walks a whole stream (convenience for callers that already hold an async iterable). */
export async function walkPickle(
  chunks: AsyncIterable<Uint8Array>,
  observer: PickleObserver,
  limits: PickleLimits = DEFAULT_PICKLE_LIMITS,
): Promise<void> {
  const walker = new PickleWalker(observer, limits);
  try {
    for await (const chunk of chunks) walker.push(chunk);
    walker.end();
  } catch (error) {
    if (!(error instanceof LimitReached)) throw error;
  }
}

export { opcodeName };
