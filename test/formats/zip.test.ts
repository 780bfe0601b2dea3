import { randomBytes } from 'node:crypto';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type ByteSource, bufferSource, fileSource, type RandomAccessSource } from '../../src/formats/source.js';
import { decodeZipName, listZip, openZipEntry } from '../../src/formats/zip.js';
import { buildZip, unixMode } from '../fixtures/zip-writer.js';
import { SHARED_DATA } from '../helpers.js';

const PICKLESCAN = join(SHARED_DATA, 'peer-corpora/picklescan');
const limits = { maxEntries: 100_000 };
const text = (bytes: Uint8Array) => Buffer.from(bytes).toString('latin1');
/** Pickle-like bytes: every char code below 256 is one byte. */
const latin1 = (chars: string) => Buffer.from(chars, 'latin1');

async function readAll(source: ByteSource): Promise<{ bytes: Buffer; chunks: number }> {
  const parts: Uint8Array[] = [];
  for await (const chunk of source.stream()) parts.push(chunk);
  return { bytes: Buffer.concat(parts), chunks: parts.length };
}

function archive(bytes: Uint8Array, label = 'test.zip') {
  return bufferSource(bytes, label);
}

function fixture(path: string) {
  const full = `${PICKLESCAN}/${path}`;
  return fileSource(full, statSync(full).size);
}

describe('listZip and openZipEntry on well-formed archives', () => {
  it('reads stored members as slices and streams deflated members in bounded chunks', async () => {
    const big = Buffer.concat(Array.from({ length: 40 }, () => randomBytes(64 * 1024)));
    const zip = archive(
      buildZip([
        { name: 'archive/data.pkl', data: latin1('\x80\x02}q\x00.') },
        { name: 'archive/data/0', data: big, method: 8 },
        { name: 'archive/', data: '' },
      ]),
    );
    const listing = await listZip(zip, limits);
    expect(listing.damage).toEqual([]);
    expect(listing.truncated).toBe(false);
    expect(listing.entries.map((e) => [e.name, e.method, e.isDirectory, e.source])).toEqual([
      ['archive/data.pkl', 0, false, 'central-directory'],
      ['archive/data/0', 8, false, 'central-directory'],
      ['archive/', 0, true, 'central-directory'],
    ]);
    const stored = openZipEntry(zip, listing.entries[0]);
    expect(stored.read).toBeTypeOf('function');
    expect(text((await readAll(stored)).bytes)).toBe('\x80\x02}q\x00.');
    const deflated = await readAll(openZipEntry(zip, listing.entries[1]));
    expect(deflated.bytes.equals(big)).toBe(true);
    expect(deflated.chunks).toBeGreaterThan(1);
    expect(listing.entries[1].uncompressedSize).toBe(big.length);
  });

  it('reads sizes and offsets from ZIP64 extra fields and the ZIP64 end records', async () => {
    const zip = archive(
      buildZip(
        [
          { name: 'a.bin', data: 'first', zip64: true },
          { name: 'b.bin', data: 'second member', zip64: true, method: 8 },
        ],
        { zip64End: true },
      ),
    );
    const listing = await listZip(zip, limits);
    expect(listing.damage).toEqual([]);
    const [a, b] = listing.entries;
    expect([a.compressedSize, a.uncompressedSize, a.localHeaderOffset]).toEqual([5, 5, 0]);
    expect(b.uncompressedSize).toBe(13);
    expect(b.localHeaderOffset).toBeGreaterThan(0);
    expect(text((await readAll(openZipEntry(zip, b))).bytes)).toBe('second member');
  });

  it('reads a member whose header and data sit past 4 GiB', async () => {
    const base = 5 * 2 ** 30;
    const tail = buildZip([{ name: 'far.pkl', data: 'far away', zip64: true }], { baseOffset: base });
    // A sparse 5 GiB file: zeros, then the archive.
    const sparse: RandomAccessSource = {
      label: 'sparse.zip',
      size: base + tail.length,
      async read(offset, length) {
        const out = new Uint8Array(Math.max(0, Math.min(length, base + tail.length - offset)));
        const from = Math.max(offset, base);
        if (from < offset + out.length) out.set(tail.subarray(from - base, offset + out.length - base), from - offset);
        return out;
      },
      stream() {
        throw new Error('not used');
      },
    };
    const listing = await listZip(sparse, limits);
    expect(listing.damage).toEqual([]);
    expect(listing.entries[0]).toMatchObject({ name: 'far.pkl', localHeaderOffset: base });
    expect(text((await readAll(openZipEntry(sparse, listing.entries[0]))).bytes)).toBe('far away');
  });

  it('lists 70,000 entries through the ZIP64 end of central directory, and stops at the entry limit', async () => {
    const members = Array.from({ length: 70_000 }, (_, i) => ({ name: `d/${i}` }));
    const zip = archive(buildZip(members));
    const listing = await listZip(zip, limits);
    expect(listing.damage).toEqual([]);
    expect(listing.entries).toHaveLength(70_000);
    expect(listing.entries[69_999].name).toBe('d/69999');

    const limited = await listZip(zip, { maxEntries: 1000 });
    expect(limited.truncated).toBe(true);
    expect(limited.entries).toHaveLength(1000);
  });

  it('lists path traversal names verbatim, and detects symlinks from the Unix mode', async () => {
    const names = ['../../etc/passwd', '/abs/evil.pkl', 'a\\..\\..\\b.pkl', 'C:/windows/x', 'nul\0byte'];
    const zip = archive(
      buildZip([
        ...names.map((name) => ({ name })),
        { name: 'link', data: '/etc/passwd', externalAttributes: unixMode(0o120777) },
        { name: 'file', data: 'x', externalAttributes: unixMode(0o100644) },
      ]),
    );
    const listing = await listZip(zip, limits);
    expect(listing.entries.map((e) => e.name)).toEqual([...names, 'link', 'file']);
    expect(listing.entries.filter((e) => e.isSymlink).map((e) => e.name)).toEqual(['link']);
  });

  it('decodes names as UTF-8 when flagged and as CP437 otherwise, like Python', async () => {
    const zip = archive(buildZip([{ name: 'modèle.pkl', flags: 0x800 }]));
    expect((await listZip(zip, limits)).entries[0].name).toBe('modèle.pkl');
    expect(decodeZipName(new Uint8Array([0x61, 0x80, 0x82, 0xff]), 0)).toBe('aÇé\u00a0');
  });
});

