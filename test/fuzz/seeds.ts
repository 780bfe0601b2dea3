/**
 * Valid inputs the fuzz suite mutates, built by the fixture writers (no Python, no binaries in the repo),
 * except the bzip2 / xz / LZ4 streams: no writer exists for those, so they are small literals below,
 * each the compression of `seedPayload()` by the reference command-line tool named beside it.
 */
import { crc32, deflateRawSync, deflateSync, gzipSync } from 'node:zlib';
import { callPickle, estimatorPickle, legacyTorchFile, pickle, stateDictPickle } from '../fixtures/pickle-writer.js';
import { sevenZipFile } from '../fixtures/sevenzip-writer.js';
import { buildTar } from '../fixtures/tar-writer.js';
import { buildZip, unixMode } from '../fixtures/zip-writer.js';

const latin1 = (text: string) => new Uint8Array(Buffer.from(text, 'latin1'));
const concat = (...parts: Uint8Array[]) => new Uint8Array(Buffer.concat(parts));
const le = (value: bigint, width: number) => {
  const out = new Uint8Array(width);
  for (let i = 0; i < width; i++) out[i] = Number((value >> BigInt(8 * i)) & 0xffn);
  return out;
};

// ---- pickles ------------------------------------------------------------------------------------------

const TENSORS = [
  { name: 'w', key: '0', numel: 4 },
  { name: 'b', key: '1', numel: 2 },
];

/** A malicious call followed by a torch-like state dict: the payload inside every compressed seed. */
export function seedPayload(): Uint8Array {
  return concat(callPickle('os', 'system', 'echo pwned'), stateDictPickle(TENSORS, 4));
}

function framed(body: Uint8Array, declared = body.length): Uint8Array {
  return concat(pickle().proto(4).frame(declared).build(), body);
}

