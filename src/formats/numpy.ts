/**
 * NumPy `.npy` headers. The header is a Python dict literal; numpy evaluates it with `ast.literal_eval`.
 * Here a tiny parser accepts exactly the literal grammar such headers use (strings, ints, booleans,
 * None, tuples, lists, dicts) and nothing is ever evaluated.
 */

export interface NpyHeader {
  /** "major.minor", e.g. "1.0". */
  version: string;
  /** The dtype description as Python would print it: `'<i4'` → `<i4`, structured → `[('a', '<i4'), ('b', '|O')]`. */
  descr: string;
  fortranOrder: boolean;
  shape: number[];
  /** Length of the dict literal and its padding (numpy refuses more than 10,000 bytes by default). */
  headerLength: number;
  /** Where the array data starts: for object arrays, a pickle. */
  dataOffset: number;
  /** Some field has an object type ('O'): loading the data means unpickling it. */
  hasObjects: boolean;
}

export interface NpyHeaderError {
  error: string;
  /** Byte offset in the file where the header stops making sense. */
  offset: number;
}

/** Far above numpy's default `max_header_size` (10,000), which `allow_pickle=True` bypasses. */
export const NPY_MAX_HEADER_LENGTH = 1_000_000;
const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY
const MAX_DEPTH = 32;

export function isNpy(head: Uint8Array): boolean {
  return head.length >= MAGIC.length && MAGIC.every((byte, i) => head[i] === byte);
}

export function isNpyHeaderError(result: NpyHeader | NpyHeaderError): result is NpyHeaderError {
  return 'error' in result;
}

/** How many leading bytes `parseNpyHeader` needs (the data offset), once the first 12 are known. */
export function npyPrefixLength(head: Uint8Array): number | undefined {
  if (!isNpy(head) || head.length < 12) return undefined;
  const major = head[6];
  if (major === 1) return 10 + (head[8] | (head[9] << 8));
  if (major === 2 || major === 3) return 12 + ((head[8] | (head[9] << 8) | (head[10] << 16) | (head[11] << 24)) >>> 0);
  return undefined;
}

type PyValue = { at: number } & (
  | { kind: 'str'; value: string }
  | { kind: 'int'; value: number }
  | { kind: 'bool'; value: boolean }
  | { kind: 'none' }
  | { kind: 'tuple' | 'list'; items: PyValue[] }
  | { kind: 'dict'; entries: [PyValue, PyValue][] }
);

class LiteralError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
  }
}

/** Python literal subset over bytes [at, end) of the file; offsets are file offsets. Non-ASCII only occurs in strings. */
class LiteralParser {
  constructor(
    private readonly bytes: Uint8Array,
    private at: number,
    private readonly end: number,
    private readonly decoder: { decode(bytes: Uint8Array): string },
    /** npy 1.0/2.0 headers written by Python 2 may carry long suffixes (`3L`); numpy filters them. */
    private readonly allowLongSuffix: boolean,
  ) {}

  private fail(message: string, at = this.at): never {
    throw new LiteralError(message, at);
  }

  private skipSpace() {
    while (this.at < this.end) {
      const byte = this.bytes[this.at];
      if (byte !== 0x20 && byte !== 0x09 && byte !== 0x0a && byte !== 0x0d && byte !== 0x0c) break;
      this.at++;
    }
  }

  private peek(): string {
    this.skipSpace();
    return this.at < this.end ? String.fromCharCode(this.bytes[this.at]) : '';
  }

  parseDocument(): PyValue {
    const value = this.value(0);
    if (this.peek() !== '') this.fail(`unexpected ${JSON.stringify(this.peek())} after the header literal`);
    return value;
  }

