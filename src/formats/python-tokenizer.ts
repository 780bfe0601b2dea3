/**
 * A Python tokenizer after CPython's `tokenize` rules, for static analysis only: names (NFKC-normalised, as the
 * interpreter does), numbers, strings with every prefix (r, b, u, f, t and their combinations, triple quotes,
 * backslash continuations), comments, operators, and logical line ends. INDENT / DEDENT are not produced.
 *
 * Hostile input is normal: it never throws, recovers from errors (reported with their position), and stops at
 * `maxTokens`. f-string replacement fields are tokenized too (they are code that runs), with their own positions.
 */

export type TokenType = 'name' | 'number' | 'string' | 'op' | 'comment' | 'newline' | 'error';

export interface Token {
  type: TokenType;
  /** The source text (names are NFKC-normalised; strings keep prefix and quotes). */
  value: string;
  /** 1-based line and column of the first character. */
  line: number;
  column: number;
  /** Strings: the prefix, lower-cased (`''`, `r`, `b`, `rb`, `f`, ...). */
  prefix?: string;
  /** Strings: the decoded value (bytes as Latin-1 text); absent for f-strings, whose value is computed. */
  literal?: string;
  /** f-strings: the code inside each replacement field, tokenized. */
  fields?: Token[][];
}

export interface TokenizeError {
  line: number;
  column: number;
  detail: string;
}

export interface TokenizeResult {
  tokens: Token[];
  errors: TokenizeError[];
  /** The token limit stopped tokenizing: what follows was not read. */
  truncated: boolean;
}

export interface TokenizeOptions {
  maxTokens?: number;
  /** Position of the first character (for code inside f-strings or exec literals). */
  line?: number;
  column?: number;
  /** Keep comment tokens (dropped by default). */
  comments?: boolean;
}

export const DEFAULT_MAX_TOKENS = 2_000_000;
/** f-strings nest inside f-strings; deeper nesting than this is not tokenized further. */
const MAX_FSTRING_DEPTH = 8;

const NAME =
  /[\p{L}\p{Nl}_\u1885\u1886\u2118\u212e\u309b\u309c][\p{L}\p{Nl}\p{Mn}\p{Mc}\p{Nd}\p{Pc}\u00b7\u0387\u1369-\u1371\u19da\u30fb\uff65]*/uy;
const NUMBER =
  /(?:0[xX](?:_?[0-9a-fA-F])+|0[bB](?:_?[01])+|0[oO](?:_?[0-7])+|(?:\d(?:_?\d)*(?:\.(?:\d(?:_?\d)*)?)?|\.\d(?:_?\d)*)(?:[eE][+-]?\d(?:_?\d)*)?[jJ]?)/y;
const OPERATORS = [
  '**=',
  '//=',
  '>>=',
  '<<=',
  '...',
  '!=',
  '**',
  '//',
  '>>',
  '<<',
  '<=',
  '>=',
  '==',
  '->',
  '+=',
  '-=',
  '*=',
  '/=',
  '%=',
  '&=',
  '|=',
  '^=',
  '@=',
  ':=',
];
const SINGLE_OPERATORS = new Set('+-*/%@&|^~<>()[]{},:;.=!');
const STRING_PREFIXES = new Set(['r', 'u', 'b', 'f', 't', 'br', 'rb', 'fr', 'rf', 'tr', 'rt']);
const OPENERS: Record<string, number> = { '(': 1, '[': 1, '{': 1, ')': -1, ']': -1, '}': -1 };

export function tokenize(source: string, options: TokenizeOptions = {}): TokenizeResult {
  const result: TokenizeResult = { tokens: [], errors: [], truncated: false };
  new Tokenizer(source, options, result, 0).run();
  return result;
}

class Tokenizer {
  private pos = 0;
  private line: number;
  private lineStart: number;
  private depth = 0;
  private readonly max: number;

  constructor(
    private readonly src: string,
    private readonly options: TokenizeOptions,
    private readonly out: TokenizeResult,
    private readonly nesting: number,
  ) {
    this.max = options.maxTokens ?? DEFAULT_MAX_TOKENS;
    this.line = options.line ?? 1;
    // Column of src[0] is options.column; lineStart is chosen so that column = pos - lineStart + 1.
    this.lineStart = 1 - (options.column ?? 1);
    if (src.charCodeAt(0) === 0xfeff) this.pos = 1;
  }

  private get column(): number {
    return this.pos - this.lineStart + 1;
  }

  private push(token: Token): boolean {
    if (this.out.tokens.length >= this.max) {
      this.out.truncated = true;
      return false;
    }
    this.out.tokens.push(token);
    return true;
  }

  private error(detail: string, line = this.line, column = this.column) {
    if (this.out.errors.length < 100) this.out.errors.push({ line, column, detail });
  }

  private newline(at: number, length: number) {
    this.pos = at + length;
    this.line++;
    this.lineStart = this.pos;
  }

