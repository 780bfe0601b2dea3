import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { isSevenZip, readSevenZip } from '../../src/formats/sevenzip.js';

const FIXTURE = '/work/shared/data/peer-corpora/picklescan/data/malicious1.7z';
const limits = { maxEntries: 100, maxMemberBytes: 64 << 20 };
const scratch = mkdtempSync(join(tmpdir(), 'assay-7z-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

let fileCount = 0;
function writeArchive(bytes: Uint8Array): string {
  const path = join(scratch, `${fileCount++}.7z`);
  writeFileSync(path, bytes);
  return path;
}

/** 7z variable-length number (values below 2^14, or the 9-byte form). */
function num(value: number): number[] {
  if (value < 0x80) return [value];
  if (value < 0x4000) return [0x80 | (value >> 8), value & 0xff];
  const out = Buffer.alloc(9);
  out[0] = 0xff;
  out.writeBigUInt64LE(BigInt(value), 1);
  return [...out];
}

interface FolderSpec {
  coder: number[];
  properties?: number[];
  /** Members stored in this folder, in order; with the Copy coder the packed bytes are their concatenation. */
  members: { name: string; data: string; attributes?: number }[];
}

/**
 * A minimal 7z writer: an uncompressed header, one coder per folder, optional empty entries (directories).
 * With coders other than Copy the "packed" bytes are the raw member bytes: enough to reach the decoder.
 */
function sevenZip(folders: FolderSpec[], directories: string[] = []): Uint8Array {
  const packed = folders.map((folder) => Buffer.from(folder.members.map((m) => m.data).join(''), 'latin1'));
  const files = [
    ...folders.flatMap((folder) =>
      folder.members.map((m) => ({ name: m.name, attributes: m.attributes, stream: true })),
    ),
    ...directories.map((name) => ({ name, attributes: 0x10, stream: false })),
  ];
  const header: number[] = [0x01, 0x04];
  header.push(0x06, ...num(0), ...num(folders.length), 0x09, ...packed.flatMap((p) => num(p.length)), 0x00);
  header.push(0x07, 0x0b, ...num(folders.length), 0x00);
  for (const folder of folders) {
    const properties = folder.properties ?? [];
    header.push(...num(1), folder.coder.length | (properties.length ? 0x20 : 0), ...folder.coder);
    if (properties.length) header.push(...num(properties.length), ...properties);
  }
  header.push(0x0c, ...packed.flatMap((p) => num(p.length)), 0x00);
  header.push(0x08, 0x0d, ...folders.flatMap((f) => num(f.members.length)), 0x09);
  for (const folder of folders) header.push(...folder.members.slice(0, -1).flatMap((m) => num(m.data.length)));
  header.push(0x00, 0x00);
  header.push(0x05, ...num(files.length));
  if (directories.length > 0) {
    const bits = Buffer.alloc(Math.ceil(files.length / 8));
    files.forEach((file, i) => {
      if (!file.stream) bits[i >> 3] |= 0x80 >> (i & 7);
    });
    header.push(0x0e, ...num(bits.length), ...bits);
  }
  const names = Buffer.concat(files.map((file) => Buffer.from(`${file.name}\0`, 'utf16le')));
  header.push(0x11, ...num(names.length + 1), 0x00, ...names);
  const attributes = Buffer.alloc(files.length * 4);
  files.forEach((file, i) => {
    attributes.writeUInt32LE(file.attributes ?? 0x20, i * 4);
  });
  header.push(0x15, ...num(attributes.length + 2), 0x01, 0x00, ...attributes);
  header.push(0x00, 0x00);

  const headerBytes = Buffer.from(header);
  const body = Buffer.concat(packed);
  const start = Buffer.alloc(20);
  start.writeBigUInt64LE(BigInt(body.length), 0);
  start.writeBigUInt64LE(BigInt(headerBytes.length), 8);
  start.writeUInt32LE(crc32(headerBytes), 16);
  const signature = Buffer.from([0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c, 0x00, 0x04, 0, 0, 0, 0]);
  signature.writeUInt32LE(crc32(start), 8);
  return Buffer.concat([signature, start, body, headerBytes]);
}

const COPY = [0x00];
const AES = [0x06, 0xf1, 0x07, 0x01];
const PPMD = [0x03, 0x04, 0x01];
const SYMLINK_ATTRIBUTES = (0x8000 | (0o120777 << 16)) >>> 0;

async function collect(path: string, read: (name: string) => boolean | 'partial' = () => true) {
  const out: { name: string; size: number; isDirectory: boolean; isSymlink: boolean; data?: string }[] = [];
  for await (const member of readSevenZip(path, limits)) {
    const { body, ...rest } = member;
    const mode = read(member.name);
    let data: string | undefined;
    if (mode) {
      const parts: Uint8Array[] = [];
      for await (const part of body) {
        parts.push(part);
        if (mode === 'partial') break;
      }
      data = Buffer.concat(parts).toString('latin1');
    }
    out.push({ ...rest, data });
  }
  return out;
}

describe('readSevenZip', () => {
  it('reads the picklescan fixture: an LZMA2 member behind an LZMA-compressed header', async () => {
    const members = await collect(FIXTURE);
    expect(members).toHaveLength(1);
    expect(members[0]).toMatchObject({ name: 'data.pkl', size: 51, isDirectory: false, isSymlink: false });
    const data = Buffer.from(members[0].data!, 'latin1');
    expect(data[0]).toBe(0x80);
    expect(data.toString('latin1')).toContain('builtins');
    expect(data.toString('latin1')).toContain('eval');
    // xz-compat, under 7z-iterator, would otherwise have run `npm install lzma-native` to decode LZMA.
    expect(() => createRequire(import.meta.url).resolve('lzma-native')).toThrow();
  });

  it('lists directories and symlinks, and reads members of a solid block in any pattern', async () => {
    const path = writeArchive(
      sevenZip(
        [
          {
            coder: COPY,
            members: [
              { name: 'skipped.bin', data: 'x'.repeat(100_000) },
              { name: 'partial.bin', data: 'y'.repeat(100_000) },
              { name: 'model/data.pkl', data: '\x80\x04K\x01.' },
            ],
          },
          { coder: COPY, members: [{ name: 'model/link', data: '../../etc/passwd', attributes: SYMLINK_ATTRIBUTES }] },
        ],
        ['model'],
      ),
    );
    const members = await collect(path, (name) =>
      name === 'skipped.bin' ? false : name === 'partial.bin' ? 'partial' : true,
    );
    expect(members.map(({ name, isDirectory, isSymlink }) => [name, isDirectory, isSymlink])).toEqual([
      ['skipped.bin', false, false],
      ['partial.bin', false, false],
      ['model/data.pkl', false, false],
      ['model/link', false, true],
      ['model', true, false],
    ]);
    expect(members[2].data).toBe('\x80\x04K\x01.');
    expect(members[3].data).toBe('../../etc/passwd');
  });

  it('lists encrypted members, and refuses to read them with a clear error', async () => {
    const path = writeArchive(
      sevenZip([{ coder: AES, properties: [0x13], members: [{ name: 'secret.pkl', data: 'x'.repeat(32) }] }]),
    );
    const names: string[] = [];
    const read = async () => {
      for await (const member of readSevenZip(path, limits)) {
        names.push(member.name);
        for await (const _ of member.body);
      }
    };
    await expect(read()).rejects.toThrow(
      '7z member "secret.pkl": encrypted (AES-256): cannot be read without the password',
    );
    expect(names).toEqual(['secret.pkl']);
  });

  it('refuses unsupported codecs, naming the member and the codec', async () => {
    const path = writeArchive(
      sevenZip([{ coder: PPMD, properties: [6, 0, 0, 0, 1], members: [{ name: 'p.pkl', data: 'abc' }] }]),
    );
    await expect(collect(path)).rejects.toThrow('7z member "p.pkl": Unsupported codec: PPMd');
  });

  it('rejects a member whose LZMA2 data is corrupt, without crashing', async () => {
    const bytes = Buffer.from(readFileSync(FIXTURE));
    for (let i = 0x22; i < 0x50; i++) bytes[i] ^= 0x5a; // inside the packed member data
    await expect(collect(writeArchive(bytes))).rejects.toThrow(/^7z member "data\.pkl": /);
  });

  it('throws clear errors for truncated, foreign and oversized archives', async () => {
    const fixture = readFileSync(FIXTURE);
    await expect(collect(writeArchive(fixture.subarray(0, 150)))).rejects.toThrow(
      /truncated: the archive header should end at offset 198, past the end of the file \(150 bytes\)/,
    );
    await expect(collect(writeArchive(fixture.subarray(0, 20)))).rejects.toThrow(
      /truncated signature header \(20 of 32 bytes\)/,
    );
    await expect(collect(writeArchive(Buffer.from('PK\x03\x04 not 7z')))).rejects.toThrow(/not a 7z archive/);
    const tight = async () => {
      for await (const _ of readSevenZip(FIXTURE, { maxEntries: 10, maxMemberBytes: 16 }));
    };
    await expect(tight()).rejects.toThrow(/archive header of 20 bytes \(at offset 178\) exceeds the 16-byte limit/);
    const corruptHeader = Buffer.from(fixture);
    corruptHeader[fixture.length - 5] ^= 0xff;
    await expect(collect(writeArchive(corruptHeader))).rejects.toThrow(/cannot read the archive header/);
  });

  it('enforces the entry limit', async () => {
    const path = writeArchive(
      sevenZip([
        {
          coder: COPY,
          members: [
            { name: 'a', data: 'a' },
            { name: 'b', data: 'b' },
          ],
        },
      ]),
    );
    const names: string[] = [];
    const read = async () => {
      for await (const member of readSevenZip(path, { maxEntries: 1, maxMemberBytes: 1 << 20 }))
        names.push(member.name);
    };
    await expect(read()).rejects.toThrow(/more than 1 entries/);
    expect(names).toEqual(['a']);
  });
});

describe('isSevenZip', () => {
  it('recognises the signature', () => {
    expect(isSevenZip(readFileSync(FIXTURE).subarray(0, 6))).toBe(true);
    expect(isSevenZip(Buffer.from('PK\x03\x04'))).toBe(false);
  });
});