  private value(depth: number): PyValue {
    if (depth > MAX_DEPTH) this.fail(`literal nested deeper than ${MAX_DEPTH} levels`);
    const next = this.peek();
    const at = this.at;
    if (next === '') this.fail('header ends where a value is expected');
    if (next === "'" || next === '"') return { at, kind: 'str', value: this.string() };
    if (
      (next === 'u' || next === 'U') &&
      at + 1 < this.end &&
      (this.bytes[at + 1] === 0x27 || this.bytes[at + 1] === 0x22)
    ) {
      this.at++;
      return { at, kind: 'str', value: this.string() };
    }
    if (next === '-' || next === '+' || (next >= '0' && next <= '9')) return { at, kind: 'int', value: this.integer() };
    if (next === '(') return this.sequence(depth, '(', ')', 'tuple');
    if (next === '[') return this.sequence(depth, '[', ']', 'list');
    if (next === '{') return this.dict(depth);
    const word = this.word();
    if (word === 'True' || word === 'False') return { at, kind: 'bool', value: word === 'True' };
    if (word === 'None') return { at, kind: 'none' };
    return this.fail(`unexpected ${word ? `name "${word}"` : JSON.stringify(next)}: only literals are allowed`, at);
  }

  private word(): string {
    const start = this.at;
    while (this.at < this.end && /[A-Za-z0-9_]/.test(String.fromCharCode(this.bytes[this.at]))) this.at++;
    return String.fromCharCode(...this.bytes.subarray(start, Math.min(this.at, start + 40)));
  }

  private integer(): number {
    const start = this.at;
    if (this.bytes[this.at] === 0x2d || this.bytes[this.at] === 0x2b) this.at++;
    const digitsStart = this.at;
    while (this.at < this.end && this.bytes[this.at] >= 0x30 && this.bytes[this.at] <= 0x39) this.at++;
    if (this.at === digitsStart) this.fail('expected digits', start);
    if (this.at - digitsStart > 16) this.fail('integer is too large', start);
    const digits = String.fromCharCode(...this.bytes.subarray(start, this.at));
    if (this.at - digitsStart > 1 && this.bytes[digitsStart] === 0x30) this.fail('integer with leading zeros', start);
    if (this.allowLongSuffix && (this.bytes[this.at] === 0x4c || this.bytes[this.at] === 0x6c)) this.at++;
    const value = Number(digits);
    if (!Number.isSafeInteger(value)) this.fail('integer is too large', start);
    return value;
  }

  private string(): string {
    const quote = this.bytes[this.at];
    const start = this.at++;
    const parts: number[] = [];
    let decoded = '';
    const flush = () => {
      decoded += this.decoder.decode(Uint8Array.from(parts));
      parts.length = 0;
    };
    for (;;) {
      if (this.at >= this.end) this.fail('unterminated string', start);
      const byte = this.bytes[this.at++];
      if (byte === quote) break;
      if (byte === 0x0a) this.fail('newline inside a string', this.at - 1);
      if (byte !== 0x5c) {
        parts.push(byte);
        continue;
      }
      flush();
      decoded += this.escape();
    }
    flush();
    return decoded;
  }

  private escape(): string {
    const at = this.at - 1;
    if (this.at >= this.end) this.fail('unterminated string', at);
    const code = String.fromCharCode(this.bytes[this.at++]);
    const simple: Record<string, string> = {
      '\\': '\\',
      "'": "'",
      '"': '"',
      n: '\n',
      t: '\t',
      r: '\r',
      '0': '\0',
      a: '\x07',
      b: '\b',
      f: '\f',
      v: '\v',
      '\n': '',
    };
    if (code in simple) return simple[code];
    const hexLength = code === 'x' ? 2 : code === 'u' ? 4 : code === 'U' ? 8 : 0;
    if (hexLength === 0) return `\\${code}`; // Python keeps unknown escapes as written
    const hex = String.fromCharCode(...this.bytes.subarray(this.at, Math.min(this.end, this.at + hexLength)));
    if (!new RegExp(`^[0-9a-fA-F]{${hexLength}}$`).test(hex)) this.fail(`invalid \\${code} escape`, at);
    this.at += hexLength;
    const point = Number.parseInt(hex, 16);
    if (point > 0x10ffff) this.fail(`invalid \\${code} escape`, at);
    return String.fromCodePoint(point);
  }