describe('leniency: what PyTorch still loads', () => {
  it('ignores CRCs', async () => {
    const zip = archive(buildZip([{ name: 'data.pkl', data: latin1('\x80\x04K\x01.'), crc32: 0xdeadbeef, method: 8 }]));
    const [entry] = (await listZip(zip, limits)).entries;
    expect(entry.crc32).toBe(0xdeadbeef);
    expect(text((await readAll(openZipEntry(zip, entry))).bytes)).toBe('\x80\x04K\x01.');
  });

  it('reads members flagged 0x1, 0x20 and 0x40, recording the encryption flag', async () => {
    const zip = archive(
      buildZip([
        { name: 'e.pkl', data: 'stored', flags: 0x1 },
        { name: 'p.pkl', data: 'patched', flags: 0x20, method: 8 },
        { name: 's.pkl', data: 'strong', flags: 0x40 },
      ]),
    );
    const listing = await listZip(zip, limits);
    expect(listing.entries.map((e) => e.encrypted)).toEqual([true, false, false]);
    const contents = await Promise.all(
      listing.entries.map(async (e) => text((await readAll(openZipEntry(zip, e))).bytes)),
    );
    expect(contents).toEqual(['stored', 'patched', 'strong']);
  });

  it('finds members by scanning local headers when there is no central directory', async () => {
    const zip = archive(
      buildZip(
        [
          { name: 'a.pkl', data: 'alpha' },
          { name: 'b.pkl', data: 'bravo bravo bravo', method: 8, dataDescriptor: true },
          { name: 'c.pkl', data: 'charlie', dataDescriptor: true },
        ],
        { omitCentralDirectory: true },
      ),
    );
    const listing = await listZip(zip, limits);
    expect(listing.entries.map((e) => [e.name, e.source])).toEqual([
      ['a.pkl', 'local-header-scan'],
      ['b.pkl', 'local-header-scan'],
      ['c.pkl', 'local-header-scan'],
    ]);
    expect(listing.damage[0].detail).toMatch(/no end of central directory/);
    const contents = await Promise.all(
      listing.entries.map(async (e) => text((await readAll(openZipEntry(zip, e))).bytes)),
    );
    expect(contents).toEqual(['alpha', 'bravo bravo bravo', 'charlie']);
  });

  it('finds the central directory where it must be when the end record points elsewhere', async () => {
    const bytes = buildZip([
      { name: 'a.pkl', data: 'alpha' },
      { name: 'b.pkl', data: 'bravo' },
    ]);
    new DataView(bytes.buffer).setUint32(bytes.length - 6, 3, true); // central directory offset now points into member data
    const listing = await listZip(archive(bytes), limits);
    expect(listing.entries.map((e) => [e.name, e.source])).toEqual([
      ['a.pkl', 'central-directory'],
      ['b.pkl', 'central-directory'],
    ]);
    expect(listing.damage[0]).toEqual({
      detail: 'central directory found at offset 80, not at the stated 3',
      offset: 80,
    });
  });

  it('falls back to the local headers when the central directory is unreadable', async () => {
    const bytes = buildZip([
      { name: 'a.pkl', data: 'alpha' },
      { name: 'b.pkl', data: 'bravo' },
    ]);
    bytes.fill(0, 80, 80 + 46); // the first central directory entry
    const listing = await listZip(archive(bytes), limits);
    expect(listing.entries.map((e) => [e.name, e.source])).toEqual([
      ['a.pkl', 'local-header-scan'],
      ['b.pkl', 'local-header-scan'],
    ]);
    expect(listing.damage[0]).toEqual({ detail: 'central directory missing at offset 80', offset: 80 });
    const contents = await Promise.all(
      listing.entries.map(async (e) => text((await readAll(openZipEntry(archive(bytes), e))).bytes)),
    );
    expect(contents).toEqual(['alpha', 'bravo']);
  });

  it('lists the central directory name when the local header disagrees, and reports the disagreement', async () => {
    const zip = archive(
      buildZip([
        { name: 'data.pkl', localName: 'datap.kl', data: 'x' },
        { name: 'hidden.pkl', data: 'h', hidden: true },
      ]),
    );
    const listing = await listZip(zip, limits);
    expect(listing.entries.map((e) => [e.name, e.source])).toEqual([
      ['data.pkl', 'central-directory'],
      ['hidden.pkl', 'local-header-scan'],
    ]);
    expect(listing.damage.map((d) => d.detail)).toEqual([
      'local header names the member "datap.kl"; the central directory names it "data.pkl"',
      expect.stringMatching(/^member found by scanning local headers at offset \d+/),
    ]);
  });

  it('reads archives with bytes prepended, like Python', async () => {
    const prefix = new TextEncoder().encode('#!/bin/sh\nexit 0\n');
    const zip = archive(Buffer.concat([prefix, buildZip([{ name: 'data.pkl', data: 'payload' }])]));
    const listing = await listZip(zip, limits);
    expect(listing.entries[0].localHeaderOffset).toBe(prefix.length);
    expect(text((await readAll(openZipEntry(zip, listing.entries[0]))).bytes)).toBe('payload');
    expect(listing.damage[0].detail).toMatch(/17 bytes precede the archive/);
  });
});