export function namedPickleSeeds(): Record<string, Uint8Array> {
  const call = pickle()
    .stackGlobal('builtins', 'eval')
    .op('MEMOIZE')
    .unicode('__import__("os")')
    .op('TUPLE1')
    .op('REDUCE')
    .stop()
    .build();
  const embeddedRaw = pickle()
    .proto(4)
    .bytes(callPickle('subprocess', 'check_output', 'id'))
    .op('POP')
    .unicode(Buffer.from(callPickle('os', 'system', 'ls', 2)).toString('base64'))
    .op('POP')
    .unicode(Buffer.from(callPickle('os', 'popen', 'ls', 3)).toString('hex'))
    .stop()
    .build();
  const protocol0 = latin1(
    "(lp0\nI42\naL7L\naF1.5\naS'text\\n\\x41'\naVunicode \\u00e9\nap1\n(dp2\nS'k'\np3\ng1\nsaPpersistent\naI01\na(S'1'\ni__builtin__\neval\na(c__builtin__\nset\noa.",
  );
  const protocol2 = pickle()
    .proto(2)
    .global('copy_reg', '_reconstructor')
    .binput(0)
    .ext1(1)
    .op('POP')
    .raw([0x83, 0x02, 0x01, 0x84, 0x01, 0x02, 0x03, 0x04, 0x30, 0x30]) // EXT2, EXT4, POP, POP
    .op('EMPTY_TUPLE')
    .op('NEWOBJ')
    .op('DUP')
    .op('POP')
    .op('EMPTY_DICT')
    .op('MARK')
    .binstring('k')
    .raw([0x8a, 0x02, 0xff, 0x7f]) // LONG1
    .raw([0x8b, 0x01, 0x00, 0x00, 0x00, 0x05]) // LONG4
    .op('TUPLE2')
    .longBinput(1)
    .op('SETITEMS')
    .op('BUILD')
    .binget(0)
    .op('POP')
    .longBinget(1)
    .op('POP')
    .op('MARK')
    .op('NONE')
    .raw([0x31]) // POP_MARK
    .stop()
    .build();
  const protocol5 = pickle()
    .proto(5)
    .stackGlobal('numpy', 'ndarray')
    .op('EMPTY_TUPLE')
    .op('EMPTY_DICT')
    .op('NEWOBJ_EX')
    .raw([0x96, ...le(3n, 8), 1, 2, 3]) // BYTEARRAY8
    .raw([0x97, 0x98]) // NEXT_BUFFER, READONLY_BUFFER
    .raw([0x8f, 0x28]) // EMPTY_SET, MARK
    .int(1)
    .int(70000)
    .int(-5)
    .raw([0x90, 0x28, 0x88, 0x89, 0x91]) // ADDITEMS, MARK, NEWTRUE, NEWFALSE, FROZENSET
    .raw([0x8d, ...le(2n, 8), 0x68, 0x69]) // BINUNICODE8
    .bytes8Header(2)
    .raw([0, 1])
    .raw([0x47, 0, 0, 0, 0, 0, 0, 0, 0]) // BINFLOAT
    .op('TUPLE3')
    .stop()
    .build();
  const classic = pickle()
    .op('MARK')
    .global('os', 'system')
    .textString('echo hi')
    .op('OBJ')
    .inst('subprocess', 'Popen')
    .op('POP')
    .put(5)
    .get(5)
    .op('TUPLE')
    .stop()
    .build();
  const stacked = concat(
    callPickle('os', 'system', 'a', 2),
    callPickle('posix', 'system', 'b', 4),
    latin1('trailing junk\x00\xff'),
  );
  const desync = framed(call, 4);
  const bulk = pickle()
    .proto(4)
    .bytes8Header(2 ** 21)
    .raw(new Uint8Array(64))
    .stop()
    .build();
  return {
    ...Object.fromEntries(
      [0, 1, 2, 3, 4, 5].map((protocol) => [`call-p${protocol}`, callPickle('os', 'system', 'echo pwned', protocol)]),
    ),
    'state-dict-p2': stateDictPickle(TENSORS, 2),
    'state-dict-p4': stateDictPickle(TENSORS, 4),
    estimator: estimatorPickle(),
    'legacy-torch': legacyTorchFile(stateDictPickle(TENSORS, 2), new Uint8Array(24)),
    framed: framed(call),
    desync,
    embedded: embeddedRaw,
    protocol0,
    protocol2,
    protocol5,
    classic,
    stacked,
    bulk,
  };
}

export function pickleSeeds(): Uint8Array[] {
  return Object.values(namedPickleSeeds());
}

// ---- zip ----------------------------------------------------------------------------------------------

export function zipSeeds(): Uint8Array[] {
  const data = callPickle('os', 'system', 'echo pwned', 2);
  const torch = [
    { name: 'archive/data.pkl', data: stateDictPickle(TENSORS, 2), method: 8 },
    { name: 'archive/data/0', data: new Uint8Array(16) },
    { name: 'archive/data/1', data: new Uint8Array(8) },
    { name: 'archive/version', data: '3\n' },
  ];
  return [
    buildZip(torch),
    buildZip([{ name: 'a.pkl', data }, { name: 'b.pkl', data, method: 8 }, { name: 'dir/' }]),
    buildZip(
      [
        { name: 'a.pkl', data, zip64: true },
        { name: 'b.pkl', data, method: 8, zip64: true },
      ],
      { zip64End: true },
    ),
    buildZip([
      { name: 'archive/data.pkl', data, method: 8, dataDescriptor: true },
      { name: 'archive/data/0', data: 'x', dataDescriptor: true },
    ]),
    buildZip([{ name: 'a.pkl', data, method: 8 }], { comment: 'a comment PK\x05\x06 inside' }),
    buildZip([
      { name: 'hidden.pkl', data, hidden: true },
      { name: 'shown.pkl', data: 'x' },
    ]),
    buildZip([{ name: 'a.pkl', data, method: 8 }], { omitCentralDirectory: true }),
    concat(latin1('#!/bin/sh\nexit 0\n'), buildZip([{ name: 'a.pkl', data }])),
    buildZip([
      { name: '../../evil.pkl', data },
      { name: 'link', data: '/etc/passwd', externalAttributes: unixMode(0o120777) },
      { name: 'enc.pkl', data, method: 8, flags: 1 },
      { name: 'lzma.pkl', data, method: 14 },
      { name: 'renamed.pkl', localName: 'other.pkl', data },
    ]),
    buildZip([
      { name: 'x.npy', data: npySeeds()[0], method: 8 },
      { name: 'y.npy', data: npySeeds()[1] },
    ]),
  ];
}

