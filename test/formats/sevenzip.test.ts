import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isSevenZip, readSevenZip } from '../../src/formats/sevenzip.js';
import { sevenZipFile } from '../fixtures/sevenzip-writer.js';
import { SHARED_DATA } from '../helpers.js';

const FIXTURE = join(SHARED_DATA, 'peer-corpora/picklescan/data/malicious1.7z');
const limits = { maxEntries: 100, maxMemberBytes: 64 << 20 };
const scratch = mkdtempSync(join(tmpdir(), 'assay-7z-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

let fileCount = 0;
function writeArchive(bytes: Uint8Array): string {
  const path = join(scratch, `${fileCount++}.7z`);
  writeFileSync(path, bytes);
  return path;
}

interface FolderSpec {
  coder: number[];
  properties?: number[];
  /** Members stored in this folder, in order; the packed bytes are their concatenation. */
  members: { name: string; data: string; attributes?: number }[];
}

/** Folders whose packed bytes are the raw member bytes: enough to reach the decoder with any coder id. */
function sevenZip(folders: FolderSpec[], directories: string[] = []): Uint8Array {
  return sevenZipFile(
    folders.map((folder) => ({
      coder: folder.coder,
      properties: folder.properties,
      packed: Buffer.from(folder.members.map((member) => member.data).join(''), 'latin1'),
      members: folder.members.map(({ name, data, attributes }) => ({ name, size: data.length, attributes })),
    })),
    directories,
  );
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