describe('hostile and broken archives', () => {
  it('reports a truncated archive with the offset where the data stops', async () => {
    const whole = buildZip([
      { name: 'a.pkl', data: 'alpha' },
      { name: 'b.bin', data: randomBytes(4000) },
    ]);
    const cut = whole.subarray(0, 2000);
    const zip = archive(cut);
    const listing = await listZip(zip, limits);
    expect(listing.entries.map((e) => e.name)).toEqual(['a.pkl', 'b.bin']);
    expect(listing.damage).toContainEqual(
      expect.objectContaining({
        name: 'b.bin',
        detail: expect.stringMatching(/past the end of the file \(2000 bytes\)/),
      }),
    );
    await expect(readAll(openZipEntry(zip, listing.entries[1]))).rejects.toThrow(
      /b\.bin.*past the end of the archive \(2000 bytes\)/,
    );
  });

  it('reports a truncated deflated member with the offset where its data should end', async () => {
    const whole = buildZip([{ name: 'big.bin', data: randomBytes(5000), method: 8 }]);
    const zip = archive(whole.subarray(0, 3000));
    const [entry] = (await listZip(zip, limits)).entries;
    await expect(readAll(openZipEntry(zip, entry))).rejects.toThrow(
      /^zip member "big\.bin" \(data at offset 37\): data truncated: it should end at offset \d+, past the end of the archive \(3000 bytes\)$/,
    );
  });

  it('throws, naming where it searched, on input that is not a zip', async () => {
    await expect(listZip(archive(new Uint8Array(10), 'tiny.bin'), limits)).rejects.toThrow(
      /tiny\.bin: not a readable zip.*offset 0/,
    );
    await expect(listZip(archive(randomBytes(100_000), 'noise.bin'), limits)).rejects.toThrow(/from offset 34443/);
  });

  it('rejects the iteration, naming the member, on corrupt deflate data', async () => {
    const zip = archive(buildZip([{ name: 'bad.pkl', method: 8, rawData: new Uint8Array([0xff, 0xff, 0xff, 0xff]) }]));
    const [entry] = (await listZip(zip, limits)).entries;
    await expect(readAll(openZipEntry(zip, entry))).rejects.toThrow(/zip member "bad\.pkl".*corrupt/);
  });

  it('refuses compression methods other than stored and deflate, naming the method and the member', async () => {
    const zip = archive(buildZip([{ name: 'x.pkl', method: 12, data: 'BZh9' }]));
    const [entry] = (await listZip(zip, limits)).entries;
    expect(() => openZipEntry(zip, entry)).toThrow(
      'zip member "x.pkl": compression method 12 (bzip2) is not supported',
    );
  });

  it('survives random corruption of a valid archive without crashing', async () => {
    const original = buildZip([
      { name: 'a.pkl', data: 'alpha'.repeat(50), method: 8 },
      { name: 'b.pkl', data: 'bravo', zip64: true },
    ]);
    for (let round = 0; round < 300; round++) {
      const bytes = Uint8Array.from(original);
      for (let i = 0; i < 4; i++) bytes[(round * 7919 + i * 104_729) % bytes.length] ^= 1 + ((round + i) % 255);
      const zip = archive(bytes);
      try {
        const listing = await listZip(zip, { maxEntries: 10 });
        for (const entry of listing.entries) {
          try {
            await readAll(openZipEntry(zip, entry));
          } catch (error) {
            expect(error).toBeInstanceOf(Error);
          }
        }
      } catch (error) {
        expect((error as Error).message).toMatch(/not a readable zip/);
      }
    }
  });
});