/** Offsets of zip records and of their length and offset fields. */
export function zipAnchors(bytes: Uint8Array): number[] {
  const fields: Record<number, number[]> = {
    67324752: [0, 6, 8, 14, 18, 22, 26, 28, 30],
    33639248: [0, 8, 10, 20, 24, 28, 30, 32, 38, 42, 46],
    101010256: [0, 8, 10, 12, 16, 20],
    101075792: [0, 4, 24, 32, 40, 48],
    117853008: [0, 8, 16],
    134695760: [0, 8, 12],
  };
  const anchors: number[] = [];
  for (let i = 0; i + 4 <= bytes.length; i++) {
    if (bytes[i] !== 0x50 || bytes[i + 1] !== 0x4b) continue;
    const signature = (bytes[i] | (bytes[i + 1] << 8) | (bytes[i + 2] << 16) | (bytes[i + 3] << 24)) >>> 0;
    for (const field of fields[signature] ?? []) anchors.push(i + field);
  }
  return anchors;
}

// ---- tar ----------------------------------------------------------------------------------------------

export function tarSeeds(): Uint8Array[] {
  const data = callPickle('os', 'system', 'echo pwned', 2);
  const long = `${'deep/'.repeat(30)}data.pkl`;
  return [
    buildTar([
      { name: 'model/', type: '5' },
      { name: 'model/data.pkl', data },
      { name: 'model/link', type: '2', linkName: '../../etc/passwd' },
    ]),
    buildTar([
      { name: long, data, longName: 'gnu' },
      { name: long, data: 'pax', longName: 'pax' },
      { name: long, data: 'prefix', longName: 'prefix' },
    ]),
    buildTar([
      { name: 'sized', data: 'abcdef', sizeField: 0, pax: { size: '6', linkpath: '/x' } },
      { name: 'big256', data: 'z'.repeat(600), base256Size: true },
      { name: 'hard', type: '1', linkName: 'sized' },
    ]),
    buildTar([{ name: 'a.pkl', data }], { endMarker: false }),
    buildTar([
      { name: 'storages', data: new Uint8Array(8) },
      { name: 'tensors', data },
      { name: 'pickle', data },
    ]),
  ];
}

/** Offsets of every header field in 512-byte blocks that look like headers. */
export function tarAnchors(bytes: Uint8Array): number[] {
  const anchors: number[] = [];
  for (let block = 0; block + 512 <= bytes.length; block += 512) {
    if (Buffer.from(bytes.subarray(block + 257, block + 262)).toString('latin1') !== 'ustar') continue;
    for (const field of [0, 100, 124, 136, 148, 156, 157, 257, 263, 345, 512]) anchors.push(block + field);
  }
  return anchors;
}

/** Recomputes the checksum of every block carrying the ustar magic, so mutated headers get parsed. */
export function fixTarChecksums(input: Uint8Array): Uint8Array {
  const bytes = input.slice();
  for (let block = 0; block + 512 <= bytes.length; block += 512) {
    if (Buffer.from(bytes.subarray(block + 257, block + 262)).toString('latin1') !== 'ustar') continue;
    bytes.fill(0x20, block + 148, block + 156);
    let sum = 0;
    for (let i = 0; i < 512; i++) sum += bytes[block + i];
    bytes.set(latin1(`${sum.toString(8).padStart(6, '0')}\0 `), block + 148);
  }
  return bytes;
}