  private expect(char: string) {
    if (this.peek() !== char)
      this.fail(this.peek() === '' ? `header ends where "${char}" is expected` : `expected "${char}"`);
    this.at++;
  }

  private sequence(depth: number, open: string, close: string, kind: 'tuple' | 'list'): PyValue {
    const at = this.at;
    this.expect(open);
    const items: PyValue[] = [];
    let trailingComma = false;
    while (this.peek() !== close) {
      items.push(this.value(depth + 1));
      trailingComma = false;
      if (this.peek() !== ',') break;
      this.at++;
      trailingComma = true;
    }
    this.expect(close);
    // `(x)` is x in parentheses; only `(x,)` is a one-item tuple.
    if (kind === 'tuple' && items.length === 1 && !trailingComma) return items[0];
    return { at, kind, items };
  }

  private dict(depth: number): PyValue {
    const at = this.at;
    this.expect('{');
    const entries: [PyValue, PyValue][] = [];
    while (this.peek() !== '}') {
      const key = this.value(depth + 1);
      this.expect(':');
      entries.push([key, this.value(depth + 1)]);
      if (this.peek() !== ',') break;
      this.at++;
    }
    this.expect('}');
    return { at, kind: 'dict', entries };
  }
}

/** Python's repr of a literal, which is how numpy prints a descr. */
function pyRepr(value: PyValue): string {
  switch (value.kind) {
    case 'str': {
      const quote = value.value.includes("'") && !value.value.includes('"') ? '"' : "'";
      const escaped = value.value.replace(
        /[\\\n\r\t]/g,
        (c) => ({ '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t' })[c] ?? c,
      );
      return quote + (quote === "'" ? escaped.replace(/'/g, "\\'") : escaped) + quote;
    }
    case 'int':
      return String(value.value);
    case 'bool':
      return value.value ? 'True' : 'False';
    case 'none':
      return 'None';
    case 'tuple':
      return value.items.length === 1 ? `(${pyRepr(value.items[0])},)` : `(${value.items.map(pyRepr).join(', ')})`;
    case 'list':
      return `[${value.items.map(pyRepr).join(', ')}]`;
    case 'dict':
      return `{${value.entries.map(([k, v]) => `${pyRepr(k)}: ${pyRepr(v)}`).join(', ')}}`;
  }
}

/**
 * Whether a numpy type string means Python objects: 'O', '|O', 'O8', 'object', also inside a
 * comma-separated list ('i4,O') or after a subarray shape ('(2,)O'), which np.dtype accepts too.
 */
function typeStringHasObjects(typeString: string): boolean {
  // Split on commas outside subarray shapes.
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < typeString.length; i++) {
    const char = typeString[i];
    if (char === '(') depth++;
    else if (char === ')') depth--;
    else if (char === ',' && depth === 0) {
      parts.push(typeString.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(typeString.slice(start));
  return parts.some((part) => {
    const bare = part
      .trim()
      .replace(/^\([^)]*\)/, '')
      .replace(/^[<>|=!]/, '');
    return /^(O\d*|object_?)$/.test(bare);
  });
}

/** Checks a descr the way numpy's `descr_to_dtype` walks it; returns whether any field holds objects. */
function checkDescr(descr: PyValue): boolean {
  const isShape = (value: PyValue) =>
    (value.kind === 'int' && value.value >= 0) ||
    (value.kind === 'tuple' && value.items.every((item) => item.kind === 'int' && item.value >= 0));
  if (descr.kind === 'str') {
    if (descr.value === '') throw new LiteralError('empty dtype', descr.at);
    return typeStringHasObjects(descr.value);
  }
  if (descr.kind === 'tuple') {
    // (base, shape): a subarray type.
    if (descr.items.length !== 2 || !isShape(descr.items[1])) {
      throw new LiteralError('a tuple descr must be (dtype, shape)', descr.at);
    }
    return checkDescr(descr.items[0]);
  }
  if (descr.kind !== 'list') {
    throw new LiteralError('descr must be a string, a (dtype, shape) tuple or a list of fields', descr.at);
  }
  let objects = false;
  for (const field of descr.items) {
    if (field.kind !== 'tuple' || field.items.length < 2 || field.items.length > 3) {
      throw new LiteralError('a structured descr field must be (name, dtype) or (name, dtype, shape)', field.at);
    }
    const [name, type, shape] = field.items;
    const titled = name.kind === 'tuple' && name.items.length === 2 && name.items.every((part) => part.kind === 'str');
    if (name.kind !== 'str' && !titled)
      throw new LiteralError('field name must be a string or a (title, name) pair', name.at);
    if (shape !== undefined && !isShape(shape)) {
      throw new LiteralError('field shape must be an integer or a tuple of non-negative integers', shape.at);
    }
    objects = checkDescr(type) || objects;
  }
  return objects;
}

/**
 * Parses the header at the start of `bytes` (which must hold at least `npyPrefixLength` bytes).
 * Errors name the file offset where reading stopped.
 */
export function parseNpyHeader(bytes: Uint8Array): NpyHeader | NpyHeaderError {
  if (!isNpy(bytes)) return { error: 'not a .npy file: missing \\x93NUMPY magic', offset: 0 };
  if (bytes.length < 10) return { error: 'truncated before the header length', offset: bytes.length };
  const major = bytes[6];
  const minor = bytes[7];
  if (major < 1 || major > 3) return { error: `unsupported .npy format version ${major}.${minor}`, offset: 6 };
  const lengthSize = major === 1 ? 2 : 4;
  const headerStart = 8 + lengthSize;
  if (bytes.length < headerStart) return { error: 'truncated before the header length', offset: bytes.length };
  const headerLength = npyPrefixLength(bytes)! - headerStart;
  if (headerLength > NPY_MAX_HEADER_LENGTH) {
    return { error: `header length ${headerLength} exceeds the ${NPY_MAX_HEADER_LENGTH}-byte limit`, offset: 8 };
  }
  const dataOffset = headerStart + headerLength;
  if (bytes.length < dataOffset) {
    return {
      error: `truncated header: ${headerLength} bytes declared, ${bytes.length - headerStart} present`,
      offset: bytes.length,
    };
  }
  const decoder = new TextDecoder(major === 3 ? 'utf-8' : 'latin1');
  try {
    const dict = new LiteralParser(bytes, headerStart, dataOffset, decoder, major < 3).parseDocument();
    if (dict.kind !== 'dict') throw new LiteralError('header is not a dict literal', dict.at);
    const fields = new Map<string, PyValue>();
    for (const [key, value] of dict.entries) {
      if (key.kind !== 'str' || !['descr', 'fortran_order', 'shape'].includes(key.value)) {
        throw new LiteralError(`unexpected header key ${pyRepr(key)}`, key.at);
      }
      // Python keeps the last of repeated keys.
      fields.set(key.value, value);
    }
    for (const key of ['descr', 'fortran_order', 'shape']) {
      if (!fields.has(key)) throw new LiteralError(`header has no '${key}' key`, dict.at);
    }
    const descr = fields.get('descr')!;
    const fortranOrder = fields.get('fortran_order')!;
    const shape = fields.get('shape')!;
    if (fortranOrder.kind !== 'bool') throw new LiteralError("'fortran_order' must be True or False", fortranOrder.at);
    if (shape.kind !== 'tuple' || !shape.items.every((item) => item.kind === 'int')) {
      throw new LiteralError("'shape' must be a tuple of integers", shape.at);
    }
    const dimensions = shape.items.map((item) => (item as { value: number }).value);
    const negative = shape.items.find((item) => (item as { value: number }).value < 0);
    if (negative) throw new LiteralError("'shape' has a negative dimension", negative.at);
    const hasObjects = checkDescr(descr);
    return {
      version: `${major}.${minor}`,
      descr: descr.kind === 'str' ? descr.value : pyRepr(descr),
      fortranOrder: fortranOrder.value,
      shape: dimensions,
      headerLength,
      dataOffset,
      hasObjects,
    };
  } catch (error) {
    if (error instanceof LiteralError) return { error: error.message, offset: error.offset };
    throw error;
  }
}
