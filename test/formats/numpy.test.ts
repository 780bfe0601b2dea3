import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isNpy, isNpyHeaderError, type NpyHeader, npyPrefixLength, parseNpyHeader } from '../../src/formats/numpy.js';
import { SHARED_DATA } from '../helpers.js';

const DATA2 = join(SHARED_DATA, 'peer-corpora/picklescan/data2');

/** A .npy prefix as numpy writes it: magic, version, length, the literal padded with spaces to 64 bytes, '\n'. */
function npy(literal: string, major = 1, options: { declaredLength?: number; pad?: boolean } = {}): Uint8Array {
  const body = Buffer.from(literal, major === 3 ? 'utf8' : 'latin1');
  const prefixLength = major === 1 ? 10 : 12;
  const padding = options.pad === false ? 0 : 64 - ((prefixLength + body.length + 1) % 64);
  const header = Buffer.concat([body, Buffer.alloc(padding % 64, 0x20), Buffer.from('\n')]);
  const prefix = Buffer.alloc(prefixLength);
  prefix.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, major, 0]);
  if (major === 1) prefix.writeUInt16LE(options.declaredLength ?? header.length, 8);
  else prefix.writeUInt32LE(options.declaredLength ?? header.length, 8);
  return Buffer.concat([prefix, header]);
}

function parsed(bytes: Uint8Array): NpyHeader {
  const result = parseNpyHeader(bytes);
  if (isNpyHeaderError(result)) throw new Error(`${result.error} at ${result.offset}`);
  return result;
}