  /** Length of the line break at `at` (\n, \r\n or \r), or 0. */
  private breakAt(at: number): number {
    const c = this.src.charCodeAt(at);
    if (c === 10) return 1;
    if (c === 13) return this.src.charCodeAt(at + 1) === 10 ? 2 : 1;
    return 0;
  }

  run(): void {
    const src = this.src;
    let lineHasTokens = false;
    while (this.pos < src.length) {
      if (this.out.truncated) return;
      const c = src[this.pos];
      const lineBreak = this.breakAt(this.pos);
      if (lineBreak > 0) {
        if (this.depth === 0 && lineHasTokens) {
          if (!this.push({ type: 'newline', value: '\n', line: this.line, column: this.column })) return;
          lineHasTokens = false;
        }
        this.newline(this.pos, lineBreak);
        continue;
      }
      if (c === ' ' || c === '\t' || c === '\f') {
        this.pos++;
        continue;
      }
      if (c === '\\') {
        const after = this.breakAt(this.pos + 1);
        if (after > 0) {
          this.newline(this.pos + 1, after);
          continue;
        }
        this.error('a backslash outside a string that does not end the line');
        this.pos++;
        continue;
      }
      if (c === '#') {
        let end = this.pos;
        while (end < src.length && this.breakAt(end) === 0) end++;
        if (this.options.comments) {
          if (!this.push({ type: 'comment', value: src.slice(this.pos, end), line: this.line, column: this.column }))
            return;
        }
        this.pos = end;
        continue;
      }
      lineHasTokens = true;
      if (c === '"' || c === "'") {
        this.string('');
        continue;
      }
      NAME.lastIndex = this.pos;
      const name = NAME.exec(src);
      if (name) {
        const text = name[0];
        const next = src[this.pos + text.length];
        if ((next === '"' || next === "'") && STRING_PREFIXES.has(text.toLowerCase())) {
          this.string(text);
          continue;
        }
        const token: Token = { type: 'name', value: text.normalize('NFKC'), line: this.line, column: this.column };
        this.pos += text.length;
        if (!this.push(token)) return;
        continue;
      }
      NUMBER.lastIndex = this.pos;
      const number = /[\d.]/.test(c) ? NUMBER.exec(src) : null;
      if (number && number[0] !== '.' && number[0].length > 0) {
        const token: Token = { type: 'number', value: number[0], line: this.line, column: this.column };
        this.pos += number[0].length;
        if (!this.push(token)) return;
        continue;
      }
      const op =
        OPERATORS.find((candidate) => src.startsWith(candidate, this.pos)) ?? (SINGLE_OPERATORS.has(c) ? c : '');
      if (op) {
        this.depth = Math.max(0, this.depth + (OPENERS[op] ?? 0));
        const token: Token = { type: 'op', value: op, line: this.line, column: this.column };
        this.pos += op.length;
        if (!this.push(token)) return;
        continue;
      }
      const code = src.codePointAt(this.pos) ?? 0;
      const char = String.fromCodePoint(code);
      this.error(`unexpected character ${JSON.stringify(char)}`);
      if (!this.push({ type: 'error', value: char, line: this.line, column: this.column })) return;
      this.pos += char.length;
    }
    if (lineHasTokens) this.push({ type: 'newline', value: '', line: this.line, column: this.column });
  }

  /** A string literal starting at `pos` with `prefix` before the quote. */
  private string(prefix: string): void {
    const src = this.src;
    const line = this.line;
    const column = this.column;
    const start = this.pos;
    const lower = prefix.toLowerCase();
    const formatted = lower.includes('f') || lower.includes('t');
    const raw = lower.includes('r');
    this.pos += prefix.length;
    const quote = src[this.pos];
    const triple = src.startsWith(quote.repeat(3), this.pos);
    const delimiter = triple ? quote.repeat(3) : quote;
    this.pos += delimiter.length;
    const bodyStart = this.pos;
    let bodyEnd = -1;
    const fields: Token[][] = [];
    let braces = 0;
    let fieldStart = -1;
    let fieldLine = 0;
    let fieldColumn = 0;
    while (this.pos < src.length) {
      const c = src[this.pos];
      const lineBreak = this.breakAt(this.pos);
      if (lineBreak > 0) {
        if (!triple && braces === 0) break;
        this.newline(this.pos, lineBreak);
        continue;
      }
      if (formatted && braces > 0) {
        // Inside a replacement field: code, with strings of its own (PEP 701 allows the same quote again).
        if (c === '"' || c === "'") {
          this.nestedString();
          continue;
        }
        if (c === '{' || c === '[' || c === '(') braces++;
        else if (c === '}' || c === ']' || c === ')') {
          braces--;
          if (braces === 0) {
            if (fields.length < 1000) fields.push(this.field(src.slice(fieldStart, this.pos), fieldLine, fieldColumn));
            this.pos++;
            continue;
          }
        }
        // `#` here is a format spec (`{x:#x}`) or, since Python 3.12, a comment: both are harmless to skip.
        this.pos++;
        continue;
      }
      if (c === '\\') {
        const after = this.breakAt(this.pos + 1);
        if (after > 0) this.newline(this.pos + 1, after);
        else this.pos += 2;
        continue;
      }
      if (src.startsWith(delimiter, this.pos)) {
        bodyEnd = this.pos;
        this.pos += delimiter.length;
        break;
      }
      if (formatted && c === '{') {
        if (src[this.pos + 1] === '{') {
          this.pos += 2;
          continue;
        }
        braces = 1;
        this.pos++;
        fieldStart = this.pos;
        fieldLine = this.line;
        fieldColumn = this.column;
        continue;
      }
      this.pos++;
    }
    if (bodyEnd < 0) {
      this.error(triple ? 'unterminated triple-quoted string' : 'unterminated string', line, column);
      bodyEnd = this.pos;
    }
    const token: Token = {
      type: 'string',
      value: src.slice(start, this.pos),
      line,
      column,
      prefix: lower,
    };
    if (formatted) token.fields = fields;
    else token.literal = raw ? src.slice(bodyStart, bodyEnd) : decodeEscapes(src.slice(bodyStart, bodyEnd));
    this.push(token);
  }

