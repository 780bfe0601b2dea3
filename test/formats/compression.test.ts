import { randomBytes } from 'node:crypto';
import { deflateSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { type Compression, decompress, sniffCompression } from '../../src/formats/compression.js';

const TEXT = 'Assay compression fixture: the quick brown fox jumps over the lazy dog, again and again and again.\n';

// Made once with the command-line tools from `printf "$TEXT" > f.txt`, then `<tool> -c f.txt | base64 -w0`.
const FIXTURES = {
  // bzip2 1.0.8: bzip2 -9 -c
  bzip2:
    'QlpoOTFBWSZTWbth5WkAAApdgAAQQAUAECAAP///8CAAVEU9EeUPU0D1DEep6gaaJGg0AaDRkM1o2GlAopjIyhrW6GCOQh/CxLwYi6ZYd7p6JqiVKomWQQeF4dHE0wYIqnrDmDXEFHdVs03+H8XckU4UJC7YeVpA',
  // xz 5.4: xz -c (CRC64 check)
  xz: '/Td6WFoAAATm1rRGAgAhARYAAAB0L+Wj4ABiAFFdACCc7MJ5EBQCKMGrGzyV1Llj57h+Nh2CN8apFrgli6hkDnITM+RdeyBc8GwX/DEXfdVPID/0OlF5uD7seG56If2AGxCedRY//xo9pGN2s0oAAAAAAAAJ1dhY+Wb/+AABbWMjkG4kH7bzfQEAAAAABFla',
  // xz -c --check=none
  xzNoCheck:
    '/Td6WFoAAAD/EtlBAgAhARYAAAB0L+Wj4ABiAFFdACCc7MJ5EBQCKMGrGzyV1Llj57h+Nh2CN8apFrgli6hkDnITM+RdeyBc8GwX/DEXfdVPID/0OlF5uD7seG56If2AGxCedRY//xo9pGN2s0oAAAAAAAAAAWVjKxq37AZynnoBAAAAAABZWg==',
  // xz -c --check=sha256: xz-embedded (inside xz-decompress) does not support this check type
  xzSha256:
    '/Td6WFoAAArh+wyhAgAhARYAAAB0L+Wj4ABiAFFdACCc7MJ5EBQCKMGrGzyV1Llj57h+Nh2CN8apFrgli6hkDnITM+RdeyBc8GwX/DEXfdVPID/0OlF5uD7seG56If2AGxCedRY//xo9pGN2s0oAAAAAAAB5cSzRYPxZ3p/Y1fUVpLUfXbq6T1AqXKRN6+iPQaNPMQABhQFjAAAA6yDbmbbp3xwCAAAAAApZWg==',
  // lz4 1.9.4: lz4 -c (content checksum)
  lz4: 'BCJNGGRAp1oAAADxKkFzc2F5IGNvbXByZXNzaW9uIGZpeHR1cmU6IHRoZSBxdWljayBicm93biBmb3gganVtcHMgb3Zlch8A+QRsYXp5IGRvZywgYWdhaW4gYW5kCgBQYWluLgoAAAAAjuKkHw==',
  // lz4 -c --content-size -BX (content size field, block checksums)
  lz4Checksums:
    'BCJNGHxAYwAAAAAAAADWWgAAAPEqQXNzYXkgY29tcHJlc3Npb24gZml4dHVyZTogdGhlIHF1aWNrIGJyb3duIGZveCBqdW1wcyBvdmVyHwD5BGxhenkgZG9nLCBhZ2FpbiBhbmQKAFBhaW4uCiNbi4EAAAAAjuKkHw==',
};
const fixture = (name: keyof typeof FIXTURES) => Buffer.from(FIXTURES[name], 'base64');

async function* chunked(bytes: Uint8Array, size = 7): AsyncGenerator<Uint8Array> {
  for (let at = 0; at < bytes.length; at += size) yield bytes.subarray(at, at + size);
}

async function inflate(kind: Compression, bytes: Uint8Array, chunkSize?: number): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const part of decompress(kind, chunked(bytes, chunkSize))) parts.push(part);
  return Buffer.concat(parts);
}

/** An LZ4 frame: magic, FLG (version 1 | extra flags), BD (64 KiB blocks), header checksum byte, blocks, end mark. */
function lz4Frame(flags: number, blocks: { data: number[] | Uint8Array; stored?: boolean }[]): Uint8Array {
  const parts: number[] = [0x04, 0x22, 0x4d, 0x18, 0x40 | flags, 0x40, 0x00];
  for (const block of blocks) {
    const size = block.data.length | (block.stored ? 0x80000000 : 0);
    parts.push(size & 0xff, (size >>> 8) & 0xff, (size >>> 16) & 0xff, size >>> 24, ...block.data);
  }
  parts.push(0, 0, 0, 0);
  return Uint8Array.from(parts);
}
const ascii = (text: string) => [...Buffer.from(text, 'latin1')];
const INDEPENDENT = 0x20;

