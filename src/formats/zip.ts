import { inflateRaw } from './compression.js';
import { type ByteSource, type RandomAccessSource, READ_CHUNK, sliceSource } from './source.js';

/**
 * A lenient ZIP reader: it lists what PyTorch's loader (miniz, central directory first) and Python's
 * zipfile would read, including from archives those libraries accept despite damage: bad CRCs, stray
 * general-purpose flags, data prepended to the archive. CRCs are never checked. When the central
 * directory is missing, unreadable or disagrees with the local headers, local headers are also
 * scanned so that nothing loadable escapes the listing. Every anomaly is reported in `damage`.
 */

export interface ZipEntry {
  /** As stored (UTF-8 when flag 0x800 is set, else CP437 as Python reads it); never normalised. */
  name: string;
  method: number;
  flags: number;
  compressedSize: number;
  uncompressedSize: number;
  crc32: number;
  localHeaderOffset: number;
  /** First byte of the member's (compressed) data, after the local header. */
  dataOffset: number;
  isDirectory: boolean;
  isSymlink: boolean;
  /** General-purpose flag bit 0x1; PyTorch reads stored members regardless. */
  encrypted: boolean;
  source: 'central-directory' | 'local-header-scan';
}

export interface ZipDamage {
  detail: string;
  offset?: number;
  name?: string;
}

export interface ZipListing {
  entries: ZipEntry[];
  damage: ZipDamage[];
  /** The entry limit stopped the listing: more members exist. */
  truncated: boolean;
}

const SIG_LOCAL = 0x04034b50;
const SIG_CENTRAL = 0x02014b50;
const SIG_EOCD = 0x06054b50;
const SIG_ZIP64_EOCD = 0x06064b50;
const SIG_ZIP64_LOCATOR = 0x07064b50;
const SIG_DESCRIPTOR = 0x08074b50;
const EOCD_SIZE = 22;
/** The EOCD record plus the longest possible comment. */
const EOCD_SEARCH = EOCD_SIZE + 0xffff;
const ZIP64_LOCATOR_SIZE = 20;
const ZIP64_EOCD_SIZE = 56;
const CENTRAL_HEADER_SIZE = 46;
const LOCAL_HEADER_SIZE = 30;
const FLAG_ENCRYPTED = 0x1;
const FLAG_DATA_DESCRIPTOR = 0x8;
const FLAG_UTF8 = 0x800;
const S_IFMT = 0o170000;
const S_IFLNK = 0o120000;
const METHOD_NAMES: Record<number, string> = {
  1: 'shrink',
  6: 'implode',
  9: 'deflate64',
  12: 'bzip2',
  14: 'lzma',
  93: 'zstd',
  95: 'xz',
  98: 'ppmd',
  99: 'AES encryption',
};

const u16 = (b: Uint8Array, at: number) => b[at] | (b[at + 1] << 8);
const u32 = (b: Uint8Array, at: number) => (b[at] | (b[at + 1] << 8) | (b[at + 2] << 16) | (b[at + 3] << 24)) >>> 0;
/** A 64-bit field, or -1 when it does not fit a safe integer (no file is that large). */
const u64 = (b: Uint8Array, at: number) => {
  const high = u32(b, at + 4);
  return high > 0x1fffff ? -1 : high * 0x1_0000_0000 + u32(b, at);
};

// biome-ignore format: one row per 32 code points keeps the table checkable
const CP437_HIGH =
  'ÇüéâäàåçêëèïîìÄÅÉæÆôöòûùÿÖÜ¢£¥₧ƒ' +
  'áíóúñÑªº¿⌐¬½¼¡«»░▒▓│┤╡╢╖╕╣║╗╝╜╛┐' +
  '└┴┬├─┼╞╟╚╔╩╦╠═╬╧╨╤╥╙╘╒╓╫╪┘┌█▄▌▐▀' +
  'αßΓπΣσµτΦΘΩδ∞φε∩≡±≥≤⌠⌡÷≈°∙·√ⁿ²■\u00a0';
const utf8 = new TextDecoder('utf-8');

