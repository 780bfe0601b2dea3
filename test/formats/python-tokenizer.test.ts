import { describe, expect, it } from 'vitest';
import { decodeEscapes, SourceLines, type Token, tokenize } from '../../src/formats/python-tokenizer.js';

const kinds = (tokens: Token[]) => tokens.map((token) => `${token.type}:${token.value}`);
const strings = (source: string) => tokenize(source).tokens.filter((token) => token.type === 'string');

describe('python tokenizer', () => {
  it('reads names, numbers and the longest operators', () => {
    const { tokens, errors } = tokenize('x **= 0x_ff + 1_000.5e-3j - .5 // y; f := a -> b ... c != d\n');
    expect(errors).toEqual([]);
    expect(kinds(tokens)).toEqual([
      'name:x',
      'op:**=',
      'number:0x_ff',
      'op:+',
      'number:1_000.5e-3j',
      'op:-',
      'number:.5',
      'op://',
      'name:y',
      'op:;',
      'name:f',
      'op::=',
      'name:a',
      'op:->',
      'name:b',
      'op:...',
      'name:c',
      'op:!=',
      'name:d',
      'newline:\n',
    ]);
  });

  it('normalises names as the interpreter does (NFKC): full-width exec is exec', () => {
    const [name] = tokenize('ｅｘｅｃ(x)').tokens;
    expect(name).toMatchObject({ type: 'name', value: 'exec' });
  });

  it('decodes strings of every prefix, with and without escapes', () => {
    const [plain, raw, bytes, rawBytes, unicode] = strings(
      String.raw`'a\tb' r'a\tb' b"\x41\101" Rb'\x41' u'\u00e9\N{DASH}'`,
    );
    expect(plain).toMatchObject({ prefix: '', literal: 'a\tb' });
    expect(raw).toMatchObject({ prefix: 'r', literal: String.raw`a\tb` });
    expect(bytes).toMatchObject({ prefix: 'b', literal: 'AA' });
    expect(rawBytes).toMatchObject({ prefix: 'rb', literal: String.raw`\x41` });
    expect(unicode.literal).toBe(String.raw`é\N{DASH}`);
    expect(decodeEscapes('a\\\nb')).toBe('ab');
  });

  it('reads triple-quoted strings over lines and keeps positions after them', () => {
    const { tokens } = tokenize('s = """one\n"two" \'\'\'\nthree"""\nx = 1\n');
    const string = tokens.find((token) => token.type === 'string');
    expect(string?.literal).toBe("one\n\"two\" '''\nthree");
    expect(tokens.find((token) => token.value === 'x')).toMatchObject({ line: 4, column: 1 });
  });

  it('joins lines after a backslash and inside brackets; ends logical lines only outside', () => {
    const { tokens } = tokenize('a = f(1,\n  2) + \\\n  3\nb\n');
    expect(tokens.filter((token) => token.type === 'newline')).toHaveLength(2);
    expect(tokens.find((token) => token.value === '3')).toMatchObject({ line: 3, column: 3 });
  });

  it('tokenizes f-string replacement fields as code, with PEP 701 nested quotes and {{ escapes', () => {
    const [fstring] = strings('f"{{literal}} {os.system("id")!r:>{width}} {x}"');
    expect(fstring.literal).toBeUndefined();
    expect(fstring.fields).toHaveLength(2);
    expect(kinds(fstring.fields?.[0] ?? []).slice(0, 6)).toEqual([
      'name:os',
      'op:.',
      'name:system',
      'op:(',
      'string:"id"',
      'op:)',
    ]);
    expect(fstring.fields?.[0][0]).toMatchObject({ line: 1, column: 16 });
    const [nested] = strings(`f'{f"{eval('1')}"}'`);
    const inner = nested.fields?.[0][0];
    expect(inner?.fields?.[0].map((token) => token.value)).toEqual(['eval', '(', "'1'", ')']);
  });

  it('keeps comments only when asked', () => {
    expect(tokenize('x = 1  # os.system("id")\n').tokens.some((token) => token.value.includes('system'))).toBe(false);
    expect(tokenize('x  # note\n', { comments: true }).tokens[1]).toMatchObject({ type: 'comment', value: '# note' });
  });

  it('recovers from unterminated strings and stray characters, reporting where', () => {
    const { tokens, errors } = tokenize('a = "open\nb = 1 $ 2\nc = """never closed\n');
    expect(errors.map((error) => [error.line, error.detail])).toEqual([
      [1, 'unterminated string'],
      [2, 'unexpected character "$"'],
      [3, 'unterminated triple-quoted string'],
    ]);
    expect(tokens.find((token) => token.value === 'b')).toMatchObject({ line: 2 });
  });

  it('never throws on hostile input and stops at the token limit', () => {
    let seed = 7;
    const alphabet = 'abc_ \n\t\\\'"#(){}[]fFrRbB0123.,:=+-*/%{}\r\u00e9\u202e';
    for (let round = 0; round < 300; round++) {
      let text = '';
      for (let i = 0; i < 200; i++) {
        seed = (seed * 1103515245 + 12345) % 2 ** 31;
        text += alphabet[seed % alphabet.length];
      }
      expect(() => tokenize(text)).not.toThrow();
    }
    expect(() => tokenize(`${'f"{'.repeat(500)}x${'}"'.repeat(500)}`)).not.toThrow();
    const limited = tokenize('a '.repeat(10_000), { maxTokens: 100 });
    expect(limited.truncated).toBe(true);
    expect(limited.tokens).toHaveLength(100);
  });

  it('maps offsets to lines and lines to text (\\n, \\r\\n and \\r)', () => {
    const lines = new SourceLines('one\r\ntwo\rthree\nfour');
    expect(lines.position(0)).toEqual({ line: 1, column: 1 });
    expect(lines.position(6)).toEqual({ line: 2, column: 2 });
    expect(lines.line(3)).toBe('three');
    expect(lines.line(4)).toBe('four');
    expect(lines.line(9)).toBe('');
  });
});