// ---- numpy --------------------------------------------------------------------------------------------

export function npyFile(dict: string, payload: Uint8Array, major = 1): Uint8Array {
  const prefix = major === 1 ? 10 : 12;
  let header = latin1(dict);
  if (major === 3) header = new Uint8Array(Buffer.from(dict, 'utf8'));
  const total = Math.ceil((prefix + header.length + 1) / 64) * 64;
  const padded = new Uint8Array(total - prefix).fill(0x20);
  padded.set(header);
  padded[padded.length - 1] = 0x0a;
  const head = new Uint8Array(prefix);
  head.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, major, 0]);
  if (major === 1) head.set(le(BigInt(padded.length), 2), 8);
  else head.set(le(BigInt(padded.length), 4), 8);
  return concat(head, padded, payload);
}

export function npySeeds(): Uint8Array[] {
  const objects = callPickle('os', 'system', 'echo pwned', 2);
  return [
    npyFile("{'descr': '|O', 'fortran_order': False, 'shape': (2,), }", objects),
    npyFile("{'descr': '<i4', 'fortran_order': False, 'shape': (2, 1), }", new Uint8Array(8)),
    npyFile("{'descr': [('a', '<i4'), (('t', 'b'), 'O', (2,))], 'fortran_order': True, 'shape': (), }", objects, 2),
    npyFile("{'descr': [('é', '<f8', 3)], 'fortran_order': False, 'shape': (1L,), }", new Uint8Array(24), 3),
    npyFile("{u'descr': ('i4,O', (2, 2)), 'fortran_order': False, 'shape': (3,), 'shape': (0,)}", objects, 2),
  ];
}

/** Magic, version, header length, and every delimiter of the header literal. */
export function npyAnchors(bytes: Uint8Array): number[] {
  const anchors = [6, 7, 8, 9, 10, 11];
  const end = Math.min(bytes.length, 4096);
  for (let i = 10; i < end; i++) if ('\'"(),:[]{}0123456789'.includes(String.fromCharCode(bytes[i]))) anchors.push(i);
  return anchors;
}

// ---- compression --------------------------------------------------------------------------------------

const b64 = (text: string) => new Uint8Array(Buffer.from(text, 'base64'));