/** Decodes a member name the way Python's zipfile does. */
export function decodeZipName(bytes: Uint8Array, flags: number): string {
  if (flags & FLAG_UTF8) return utf8.decode(bytes);
  let name = '';
  for (const byte of bytes) name += byte < 0x80 ? String.fromCharCode(byte) : CP437_HIGH[byte - 0x80];
  return name;
}

/** Random reads through a cached window, so walking many small headers costs few reads. */
class Window {
  private start = 0;
  private bytes: Uint8Array = new Uint8Array(0);
  constructor(private readonly source: RandomAccessSource) {}

  /** Bytes [offset, offset + length), fewer at the end of the source; reads `readAhead` bytes on a miss. */
  async get(offset: number, length: number, readAhead = READ_CHUNK): Promise<Uint8Array> {
    const from = offset - this.start;
    const cachedEnd = this.start + this.bytes.length;
    const covered =
      from >= 0 && (from + length <= this.bytes.length || (cachedEnd >= this.source.size && from <= this.bytes.length));
    if (!covered) {
      this.start = offset;
      this.bytes = await this.source.read(offset, Math.max(length, readAhead));
      return this.bytes.subarray(0, length);
    }
    return this.bytes.subarray(from, from + length);
  }

  /** The first of the signatures found in [from, to), reading the file once in windows. */
  async find(
    signatures: readonly number[],
    from: number,
    to: number,
  ): Promise<{ at: number; signature: number } | undefined> {
    for (let position = from; position + 4 <= to; ) {
      const span = Math.min(READ_CHUNK, to - position);
      const bytes = await this.get(position, span + 3);
      for (let i = 0; i + 4 <= bytes.length && i < span; i++) {
        if (bytes[i] !== 0x50 || bytes[i + 1] !== 0x4b) continue;
        const signature = u32(bytes, i);
        if (signatures.includes(signature)) return { at: position + i, signature };
      }
      position += span;
    }
    return undefined;
  }
}

interface EndRecord {
  entries: number;
  centralSize: number;
  centralOffset: number;
  /** Where the central directory must end: the ZIP64 record or the EOCD. */
  centralEnd: number;
}

class ZipLister {
  readonly entries: ZipEntry[] = [];
  readonly damage: ZipDamage[] = [];
  truncated = false;
  private readonly window: Window;
  private readonly listedOffsets = new Map<number, ZipEntry>();

  constructor(
    private readonly source: RandomAccessSource,
    private readonly maxEntries: number,
  ) {
    this.window = new Window(source);
  }

  private get full(): boolean {
    return this.entries.length >= this.maxEntries;
  }

  private note(detail: string, offset?: number, name?: string) {
    this.damage.push({ detail, offset, name });
  }

  async list(): Promise<ZipListing> {
    const end = await this.readEndRecord();
    const centralRead = end !== undefined && (await this.readCentralDirectory(end));
    if (!centralRead || this.damage.length > 0) await this.scanLocalHeaders();
    if (this.entries.length === 0 && end === undefined) {
      throw new Error(
        `${this.source.label}: not a readable zip archive: no end of central directory record in the last ${Math.min(this.source.size, EOCD_SEARCH)} bytes (from offset ${Math.max(0, this.source.size - EOCD_SEARCH)}) and no local file header`,
      );
    }
    return { entries: this.entries, damage: this.damage, truncated: this.truncated };
  }