describe('sniffCompression', () => {
  it('recognises each format from its first bytes', () => {
    expect(sniffCompression(gzipSync(TEXT))).toBe('gzip');
    expect(sniffCompression(deflateSync(TEXT))).toBe('zlib');
    expect(sniffCompression(deflateSync(TEXT, { level: 1 }))).toBe('zlib');
    expect(sniffCompression(fixture('bzip2'))).toBe('bzip2');
    expect(sniffCompression(fixture('xz'))).toBe('xz');
    expect(sniffCompression(fixture('lz4'))).toBe('lz4');
  });

  it('does not mistake text or pickles for compressed data', () => {
    for (const text of ['BZh9 is a nice name', 'xylophone', 'x\x9c', '\x80\x04\x95', 'PK\x03\x04']) {
      expect(sniffCompression(Buffer.from(text, 'latin1')), text).toBe(text === 'x\x9c' ? 'zlib' : undefined);
    }
    expect(sniffCompression(new Uint8Array(0))).toBeUndefined();
  });
});

describe('decompress', () => {
  it('round-trips gzip (including concatenated members) and zlib through node:zlib', async () => {
    const big = randomBytes(3 << 20);
    expect((await inflate('gzip', gzipSync(big), 65_536)).equals(big)).toBe(true);
    const twice = Buffer.concat([gzipSync('first '), gzipSync('second')]);
    expect((await inflate('gzip', twice)).toString()).toBe('first second');
    expect((await inflate('zlib', deflateSync(TEXT))).toString()).toBe(TEXT);
  });

  it('decodes bzip2, including concatenated streams (pbzip2)', async () => {
    expect((await inflate('bzip2', fixture('bzip2'))).toString()).toBe(TEXT);
    const twice = Buffer.concat([fixture('bzip2'), fixture('bzip2')]);
    expect((await inflate('bzip2', twice, 3)).toString()).toBe(TEXT + TEXT);
  });

  it('decodes xz with CRC64 or no check, and concatenated streams', async () => {
    expect((await inflate('xz', fixture('xz'))).toString()).toBe(TEXT);
    expect((await inflate('xz', fixture('xzNoCheck'), 1)).toString()).toBe(TEXT);
    expect((await inflate('xz', Buffer.concat([fixture('xz'), fixture('xz')]))).toString()).toBe(TEXT + TEXT);
  });

  it('decodes two xz streams at once (an .xz inside a .tar.xz)', async () => {
    const outer = decompress('xz', chunked(fixture('xz')))[Symbol.asyncIterator]();
    const first = await outer.next();
    expect((await inflate('xz', fixture('xz'))).toString()).toBe(TEXT);
    const rest: Uint8Array[] = [first.value];
    for (let next = await outer.next(); !next.done; next = await outer.next()) rest.push(next.value);
    expect(Buffer.concat(rest).toString()).toBe(TEXT);
  });

  it('decodes LZ4 frames from the lz4 tool, with or without checksums and content size', async () => {
    expect((await inflate('lz4', fixture('lz4'))).toString()).toBe(TEXT);
    expect((await inflate('lz4', fixture('lz4Checksums'), 2)).toString()).toBe(TEXT);
    expect((await inflate('lz4', Buffer.concat([fixture('lz4'), fixture('lz4')]))).toString()).toBe(TEXT + TEXT);
  });

  it('decodes LZ4 linked blocks (matches into the previous block), stored blocks, overlapping matches and skippable frames', async () => {
    const frame = lz4Frame(0, [
      { data: ascii('abcdefgh'), stored: true },
      // Match of 8 bytes at distance 8 (in the previous block), then the literal 'Z'.
      { data: [0x04, 0x08, 0x00, 0x10, ...ascii('Z')] },
      // Literal 'x', then an overlapping match of 10 at distance 1 (run of x), then literal '!'.
      { data: [0x16, ...ascii('x'), 0x01, 0x00, 0x10, ...ascii('!')] },
    ]);
    const skippable = [0x50, 0x2a, 0x4d, 0x18, 3, 0, 0, 0, 1, 2, 3];
    expect((await inflate('lz4', Buffer.concat([Buffer.from(skippable), frame]), 3)).toString()).toBe(
      'abcdefghabcdefghZxxxxxxxxxxx!',
    );
  });

  it('keeps the last 64 KiB of LZ4 output as history across blocks', async () => {
    const first = Uint8Array.from({ length: 65_536 }, (_, i) => i % 251);
    const second = Uint8Array.from({ length: 65_536 }, (_, i) => (i * 7) % 253);
    // A match of 8 bytes at the farthest distance (65,535): it starts at byte 1 of the second block.
    const frame = lz4Frame(0, [
      { data: first, stored: true },
      { data: second, stored: true },
      { data: [0x04, 0xff, 0xff, 0x10, ...ascii('Z')] },
    ]);
    const out = await inflate('lz4', frame, 4096);
    expect(out.length).toBe(131_072 + 9);
    expect([...out.subarray(131_072, 131_080)]).toEqual([...second.subarray(1, 9)]);
  });

  it('refuses, naming the offset, LZ4 matches that reach outside independent blocks or the history', async () => {
    const independent = lz4Frame(INDEPENDENT, [
      { data: ascii('abcdefgh'), stored: true },
      { data: [0x04, 0x08, 0x00, 0x10, ...ascii('Z')] },
    ]);
    await expect(inflate('lz4', independent)).rejects.toThrow(
      'lz4: match offset 8 points before the available history at offset 26',
    );
    // A run of 'a' longer than the frame's 64 KiB block maximum.
    const bomb = lz4Frame(0, [
      { data: [0x1f, ...ascii('a'), 0x01, 0x00, ...Array(300).fill(0xff), 0x00, 0x10, ...ascii('!')] },
    ]);
    await expect(inflate('lz4', bomb)).rejects.toThrow(/block decodes to more than the frame maximum/);
  });

  it.each([
    ['gzip', gzipSync(TEXT).subarray(0, 20), /^gzip: corrupt or truncated data: unexpected end of file/],
    ['gzip', Buffer.concat([gzipSync(TEXT).subarray(0, 10), randomBytes(64)]), /^gzip: corrupt or truncated data/],
    ['zlib', Buffer.from([0x78, 0x9c, 0xff, 0xff, 0xff]), /^zlib: corrupt or truncated data/],
    ['bzip2', fixture('bzip2').subarray(0, 60), /^bzip2: truncated input/],
    ['bzip2', Buffer.from(fixture('bzip2')).fill(0x55, 20, 30), /^bzip2: corrupt data near input byte/],
    ['bzip2', Buffer.from('BZh9garbage'), /^bzip2: corrupt data/],
    ['xz', fixture('xz').subarray(0, 60), /^xz: truncated/],
    ['xz', Buffer.from(fixture('xz')).fill(0x55, 30, 40), /^xz: corrupt data/],
    ['xz', fixture('xzSha256'), /^xz: unsupported options or filters/],
    ['xz', Buffer.from('not xz at all'), /^xz: not xz data/],
    ['lz4', fixture('lz4').subarray(0, 30), /^lz4: truncated block \(19 of 90 bytes\) at offset 11/],
    ['lz4', Buffer.from('\x04\x22\x4d\x18\x80\x40\x00', 'latin1'), /^lz4: unsupported frame version 2 at offset 4/],
    ['lz4', Buffer.from([0x02, 0x21, 0x4c, 0x18, 0, 0, 0, 0]), /^lz4: legacy LZ4 format/],
  ] as const)('%s: rejects corrupt or truncated input clearly (%#)', async (kind, bytes, message) => {
    await expect(inflate(kind, bytes)).rejects.toThrow(message);
  });

  it.each(['gzip', 'zlib', 'bzip2', 'xz', 'lz4'] as const)('%s: rejects empty input', async (kind) => {
    await expect(inflate(kind, new Uint8Array(0))).rejects.toThrow(new RegExp(`^${kind}: `));
  });

  it('never hangs or crashes on mutated input', async () => {
    const samples: [Compression, Buffer][] = [
      ['bzip2', fixture('bzip2')],
      ['xz', fixture('xz')],
      ['lz4', fixture('lz4Checksums')],
      ['gzip', gzipSync(TEXT)],
    ];
    for (const [kind, original] of samples) {
      for (let round = 0; round < 60; round++) {
        const bytes = Buffer.from(original);
        bytes[(round * 7919) % bytes.length] ^= 1 + (round % 255);
        bytes[(round * 104_729 + 13) % bytes.length] ^= 0x40;
        await inflate(kind, bytes).catch((error: Error) => expect(error.message).toMatch(new RegExp(`^${kind}: `)));
      }
    }
  });

  it('stops reading the input when the consumer stops early', async () => {
    let pulled = 0;
    let closed = false;
    const source = (async function* () {
      try {
        const bytes = gzipSync(randomBytes(8 << 20));
        for (let at = 0; at < bytes.length; at += 65_536) {
          pulled++;
          yield bytes.subarray(at, at + 65_536);
        }
      } finally {
        closed = true;
      }
    })();
    for await (const _ of decompress('gzip', source)) break;
    await new Promise((resolve) => setImmediate(resolve));
    expect(closed).toBe(true);
    expect(pulled).toBeLessThan(10);
  });
});