/** `bzip2 -9` */
const BZIP2 = b64(
  'QlpoOTFBWSZTWXKFMLYAAIZ/4H+cEABAYXAABQi4AL7n36BCJAwAMADYQSqTTaJiYCYhoM0jEwTAMANNGg0xAAAAyAEkhTQxTNRp+qNG0AnqPSeTE0ImIMMwwxgOEFfgp1DlUXQlLypROBiZdLN8rA2ZGHB9mcpLxex0NLxzEq1j1YmVpkTmN705XeinXULA6orUSRE5KqF0HmjsxBUyEqkXYzgc4FeYRariZajGwsywWgm/6j4KJyJQnl5UWkFm0MxkFUs0jrvtBUWjdy+WUxzQMKqL6lAmFBoJUaNdgNxdyRThQkHKFMLY',
);
/** `xz` (CRC64), `xz --check=crc32`, `xz --check=none -e` */
const XZ = [
  '/Td6WFoAAATm1rRGAgAhARYAAAB0L+Wj4AE9AKldAEABDTb8Byg3Y0lp/AmAFPh6TWAKXi+4qEYe8Dc8f+/1kpm9twSo9iOKQZ3CHpxex3DEOVqxrvYiC3Jjh45g4zH22+52N/+8Sw6ApGdzvJTujFCyrEjF79gdC6KKpnq4U8HvrdjeBqkg2C7bvVOjQBdxGivH0IpOWTFoDoURaFBYR3djcsX70sIMYMRma9eFG3HZw3YEnZV6/4wxWfb/lqgETN6sQ3WvF+AAAAAA3eCYyY4WuS4AAcUBvgIAAK2fOUGxxGf7AgAAAAAEWVo=',
  '/Td6WFoAAAFpIt42AgAhARYAAAB0L+Wj4AE9AKldAEABDTb8Byg3Y0lp/AmAFPh6TWAKXi+4qEYe8Dc8f+/1kpm9twSo9iOKQZ3CHpxex3DEOVqxrvYiC3Jjh45g4zH22+52N/+8Sw6ApGdzvJTujFCyrEjF79gdC6KKpnq4U8HvrdjeBqkg2C7bvVOjQBdxGivH0IpOWTFoDoURaFBYR3djcsX70sIMYMRma9eFG3HZw3YEnZV6/4wxWfb/lqgETN6sQ3WvF+AAAAAANq/iIAABwQG+AgAAu92o2j4wDYsCAAAAAAFZWg==',
  '/Td6WFoAAAD/EtlBAgAhARYAAAB0L+Wj4AE9AKldAEABDTb8Byg3Y0lp/AmAFPh6TWAKXi+4qEYe8Dc8f+/1kpm9twSo9iOKQZ3CHpxex3DEOVqxrvYiC3Jjh45g4zH22+52N/+8Sw6ApGdzvJTujFCyrEjF79gdC6KKpnq4U8HvrdjeBqkg2C7bvVOjQBdxGivH0IpOWTFoDoURaFBYR3djcsX70sIMYMRma9eFG3HZw3YEnZV6/4wxWfb/lqgETN6sQ3WvF+AAAAAAAAG9Ab4CAAABEEimqAAK/AIAAAAAAFla',
].map(b64);
/** `lz4`, `lz4 -BD --content-size -BX` (linked blocks, content size, block checksums) */
const LZ4 = [
  'BCJNGGRAp78AAAD/j4AEjAJvc4wGc3lzdGVtk5SMCmVjaG8gcHduZWSFUi6ABIwLY29sbGVjdGlvbnOMC09yZGVyZWREaWN0k5QpUiiMAXeMDHRvcmNoLl91dGlsc4wSX3JlYnVpbGRfdGVuc29yX3Yyk5QoKIwHc3RvcmFnZYwFdG9yY2iMDEZsb2F0U3RvcmFnZZOUjAEwjANjcHVLBHRRSwBLBIVLAYWJfQALX3RSjAFifgA1EjF+ABECfgAfAn4AD1BSdFJ1LgAAAABUrtHU',
  'BCJNGHxAPgEAAAAAAAB+vwAAAP+PgASMAm9zjAZzeXN0ZW2TlIwKZWNobyBwd25lZIVSLoAEjAtjb2xsZWN0aW9uc4wLT3JkZXJlZERpY3STlClSKIwBd4wMdG9yY2guX3V0aWxzjBJfcmVidWlsZF90ZW5zb3JfdjKTlCgojAdzdG9yYWdljAV0b3JjaIwMRmxvYXRTdG9yYWdlk5SMATCMA2NwdUsEdFFLAEsEhUsBhYl9AAtfdFKMAWJ+ADUSMX4AEQJ+AB8CfgAPUFJ0UnUu3HOPwgAAAABUrtHU',
].map(b64);

/** An LZ4 frame of stored (uncompressed) blocks, preceded by a skippable frame. */
function lz4Stored(data: Uint8Array): Uint8Array {
  const skippable = concat(le(0x184d2a50n, 4), le(3n, 4), latin1('abc'));
  const header = Uint8Array.from([0x04, 0x22, 0x4d, 0x18, 0x60, 0x40, 0x82]);
  const half = data.length >> 1;
  const block = (part: Uint8Array) => concat(le(BigInt(part.length) | 0x80000000n, 4), part);
  return concat(skippable, header, block(data.subarray(0, half)), block(data.subarray(half)), le(0n, 4));
}

