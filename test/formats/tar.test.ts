import { describe, expect, it } from 'vitest';
import { looksLikeTar, readTar, type TarEntry } from '../../src/formats/tar.js';
import { buildTar, tarHeader } from '../fixtures/tar-writer.js';

const limits = { maxEntries: 1000 };
const text = (bytes: Uint8Array) => Buffer.from(bytes).toString('utf8');

async function* chunked(bytes: Uint8Array, size = 4096): AsyncGenerator<Uint8Array> {
  for (let at = 0; at < bytes.length; at += size) yield bytes.subarray(at, at + size);
}

async function readBody(body: AsyncIterable<Uint8Array>): Promise<string> {
  const parts: Uint8Array[] = [];
  for await (const part of body) parts.push(part);
  return text(Buffer.concat(parts));
}

/** Every entry with its body read in full. */
async function readAll(bytes: Uint8Array, chunkSize?: number) {
  const out: (Omit<TarEntry, 'body'> & { data: string })[] = [];
  for await (const { body, ...entry } of readTar(chunked(bytes, chunkSize), limits)) {
    out.push({ ...entry, data: await readBody(body) });
  }
  return out;
}

describe('readTar', () => {
  it('reads files, directories and links, whatever the chunking of the input', async () => {
    const tar = buildTar([
      { name: 'model/', type: '5' },
      { name: 'model/data.pkl', data: 'pickle bytes' },
      { name: 'model/link', type: '2', linkName: '../../etc/passwd' },
      { name: 'model/hard', type: '1', linkName: 'model/data.pkl' },
      { name: 'model/fifo', type: '6' },
    ]);
    const expected = [
      { name: 'model/', type: 'directory', size: 0, linkName: undefined, offset: 0, data: '' },
      { name: 'model/data.pkl', type: 'file', size: 12, linkName: undefined, offset: 512, data: 'pickle bytes' },
      { name: 'model/link', type: 'symlink', size: 0, linkName: '../../etc/passwd', offset: 1536, data: '' },
      { name: 'model/hard', type: 'hardlink', size: 0, linkName: 'model/data.pkl', offset: 2048, data: '' },
      { name: 'model/fifo', type: 'other', size: 0, linkName: undefined, offset: 2560, data: '' },
    ];
    expect(await readAll(tar)).toEqual(expected);
    expect(await readAll(tar, 7)).toEqual(expected);
  });

  it('reads long names from GNU L headers, pax headers and the ustar prefix', async () => {
    const long = `${'deep/'.repeat(30)}data.pkl`;
    const tar = buildTar([
      { name: long, data: 'gnu', longName: 'gnu' },
      { name: long, data: 'pax', longName: 'pax' },
      { name: long, data: 'prefix', longName: 'prefix' },
      { name: 'évasion/modèle.pkl', data: 'utf8' },
    ]);
    const entries = await readAll(tar);
    expect(entries.map((e) => [e.name, e.data])).toEqual([
      [long, 'gnu'],
      [long, 'pax'],
      [long, 'prefix'],
      ['évasion/modèle.pkl', 'utf8'],
    ]);
    expect(entries[0].offset).toBe(1024); // after the L header and its data block
  });

  it('applies pax linkpath and size, and base-256 sizes', async () => {
    const target = `/${'x'.repeat(200)}`;
    const tar = buildTar([
      { name: 'link', type: '2', pax: { linkpath: target } },
      { name: 'sized', data: 'abcdef', sizeField: 0, pax: { size: '6' } },
      { name: 'big256', data: 'z'.repeat(1000), base256Size: true },
    ]);
    const entries = await readAll(tar);
    expect(entries.map((e) => [e.name, e.type, e.size, e.linkName, e.data.length])).toEqual([
      ['link', 'symlink', 0, target, 0],
      ['sized', 'file', 6, undefined, 6],
      ['big256', 'file', 1000, undefined, 1000],
    ]);
  });

  it('treats unknown type flags as regular files, as Python does, and gives links no data even with a size', async () => {
    const tar = buildTar([
      { name: 'odd', type: 'Z', data: 'hidden pickle' },
      // A symlink claiming 512 bytes: tarfile reads the next block as the next header, and so do we.
      { name: 'link', type: '2', linkName: 'x', sizeField: 512 },
      { name: 'after', data: 'after' },
    ]);
    expect((await readAll(tar)).map((e) => [e.name, e.type, e.size, e.data])).toEqual([
      ['odd', 'file', 13, 'hidden pickle'],
      ['link', 'symlink', 512, ''],
      ['after', 'file', 5, 'after'],
    ]);
  });

  it('skips bodies the consumer does not read, fully or partly, and refuses late reads', async () => {
    const big = 'y'.repeat(50_000);
    const tar = buildTar([
      { name: 'a', data: big },
      { name: 'b', data: big },
      { name: 'c', data: 'c' },
    ]);
    const names: string[] = [];
    let skipped: AsyncIterable<Uint8Array> | undefined;
    for await (const entry of readTar(chunked(tar, 1000), limits)) {
      names.push(entry.name);
      if (entry.name === 'a') skipped = entry.body;
      if (entry.name === 'b') {
        for await (const part of entry.body) {
          expect(part.length).toBeGreaterThan(0);
          break; // read one piece only
        }
      }
      if (entry.name === 'c') expect(await readBody(entry.body)).toBe('c');
    }
    expect(names).toEqual(['a', 'b', 'c']);
    await expect(readBody(skipped!)).rejects.toThrow('the body of "a" is gone');
  });

  it('stops at the end-of-archive zero block and accepts archives without it', async () => {
    const withTrailer = buildTar([{ name: 'a', data: 'a' }]);
    const hidden = buildTar([{ name: 'after-end', data: 'x' }]);
    expect((await readAll(Buffer.concat([withTrailer, hidden]))).map((e) => e.name)).toEqual(['a']);
    expect((await readAll(buildTar([{ name: 'a', data: 'a' }], { endMarker: false }))).map((e) => e.name)).toEqual([
      'a',
    ]);
  });

  it('throws, naming the offset, on a bad checksum', async () => {
    const tar = buildTar([
      { name: 'a', data: 'a' },
      { name: 'b', data: 'b', badChecksum: true },
    ]);
    await expect(readAll(tar)).rejects.toThrow(/^tar: bad header checksum .* at offset 1024$/);
  });

  it('throws, naming the offset, when the archive is truncated in a body or a header', async () => {
    const tar = buildTar([
      { name: 'a', data: 'a'.repeat(2000) },
      { name: 'b', data: 'b' },
    ]);
    await expect(readAll(tar.subarray(0, 1500))).rejects.toThrow(
      'tar: member "a" truncated after 988 of 2000 bytes at offset 1500',
    );
    const skipAll = async () => {
      for await (const _ of readTar(chunked(tar.subarray(0, 1500)), limits));
    };
    await expect(skipAll()).rejects.toThrow(/member "a" truncated .* at offset 1500/);
    await expect(readAll(tar.subarray(0, 2560 + 100))).rejects.toThrow(
      'tar: truncated header (100 of 512 bytes) at offset 2560',
    );
  });

  it('enforces the entry limit and the metadata size limit', async () => {
    const tar = buildTar(Array.from({ length: 5 }, (_, i) => ({ name: `f${i}` })));
    const entries = async (maxEntries: number) => {
      const names: string[] = [];
      for await (const entry of readTar(chunked(tar), { maxEntries })) names.push(entry.name);
      return names;
    };
    expect(await entries(5)).toHaveLength(5);
    await expect(entries(3)).rejects.toThrow('tar: more than 3 entries at offset 1536');

    const hugeLongName = tarHeader({ name: '././@LongLink', type: 'L', size: 2 ** 40 });
    await expect(readAll(hugeLongName)).rejects.toThrow(/L header of 1099511627776 bytes exceeds/);
  });

  it('rejects malformed numbers and pax records', async () => {
    const negative = tarHeader({ name: 'neg', type: '0', size: 0 });
    negative.fill(0xff, 124, 136);
    // Recompute the checksum so that only the size is wrong.
    negative.fill(0x20, 148, 156);
    const sum = negative.reduce((total, byte) => total + byte, 0);
    negative.set(new TextEncoder().encode(`${sum.toString(8).padStart(6, '0')}\0 `), 148);
    await expect(readAll(negative)).rejects.toThrow('tar: malformed size field at offset 124');

    const badPax = buildTar([{ name: 'x', pax: { path: 'p' } }]);
    badPax[512] = 0x38; // the record length (9) no longer matches
    await expect(readAll(badPax)).rejects.toThrow(/malformed pax record at offset 512/);
  });
});

describe('looksLikeTar', () => {
  it('accepts ustar headers and old headers with a valid checksum, and nothing else', () => {
    const ustar = tarHeader({ name: 'a', type: '0', size: 0 });
    expect(looksLikeTar(ustar)).toBe(true);
    const v7 = Uint8Array.from(ustar);
    v7.fill(0, 257, 265);
    expect(looksLikeTar(v7)).toBe(false); // checksum now wrong
    v7.fill(0x20, 148, 156);
    const sum = v7.reduce((total, byte) => total + byte, 0);
    v7.set(new TextEncoder().encode(`${sum.toString(8).padStart(6, '0')}\0 `), 148);
    expect(looksLikeTar(v7)).toBe(true);
    expect(looksLikeTar(new Uint8Array(512))).toBe(false);
    expect(looksLikeTar(ustar.subarray(0, 300))).toBe(false);
  });
});
