import { describe, expect, it } from 'vitest';
import { sniffFormat } from '../../src/formats/sniff.js';
import { callPickle, pickle } from '../fixtures/pickle-writer.js';
import { buildZip } from '../fixtures/zip-writer.js';

const text = (value: string) => new TextEncoder().encode(value);

describe('format sniffing looks at bytes only', () => {
  it('recognises pickles of every protocol, including protocol 0 with no magic number', () => {
    for (const protocol of [0, 1, 2, 3, 4, 5])
      expect(sniffFormat(callPickle('os', 'system', 'id', protocol))).toBe('pickle');
    expect(sniffFormat(pickle().op('MARK').op('DICT').stop().build())).toBe('pickle');
  });

  it('does not take text that starts with an opcode letter for a pickle', () => {
    expect(sniffFormat(text("chat_template:\n  '{% for m in messages %}'\n"))).toBe('text');
    expect(sniffFormat(text('(see the README)\n'))).toBe('text');
    expect(sniffFormat(text('{"architectures": ["Bert"]}'))).toBe('json');
  });

  it('names containers and data formats by their magic', () => {
    expect(sniffFormat(buildZip([{ name: 'a', data: 'x' }]))).toBe('zip');
    expect(sniffFormat(Uint8Array.from([0x1f, 0x8b, 8, 0]))).toBe('gzip');
    expect(sniffFormat(Uint8Array.from([0x93, ...text('NUMPY'), 1, 0]))).toBe('numpy');
    expect(sniffFormat(Uint8Array.from([0x89, ...text('PNG\r\n\x1a\n')]))).toBe('image');
    expect(sniffFormat(new Uint8Array(0))).toBe('empty');
    expect(sniffFormat(Uint8Array.from([0, 1, 2, 3, 0xff, 0xfe]))).toBe('unknown');
  });
});