export type CompressionKind = 'gzip' | 'zlib' | 'bzip2' | 'xz' | 'lz4';

export function compressionSeeds(): Record<CompressionKind, Uint8Array[]> {
  const payload = seedPayload();
  const gz = gzipSync(payload);
  return {
    gzip: [new Uint8Array(gz), concat(gz, gzipSync(latin1('second member')))],
    zlib: [new Uint8Array(deflateSync(payload)), new Uint8Array(deflateSync(payload, { level: 0 }))],
    bzip2: [BZIP2, concat(BZIP2, BZIP2)],
    xz: XZ,
    lz4: [...LZ4, lz4Stored(payload)],
  };
}

/** Header bytes and the trailing checksum / size words. */
export function compressionAnchors(bytes: Uint8Array): number[] {
  const anchors: number[] = [];
  for (let i = 0; i < Math.min(24, bytes.length); i++) anchors.push(i);
  for (let i = Math.max(0, bytes.length - 16); i < bytes.length; i++) anchors.push(i);
  return anchors;
}

// ---- containers for end-to-end analysis ---------------------------------------------------------------

function zipWithCrc(members: { name: string; data: Uint8Array; method?: number }[]): Uint8Array {
  return buildZip(members.map((member) => ({ ...member, crc32: crc32(member.data) })));
}

/** Files the Analyser sniffs into every container path: zip, gzip, npy, tar, nested archives. */
export function containerSeeds(): Uint8Array[] {
  const evil = callPickle('os', 'system', 'echo pwned', 2);
  const compressed = compressionSeeds();
  const tar = tarSeeds()[0];
  const npz = zipWithCrc([{ name: 'arr.npy', data: npySeeds()[0], method: 8 }]);
  const torchZip = zipSeeds()[0];
  return [
    torchZip,
    zipWithCrc([
      { name: 'model.pkl', data: evil },
      { name: 'inner.zip', data: torchZip },
    ]),
    npz,
    new Uint8Array(gzipSync(evil)),
    new Uint8Array(gzipSync(tar)),
    new Uint8Array(gzipSync(torchZip)),
    compressed.bzip2[0],
    compressed.xz[0],
    compressed.lz4[0],
    new Uint8Array(deflateSync(npySeeds()[0])),
    npySeeds()[0],
    npySeeds()[2],
    tar,
    buildTar([
      { name: 'payload.pkl.gz', data: new Uint8Array(gzipSync(evil)) },
      { name: 'weights.zip', data: torchZip },
    ]),
    namedPickleSeeds().embedded, // pickles in bytes, base64 and hex literals
    legacyTorchFile(stateDictPickle(TENSORS, 2), new Uint8Array(24)),
    buildZip([{ name: 'raw.bin', rawData: deflateRawSync(evil), data: evil, method: 8 }]),
  ];
}

// ---- 7z -----------------------------------------------------------------------------------------------

/** The raw LZMA2 stream inside the first xz seed (one block, no sizes in its header), and its dictionary byte. */
function lzma2FromXz(xz: Uint8Array): { data: Uint8Array; dictionary: number } {
  const blockStart = 12;
  const blockHeaderSize = (xz[blockStart] + 1) * 4;
  const dictionary = xz[blockStart + 4]; // flags 0, filter id 0x21, 1 property byte
  let at = blockStart + blockHeaderSize;
  const start = at;
  while (xz[at] !== 0x00) {
    const control = xz[at];
    if (control >= 0x80) {
      const packed = ((xz[at + 3] << 8) | xz[at + 4]) + 1;
      at += (control >= 0xc0 ? 6 : 5) + packed;
    } else {
      at += 3 + ((xz[at + 1] << 8) | xz[at + 2]) + 1;
    }
  }
  return { data: xz.slice(start, at + 1), dictionary };
}