  private async readEndRecord(): Promise<EndRecord | undefined> {
    const size = this.source.size;
    const tailStart = Math.max(0, size - EOCD_SEARCH);
    const tail = await this.source.read(tailStart, size - tailStart);
    let eocd = -1;
    let closest = -1;
    for (let i = tail.length - EOCD_SIZE; i >= 0; i--) {
      if (tail[i] !== 0x50 || u32(tail, i) !== SIG_EOCD) continue;
      if (closest < 0) closest = i;
      if (i + EOCD_SIZE + u16(tail, i + 20) <= tail.length) {
        eocd = i;
        break;
      }
    }
    if (eocd < 0 && closest >= 0) {
      eocd = closest;
      this.note('end of central directory comment runs past the end of the file', tailStart + closest);
    }
    if (eocd < 0) {
      if (size > 0) this.note('no end of central directory record: archive truncated or damaged', tailStart);
      return undefined;
    }
    const eocdOffset = tailStart + eocd;
    const record: EndRecord = {
      entries: u16(tail, eocd + 10),
      centralSize: u32(tail, eocd + 12),
      centralOffset: u32(tail, eocd + 16),
      centralEnd: eocdOffset,
    };
    const locatorOffset = eocdOffset - ZIP64_LOCATOR_SIZE;
    const locator = locatorOffset >= 0 ? await this.source.read(locatorOffset, ZIP64_LOCATOR_SIZE) : undefined;
    if (locator !== undefined && u32(locator, 0) === SIG_ZIP64_LOCATOR) {
      await this.readZip64EndRecord(record, u64(locator, 8), locatorOffset);
    } else if (record.entries === 0xffff || record.centralSize === 0xffffffff || record.centralOffset === 0xffffffff) {
      this.note('end of central directory has ZIP64 markers but no ZIP64 locator', eocdOffset);
    }
    return record;
  }

  private async readZip64EndRecord(record: EndRecord, statedOffset: number, locatorOffset: number) {
    const expected = locatorOffset - ZIP64_EOCD_SIZE;
    let offset = statedOffset;
    let bytes = offset >= 0 ? await this.source.read(offset, ZIP64_EOCD_SIZE) : new Uint8Array(0);
    if (bytes.length < ZIP64_EOCD_SIZE || u32(bytes, 0) !== SIG_ZIP64_EOCD) {
      bytes = expected >= 0 ? await this.source.read(expected, ZIP64_EOCD_SIZE) : new Uint8Array(0);
      if (bytes.length < ZIP64_EOCD_SIZE || u32(bytes, 0) !== SIG_ZIP64_EOCD) {
        this.note(`ZIP64 end of central directory record missing at offset ${statedOffset}`, locatorOffset);
        return;
      }
      this.note(`ZIP64 end of central directory record found at offset ${expected}, not at ${statedOffset}`, expected);
      offset = expected;
    }
    const entries = u64(bytes, 32);
    const centralSize = u64(bytes, 40);
    const centralOffset = u64(bytes, 48);
    if (entries < 0 || centralSize < 0 || centralOffset < 0) {
      this.note('ZIP64 end of central directory record holds impossible sizes', offset);
      return;
    }
    Object.assign(record, { entries, centralSize, centralOffset, centralEnd: offset });
  }

  /** False when the central directory could not be read at all. */
  private async readCentralDirectory(end: EndRecord): Promise<boolean> {
    // Data prepended to the archive (self-extractors, polyglots) shifts every offset; Python corrects for it.
    // Otherwise only the offset field is wrong: the local headers tell which.
    let start = end.centralOffset;
    let shift = 0;
    if (end.entries > 0 && !(await this.hasSignature(start, SIG_CENTRAL))) {
      const actual = end.centralEnd - end.centralSize;
      const firstLocal =
        actual >= 0 && (await this.hasSignature(actual, SIG_CENTRAL))
          ? await this.window.get(actual + 42, 4)
          : undefined;
      if (firstLocal === undefined || firstLocal.length < 4) {
        this.note(`central directory missing at offset ${end.centralOffset}`, end.centralOffset);
        return false;
      }
      start = actual;
      const prepended = actual - end.centralOffset;
      if (prepended > 0 && (await this.hasSignature(u32(firstLocal, 0) + prepended, SIG_LOCAL))) {
        shift = prepended;
        this.note(
          `central directory starts at offset ${actual}, not at ${end.centralOffset}: ${shift} bytes precede the archive`,
          actual,
        );
      } else {
        this.note(`central directory found at offset ${actual}, not at the stated ${end.centralOffset}`, actual);
      }
    }
    const found: ZipEntry[] = [];
    let position = start;
    while (position < end.centralEnd) {
      if (found.length >= this.maxEntries) {
        this.truncated = true;
        break;
      }
      const fixed = await this.window.get(position, CENTRAL_HEADER_SIZE);
      if (fixed.length < CENTRAL_HEADER_SIZE || u32(fixed, 0) !== SIG_CENTRAL) break;
      const variableLength = u16(fixed, 28) + u16(fixed, 30) + u16(fixed, 32);
      const header = await this.window.get(position, CENTRAL_HEADER_SIZE + variableLength);
      if (header.length < CENTRAL_HEADER_SIZE + variableLength) {
        this.note('central directory entry truncated', position);
        break;
      }
      found.push(this.parseCentralHeader(header, position, shift));
      position += header.length;
    }
    if (!this.truncated && found.length !== end.entries) {
      this.note(`central directory holds ${found.length} entries; its end record says ${end.entries}`, position);
    }
    // Resolve data offsets in file order so the window serves neighbouring headers.
    const byOffset = [...found].sort((a, b) => a.localHeaderOffset - b.localHeaderOffset);
    for (let i = 0; i < byOffset.length; i++) {
      const next = byOffset[i + 1]?.localHeaderOffset ?? this.source.size;
      await this.resolveLocalHeader(byOffset[i], next);
    }
    for (const entry of found) {
      if (entry.dataOffset >= 0) this.add(entry);
    }
    return found.length > 0 || end.entries === 0;
  }