describe('picklescan fixtures', () => {
  const firstBytes = async (source: ByteSource) => (await readAll(source)).bytes;

  it.each([
    ['data/malicious1_0x1.zip', 'model/config.pkl', true],
    ['data/malicious1_0x20.zip', 'model/config.pkl', false],
    ['data/malicious1_0x40.zip', 'model/config.pkl', false],
    ['data/malicious1_wrong_ext.zip', 'data.txt', false],
    ['data2/malicious1_crc.zip', 'data.pkl', false],
  ])('%s: reads %s', async (path, name, encrypted) => {
    const zip = fixture(path);
    const listing = await listZip(zip, limits);
    expect(listing.entries.map((e) => [e.name, e.encrypted])).toEqual([[name, encrypted]]);
    const bytes = await firstBytes(openZipEntry(zip, listing.entries[0]));
    expect(bytes[0]).toBe(0x80);
    expect(bytes.toString('latin1')).toContain('builtins');
  });

  it('malicious1_central_directory.zip: keeps the central name and reports the renamed local header', async () => {
    const zip = fixture('data/malicious1_central_directory.zip');
    const listing = await listZip(zip, limits);
    expect(listing.entries.map((e) => e.name)).toEqual(['data.pkl']);
    expect(listing.damage).toEqual([
      {
        detail: 'local header names the member "datap.kl"; the central directory names it "data.pkl"',
        offset: 0,
        name: 'data.pkl',
      },
    ]);
    expect((await firstBytes(openZipEntry(zip, listing.entries[0]))).toString('latin1')).toContain('eval');
  });

  it('benign_password_protected.zip: a ZipCrypto-encrypted stored member, listed and still readable as raw bytes', async () => {
    const zip = fixture('data/benign_password_protected.zip');
    const [entry] = (await listZip(zip, limits)).entries;
    expect(entry).toMatchObject({
      name: 'test.txt',
      encrypted: true,
      method: 0,
      compressedSize: 27,
      uncompressedSize: 15,
    });
    expect((await firstBytes(openZipEntry(zip, entry))).length).toBe(27);
  });

  it('new_pytorch_model.bin: a torch.save archive with data descriptors', async () => {
    const zip = fixture('data/new_pytorch_model.bin');
    const listing = await listZip(zip, limits);
    expect(listing.damage).toEqual([]);
    expect(listing.entries.map((e) => e.name)).toEqual(['archive/data.pkl', 'archive/data/0', 'archive/version']);
    expect((await firstBytes(openZipEntry(zip, listing.entries[0])))[0]).toBe(0x80);
    expect(text(await firstBytes(openZipEntry(zip, listing.entries[2])))).toBe('3\n');
  });
});