export function sevenZipSeeds(): Uint8Array[] {
  const payload = seedPayload();
  const lzma2 = lzma2FromXz(XZ[0]);
  const evil = callPickle('os', 'system', 'echo pwned', 2);
  return [
    sevenZipFile([
      {
        coder: [0x21],
        properties: [lzma2.dictionary],
        packed: lzma2.data,
        members: [{ name: 'data.pkl', size: payload.length }],
      },
    ]),
    sevenZipFile(
      [
        {
          coder: [0x00],
          packed: concat(evil, latin1('second member'), evil),
          members: [
            { name: 'a.pkl', size: evil.length },
            { name: 'b.txt', size: 13 },
            { name: 'model/link', size: evil.length, attributes: (0x8000 | (0o120777 << 16)) >>> 0 },
          ],
        },
        { coder: [0x00], packed: evil, members: [{ name: '../escape.pkl', size: evil.length }] },
      ],
      ['model/'],
    ),
  ];
}

// ---- formats handled by plugins (safetensors, GGUF, configs, chat templates, code) ----------------------

function safetensorsFile(): Uint8Array {
  const header = JSON.stringify({
    __metadata__: { format: 'pt' },
    'model.w': { dtype: 'F32', shape: [2, 2], data_offsets: [0, 16] },
    'model.b': { dtype: 'F16', shape: [2], data_offsets: [16, 20] },
  });
  const json = Buffer.from(header.padEnd(Math.ceil(header.length / 8) * 8, ' '));
  return concat(le(BigInt(json.length), 8), json, new Uint8Array(20));
}

function ggufString(text: string): Uint8Array {
  const bytes = Buffer.from(text, 'utf8');
  return concat(le(BigInt(bytes.length), 8), bytes);
}

const CHAT_TEMPLATE = "{% for m in messages %}{{ m['role'] }}: {{ m['content'] }}\n{% endfor %}{{ ''.__class__ }}";

function ggufFile(): Uint8Array {
  const u32 = (value: number) => le(BigInt(value), 4);
  const kv = [
    concat(ggufString('general.architecture'), u32(8), ggufString('llama')),
    concat(ggufString('tokenizer.chat_template'), u32(8), ggufString(CHAT_TEMPLATE)),
    concat(ggufString('tokenizer.ggml.tokens'), u32(9), u32(8), le(2n, 8), ggufString('<s>'), ggufString('</s>')),
    concat(ggufString('llama.context_length'), u32(4), u32(4096)),
  ];
  const tensor = concat(ggufString('w'), u32(1), le(4n, 8), u32(0), le(0n, 8));
  const header = concat(latin1('GGUF'), u32(3), le(1n, 8), le(BigInt(kv.length), 8), ...kv, tensor);
  const padding = new Uint8Array((32 - (header.length % 32)) % 32);
  return concat(header, padding, new Uint8Array(16));
}

/** Binary plugin formats, and a zip whose member names route text to the config, template and code inspectors. */
export function pluginSeeds(): Uint8Array[] {
  const config = JSON.stringify({
    architectures: ['CustomModel'],
    auto_map: { AutoModel: 'modeling_custom.CustomModel' },
    trust_remote_code: true,
    model_type: 'custom',
  });
  const tokenizerConfig = JSON.stringify({ chat_template: CHAT_TEMPLATE, bos_token: '<s>' });
  const code =
    "import os, base64\nos.system('id')\nexec(base64.b64decode('cHJpbnQoMSk='))\nclass CustomModel:\n    pass\n";
  return [
    safetensorsFile(),
    ggufFile(),
    buildZip([
      { name: 'config.json', data: config },
      { name: 'tokenizer_config.json', data: tokenizerConfig, method: 8 },
      { name: 'modeling_custom.py', data: code },
      {
        name: '.env',
        data: 'AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\nHF_TOKEN=hf_abcdefghijklmnopqrstuvwxyzABCDEF\n',
      },
      { name: 'model.safetensors', data: safetensorsFile() },
    ]),
  ];
}