  /** Skips a string inside an f-string field (its content is tokenized with the field). */
  private nestedString(): void {
    const src = this.src;
    const quote = src[this.pos];
    const triple = src.startsWith(quote.repeat(3), this.pos);
    const delimiter = triple ? quote.repeat(3) : quote;
    this.pos += delimiter.length;
    while (this.pos < src.length) {
      const lineBreak = this.breakAt(this.pos);
      if (lineBreak > 0) {
        if (!triple) return;
        this.newline(this.pos, lineBreak);
        continue;
      }
      if (src[this.pos] === '\\') {
        this.pos += 2;
        continue;
      }
      if (src.startsWith(delimiter, this.pos)) {
        this.pos += delimiter.length;
        return;
      }
      this.pos++;
    }
  }

  private field(code: string, line: number, column: number): Token[] {
    if (this.nesting >= MAX_FSTRING_DEPTH) {
      this.error('f-strings nested too deeply; the inner ones were not tokenized', line, column);
      return [];
    }
    const inner: TokenizeResult = { tokens: [], errors: this.out.errors, truncated: false };
    const budget = Math.max(0, this.max - this.out.tokens.length);
    new Tokenizer(code, { maxTokens: budget, line, column }, inner, this.nesting + 1).run();
    if (inner.truncated) this.out.truncated = true;
    return inner.tokens.filter((token) => token.type !== 'newline');
  }
}

const SIMPLE_ESCAPES: Record<string, string> = {
  '\\': '\\',
  "'": "'",
  '"': '"',
  a: '\x07',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\v',
};

/** Python's backslash escapes (unknown escapes stay as written, as in Python). */
export function decodeEscapes(body: string): string {
  if (!body.includes('\\')) return body;
  return body.replace(
    /\\(?:(\r\n|\n|\r)|([\\'"abfnrtv])|x([0-9a-fA-F]{2})|([0-7]{1,3})|u([0-9a-fA-F]{4})|U([0-9a-fA-F]{8})|N\{([^}]{1,100})\})/g,
    (match, _lineBreak, simple, hex, octal, u4, u8, named) => {
      if (simple) return SIMPLE_ESCAPES[simple];
      if (hex) return String.fromCharCode(Number.parseInt(hex, 16));
      if (octal) return String.fromCharCode(Number.parseInt(octal, 8) & 0xff);
      if (u4) return String.fromCharCode(Number.parseInt(u4, 16));
      if (u8) {
        const code = Number.parseInt(u8, 16);
        return code <= 0x10ffff ? String.fromCodePoint(code) : match;
      }
      if (named) return match;
      return '';
    },
  );
}

/** Line starts of a text, for turning offsets into lines and lines into their text. */
export class SourceLines {
  private readonly starts: number[] = [0];

  constructor(private readonly text: string) {
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c === 10 || (c === 13 && text.charCodeAt(i + 1) !== 10)) this.starts.push(i + 1);
    }
  }

  /** 1-based line and column of an offset. */
  position(offset: number): { line: number; column: number } {
    let low = 0;
    let high = this.starts.length - 1;
    while (low < high) {
      const middle = (low + high + 1) >> 1;
      if (this.starts[middle] <= offset) low = middle;
      else high = middle - 1;
    }
    return { line: low + 1, column: offset - this.starts[low] + 1 };
  }

  /** The text of a 1-based line, without its line break. */
  line(line: number): string {
    const start = this.starts[line - 1];
    if (start === undefined) return '';
    const end = this.starts[line] ?? this.text.length;
    return this.text.slice(start, end).replace(/\r?\n$|\r$/, '');
  }
}