  private parseCentralHeader(header: Uint8Array, position: number, shift: number): ZipEntry {
    const flags = u16(header, 8);
    const nameLength = u16(header, 28);
    const extraLength = u16(header, 30);
    const name = decodeZipName(header.subarray(CENTRAL_HEADER_SIZE, CENTRAL_HEADER_SIZE + nameLength), flags);
    const extra = header.subarray(CENTRAL_HEADER_SIZE + nameLength, CENTRAL_HEADER_SIZE + nameLength + extraLength);
    const sizes = { uncompressed: u32(header, 24), compressed: u32(header, 20), offset: u32(header, 42) };
    this.applyZip64Extra(extra, sizes, position, name);
    const unixMode = u32(header, 38) >>> 16;
    return {
      name,
      method: u16(header, 10),
      flags,
      compressedSize: sizes.compressed,
      uncompressedSize: sizes.uncompressed,
      crc32: u32(header, 16),
      localHeaderOffset: sizes.offset + shift,
      dataOffset: -1,
      isDirectory: name.endsWith('/'),
      isSymlink: (unixMode & S_IFMT) === S_IFLNK,
      encrypted: (flags & FLAG_ENCRYPTED) !== 0,
      source: 'central-directory',
    };
  }

  /** ZIP64 extended information (0x0001): 64-bit values for the fields set to 0xFFFFFFFF, in this order. */
  private applyZip64Extra(
    extra: Uint8Array,
    sizes: { uncompressed: number; compressed: number; offset?: number },
    position: number,
    name: string,
  ) {
    const wanted = (['uncompressed', 'compressed', 'offset'] as const).filter((field) => sizes[field] === 0xffffffff);
    if (wanted.length === 0) return;
    for (let at = 0; at + 4 <= extra.length; ) {
      const id = u16(extra, at);
      const length = u16(extra, at + 2);
      if (id === 0x0001) {
        let field = at + 4;
        for (const key of wanted) {
          if (field + 8 > at + 4 + length || field + 8 > extra.length) break;
          const value = u64(extra, field);
          if (value >= 0) sizes[key] = value;
          field += 8;
        }
        return;
      }
      at += 4 + length;
    }
    this.note('sizes marked as ZIP64 but no ZIP64 extra field', position, name);
  }

  private async hasSignature(offset: number, signature: number): Promise<boolean> {
    const bytes = await this.window.get(offset, 4);
    return bytes.length === 4 && u32(bytes, 0) === signature;
  }