describe('parseNpyHeader', () => {
  it('reads the picklescan fixtures: a plain int array and two object arrays', () => {
    const ints = readFileSync(`${DATA2}/int_array.npy`);
    expect(parsed(ints)).toEqual({
      version: '1.0',
      descr: '<i4',
      fortranOrder: false,
      shape: [2, 2],
      headerLength: 118,
      dataOffset: 128,
      hasObjects: false,
    });
    for (const name of ['object_array.npy', 'dns_exfiltration.npy']) {
      const bytes = readFileSync(`${DATA2}/${name}`);
      const header = parsed(bytes);
      expect(header).toMatchObject({ descr: '|O', hasObjects: true, dataOffset: 128 });
      expect(bytes[header.dataOffset]).toBe(0x80); // the payload is a pickle
    }
  });

  it('reads versions 2.0 and 3.0 (UTF-8 field names), empty and one-dimensional shapes, Fortran order', () => {
    expect(parsed(npy("{'descr': '<f8', 'fortran_order': True, 'shape': (), }", 2))).toMatchObject({
      version: '2.0',
      fortranOrder: true,
      shape: [],
    });
    const v3 = parsed(npy("{'descr': [('température', '<f4')], 'fortran_order': False, 'shape': (3,)}", 3));
    expect(v3).toMatchObject({ version: '3.0', descr: "[('température', '<f4')]", shape: [3] });
  });

  it('renders structured dtypes canonically and finds object fields at any depth', () => {
    const plain = parsed(npy(`{"descr": [("a", "<i4"), ("b", "<f8", (2, 3))], "fortran_order": False, "shape": (5,)}`));
    expect(plain).toMatchObject({ descr: "[('a', '<i4'), ('b', '<f8', (2, 3))]", hasObjects: false });

    const nested = parsed(
      npy(
        "{'descr': [('x', [('inner', '|O')]), (('title', 'y'), '<i2'), ('', '|V4')], 'fortran_order': False, 'shape': (1,)}",
      ),
    );
    expect(nested.hasObjects).toBe(true);
    expect(nested.descr).toBe("[('x', [('inner', '|O')]), (('title', 'y'), '<i2'), ('', '|V4')]");
  });

  it.each([
    ['O', true],
    ['|O8', true],
    ['object', true],
    ['i4,O', true],
    ['(2,)O', true],
    ['<i8', false],
    ['|S10', false],
    ['<U5', false],
  ])('descr %j has objects: %s', (descr, objects) => {
    expect(parsed(npy(`{'descr': '${descr}', 'fortran_order': False, 'shape': (1,)}`)).hasObjects).toBe(objects);
  });

  it('accepts Python 2 long suffixes in old headers, and u-prefixed strings', () => {
    expect(parsed(npy("{'descr': u'<i4', 'fortran_order': False, 'shape': (3L, 4L), }")).shape).toEqual([3, 4]);
  });

  it('never evaluates: calls, names and expressions are errors with their offset', () => {
    const call = parseNpyHeader(npy("{'descr': __import__('os').system('id'), 'fortran_order': False, 'shape': (1,)}"));
    expect(call).toEqual({ error: 'unexpected name "__import__": only literals are allowed', offset: 20 });
    const sum = parseNpyHeader(npy("{'descr': '<i4', 'fortran_order': False, 'shape': (1+1,)}"));
    expect(sum).toMatchObject({ error: expect.stringMatching(/expected "\)"/) });
  });

  it('reports hostile headers with the offset where reading stopped', () => {
    expect(
      parseNpyHeader(npy("{'descr': '<i4', 'fortran_order': False, 'shape': (1,)}", 2, { declaredLength: 2_000_000 })),
    ).toEqual({
      error: 'header length 2000000 exceeds the 1000000-byte limit',
      offset: 8,
    });
    expect(parseNpyHeader(npy("{'descr': '<i4", 1, { pad: false }))).toEqual({
      error: 'newline inside a string',
      offset: 24,
    });
    const unterminated = npy("{'descr': '<i4", 1, { pad: false });
    expect(parseNpyHeader(unterminated.subarray(0, unterminated.length - 1))).toMatchObject({
      error: expect.stringMatching(/truncated header/),
    });
    const deep = parseNpyHeader(npy(`{'descr': ${'['.repeat(5000)}`));
    expect(deep).toMatchObject({ error: 'literal nested deeper than 32 levels' });
    expect((deep as { offset: number }).offset).toBeGreaterThan(10);
    expect(
      parseNpyHeader(npy("{'descr': '<i4', 'fortran_order': False, 'shape': (99999999999999999999,)}")),
    ).toMatchObject({
      error: 'integer is too large',
      offset: 61,
    });
  });

  it('applies the checks numpy applies to the dict', () => {
    const error = (literal: string) => (parseNpyHeader(npy(literal)) as { error: string }).error;
    expect(error("{'descr': '<i4', 'fortran_order': False}")).toBe("header has no 'shape' key");
    expect(error("{'descr': '<i4', 'fortran_order': False, 'shape': (1,), 'extra': 1}")).toBe(
      "unexpected header key 'extra'",
    );
    expect(error("{'descr': '<i4', 'fortran_order': 0, 'shape': (1,)}")).toBe("'fortran_order' must be True or False");
    expect(error("{'descr': '<i4', 'fortran_order': False, 'shape': [1]}")).toBe("'shape' must be a tuple of integers");
    expect(error("{'descr': '<i4', 'fortran_order': False, 'shape': (-1,)}")).toBe("'shape' has a negative dimension");
    expect(error("{'descr': [('a',)], 'fortran_order': False, 'shape': (1,)}")).toMatch(/structured descr field/);
    expect(error("['descr']")).toBe('header is not a dict literal');
  });

  it('rejects wrong magic, versions and truncation before the header', () => {
    expect(parseNpyHeader(Buffer.from('PK\x03\x04'))).toEqual({
      error: 'not a .npy file: missing \\x93NUMPY magic',
      offset: 0,
    });
    const v9 = npy("{'descr': '<i4', 'fortran_order': False, 'shape': (1,)}");
    v9[6] = 9;
    expect(parseNpyHeader(v9)).toEqual({ error: 'unsupported .npy format version 9.0', offset: 6 });
    expect(parseNpyHeader(v9.subarray(0, 8))).toMatchObject({ offset: 8 });
  });
});

describe('isNpy and npyPrefixLength', () => {
  it('recognise the magic and tell how many bytes the header needs', () => {
    const bytes = npy("{'descr': '<i4', 'fortran_order': False, 'shape': (1,)}", 2);
    expect(isNpy(bytes)).toBe(true);
    expect(isNpy(Buffer.from('\x93NUMPZ', 'latin1'))).toBe(false);
    expect(npyPrefixLength(bytes.subarray(0, 12))).toBe(bytes.length);
    expect(npyPrefixLength(bytes.subarray(0, 11))).toBeUndefined();
  });
});