  /** Sets `dataOffset` from the local header (its name and extra lengths may differ from the central ones). */
  private async resolveLocalHeader(entry: ZipEntry, nextHeader: number) {
    const offset = entry.localHeaderOffset;
    // One large read serves the following headers when they are close; a small one when members are large.
    const readAhead = nextHeader - offset < READ_CHUNK ? READ_CHUNK : LOCAL_HEADER_SIZE + 1024;
    const fixed = await this.window.get(offset, LOCAL_HEADER_SIZE, readAhead);
    if (fixed.length < LOCAL_HEADER_SIZE || u32(fixed, 0) !== SIG_LOCAL) {
      this.note(`no local file header at offset ${offset}: member cannot be read`, offset, entry.name);
      return;
    }
    const nameLength = u16(fixed, 26);
    const extraLength = u16(fixed, 28);
    const header = await this.window.get(offset, LOCAL_HEADER_SIZE + nameLength + extraLength, readAhead);
    entry.dataOffset = offset + LOCAL_HEADER_SIZE + nameLength + extraLength;
    const localName = decodeZipName(header.subarray(LOCAL_HEADER_SIZE, LOCAL_HEADER_SIZE + nameLength), u16(fixed, 6));
    if (localName !== entry.name) {
      this.note(
        `local header names the member "${localName}"; the central directory names it "${entry.name}"`,
        offset,
        entry.name,
      );
    }
    if (entry.dataOffset + entry.compressedSize > this.source.size) {
      this.note(
        `member data ends at offset ${entry.dataOffset + entry.compressedSize}, past the end of the file (${this.source.size} bytes)`,
        entry.dataOffset,
        entry.name,
      );
    }
  }

  private add(entry: ZipEntry) {
    if (this.full) {
      this.truncated = true;
      return;
    }
    this.entries.push(entry);
    this.listedOffsets.set(entry.localHeaderOffset, entry);
  }

  /** Walks local headers from the start of the file, listing members the central directory does not. */
  private async scanLocalHeaders() {
    const size = this.source.size;
    let position = 0;
    while (position < size && !this.truncated) {
      const hit = await this.window.find([SIG_LOCAL], position, size);
      if (hit === undefined) return;
      const listed = this.listedOffsets.get(hit.at);
      if (listed !== undefined) {
        position = Math.max(hit.at + 4, listed.dataOffset + listed.compressedSize);
        continue;
      }
      const entry = await this.readLocalHeader(hit.at);
      if (entry === undefined) return;
      if (this.full) {
        this.truncated = true;
        return;
      }
      this.note(
        `member found by scanning local headers at offset ${hit.at}; the central directory does not list it`,
        hit.at,
        entry.name,
      );
      this.add(entry);
      position = Math.max(hit.at + 4, entry.dataOffset + entry.compressedSize);
    }
  }

  private async readLocalHeader(offset: number): Promise<ZipEntry | undefined> {
    const fixed = await this.window.get(offset, LOCAL_HEADER_SIZE);
    if (fixed.length < LOCAL_HEADER_SIZE) {
      this.note('local file header truncated by the end of the file', offset);
      return undefined;
    }
    const flags = u16(fixed, 6);
    const nameLength = u16(fixed, 26);
    const extraLength = u16(fixed, 28);
    const header = await this.window.get(offset, LOCAL_HEADER_SIZE + nameLength + extraLength);
    if (header.length < LOCAL_HEADER_SIZE + nameLength + extraLength) {
      this.note('local file header truncated by the end of the file', offset);
      return undefined;
    }
    const name = decodeZipName(header.subarray(LOCAL_HEADER_SIZE, LOCAL_HEADER_SIZE + nameLength), flags);
    const sizes = { uncompressed: u32(fixed, 22), compressed: u32(fixed, 18) };
    this.applyZip64Extra(header.subarray(LOCAL_HEADER_SIZE + nameLength), sizes, offset, name);
    const entry: ZipEntry = {
      name,
      method: u16(fixed, 8),
      flags,
      compressedSize: sizes.compressed,
      uncompressedSize: sizes.uncompressed,
      crc32: u32(fixed, 14),
      localHeaderOffset: offset,
      dataOffset: offset + header.length,
      isDirectory: name.endsWith('/'),
      // Only the central directory records the Unix mode.
      isSymlink: false,
      encrypted: (flags & FLAG_ENCRYPTED) !== 0,
      source: 'local-header-scan',
    };
    if (flags & FLAG_DATA_DESCRIPTOR && entry.compressedSize === 0) await this.findDataEnd(entry);
    if (entry.dataOffset + entry.compressedSize > this.source.size) {
      this.note(`member data ends past the end of the file (${this.source.size} bytes)`, entry.dataOffset, name);
    }
    return entry;
  }

  /**
   * Sizes live in a data descriptor after the data: the end is the first descriptor whose size matches
   * its distance from the data, or else the next header. The search reads the file once, in windows.
   */
  private async findDataEnd(entry: ZipEntry) {
    const signatures = [SIG_DESCRIPTOR, SIG_LOCAL, SIG_CENTRAL, SIG_EOCD];
    for (let from = entry.dataOffset; ; ) {
      const hit = await this.window.find(signatures, from, this.source.size);
      if (hit === undefined) {
        entry.compressedSize = this.source.size - entry.dataOffset;
        this.note(
          'data descriptor not found: member assumed to run to the end of the file',
          entry.dataOffset,
          entry.name,
        );
        return;
      }
      const distance = hit.at - entry.dataOffset;
      if (hit.signature === SIG_DESCRIPTOR) {
        const descriptor = await this.window.get(hit.at, 24);
        if (descriptor.length >= 16 && u32(descriptor, 8) === distance) {
          entry.uncompressedSize = u32(descriptor, 12);
          entry.compressedSize = distance;
          return;
        }
        if (descriptor.length >= 24 && u64(descriptor, 8) === distance) {
          entry.uncompressedSize = u64(descriptor, 16);
          entry.compressedSize = distance;
          return;
        }
        from = hit.at + 4;
        continue;
      }
      // A descriptor without its optional signature: crc, compressed size, uncompressed size.
      const unsigned = distance >= 12 ? await this.window.get(hit.at - 8, 8) : undefined;
      if (unsigned !== undefined && unsigned.length === 8 && u32(unsigned, 0) === distance - 12) {
        entry.compressedSize = distance - 12;
        entry.uncompressedSize = u32(unsigned, 4);
      } else {
        entry.compressedSize = distance;
        this.note(
          `data descriptor not found: member assumed to end at the next header (offset ${hit.at})`,
          entry.dataOffset,
          entry.name,
        );
      }
      return;
    }
  }
}

/** Lists the members of a zip archive. Throws only when nothing zip-like is found. */
export async function listZip(source: RandomAccessSource, limits: { maxEntries: number }): Promise<ZipListing> {
  return new ZipLister(source, limits.maxEntries).list();
}

/** The member's raw (compressed) bytes; the stream fails, naming the offset, when the file ends first. */
async function* rawMemberBytes(source: RandomAccessSource, entry: ZipEntry, what: string): AsyncGenerator<Uint8Array> {
  const end = entry.dataOffset + entry.compressedSize;
  yield* sliceSource(source, entry.dataOffset, entry.compressedSize, what).stream();
  if (end > source.size) {
    throw new Error(
      `${what}: data truncated: it should end at offset ${end}, past the end of the archive (${source.size} bytes)`,
    );
  }
}

/** Streams the member's decompressed bytes. Throws for compression methods other than stored and deflate. */
export function openZipEntry(source: RandomAccessSource, entry: ZipEntry): ByteSource {
  const label = `${source.label}:${entry.name}`;
  const what = `zip member "${entry.name}" (data at offset ${entry.dataOffset})`;
  if (entry.method === 0) {
    // Stored: also random access. PyTorch reads stored members even when flagged as encrypted.
    if (entry.dataOffset + entry.compressedSize <= source.size) {
      return sliceSource(source, entry.dataOffset, entry.compressedSize, label);
    }
    return { label, stream: () => rawMemberBytes(source, entry, what) };
  }
  if (entry.method === 8) {
    const detail = entry.encrypted ? `${what}, flagged as encrypted,` : what;
    return { label, stream: () => inflateRaw(rawMemberBytes(source, entry, what), detail) };
  }
  const methodName = METHOD_NAMES[entry.method];
  throw new Error(
    `zip member "${entry.name}": compression method ${entry.method}${methodName ? ` (${methodName})` : ''} is not supported`,
  );
}
