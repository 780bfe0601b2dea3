import { ChunkReader } from './source.js';

/**
 * A streaming tar reader (ustar, GNU long names, pax headers, base-256 numbers) that follows Python's
 * tarfile, the reader behind PyTorch's legacy tar format: only regular files (and unknown types, which
 * tarfile extracts as regular files) carry data blocks; a zero block ends the archive.
 */

export interface TarEntry {
  /** As stored (pax `path`, GNU long name or ustar prefix/name); never normalised. */
  name: string;
  type: 'file' | 'directory' | 'symlink' | 'hardlink' | 'other';
  /** The size field (or pax `size`). Only files have data: the body of other types is empty. */
  size: number;
  linkName?: string;
  /** Offset of the entry's own header block (after any long-name or pax headers). */
  offset: number;
  /** The member's data; read it, or not, before asking for the next entry. */
  body: AsyncIterable<Uint8Array>;
}

const BLOCK = 512;
/** Long names and pax records larger than this are not metadata: refuse rather than allocate. */
const MAX_METADATA = 1 << 20;
const latin1 = new TextDecoder('latin1');
const utf8 = new TextDecoder('utf-8');

function tarError(detail: string, offset: number): Error {
  return new Error(`tar: ${detail} at offset ${offset}`);
}

function cString(bytes: Uint8Array): Uint8Array {
  const end = bytes.indexOf(0);
  return end < 0 ? bytes : bytes.subarray(0, end);
}

/** Header strings are bytes; Python's tarfile decodes them as UTF-8 (surrogate escapes aside). */
const text = (bytes: Uint8Array) => utf8.decode(cString(bytes));

/** Octal (NUL or space padded) or base-256 (high bit of the first byte set). Undefined when malformed. */
function parseNumber(field: Uint8Array): number | undefined {
  if (field[0] & 0x80) {
    if (field[0] === 0xff) return undefined; // negative
    let value = field[0] & 0x7f;
    for (let i = 1; i < field.length; i++) {
      value = value * 256 + field[i];
      if (value > Number.MAX_SAFE_INTEGER) return undefined;
    }
    return value;
  }
  const digits = latin1.decode(cString(field)).trim();
  if (digits === '') return 0;
  if (!/^[0-7]+$/.test(digits)) return undefined;
  const value = Number.parseInt(digits, 8);
  return value <= Number.MAX_SAFE_INTEGER ? value : undefined;
}

function checksums(header: Uint8Array): { unsigned: number; signed: number } {
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < BLOCK; i++) {
    const byte = i >= 148 && i < 156 ? 0x20 : header[i];
    unsigned += byte;
    signed += byte > 127 ? byte - 256 : byte;
  }
  return { unsigned, signed };
}

function checksumMatches(header: Uint8Array): boolean {
  const stored = parseNumber(header.subarray(148, 156));
  if (stored === undefined) return false;
  const { unsigned, signed } = checksums(header);
  // Some old tars summed signed bytes; Python accepts both.
  return stored === unsigned || stored === signed;
}

const isZeroBlock = (block: Uint8Array) => block.every((byte) => byte === 0);
const hasMagic = (header: Uint8Array) => latin1.decode(header.subarray(257, 262)) === 'ustar';

/** The first block is a tar header: ustar magic, or an old-style header with a valid checksum. */
export function looksLikeTar(first512: Uint8Array): boolean {
  if (first512.length < BLOCK) return false;
  if (hasMagic(first512)) return true;
  return !isZeroBlock(first512) && checksumMatches(first512);
}

function entryType(flag: string): TarEntry['type'] {
  switch (flag) {
    case '1':
      return 'hardlink';
    case '2':
      return 'symlink';
    case '5':
      return 'directory';
    case '3':
    case '4':
    case '6':
      return 'other';
    default:
      // '0', NUL, '7', GNU sparse and unknown types: tarfile treats all of them as regular files.
      return 'file';
  }
}

/** Pax records: "<length> <key>=<value>\n", values in UTF-8. */
function parsePax(data: Uint8Array, offset: number): Map<string, string> {
  const records = new Map<string, string>();
  let at = 0;
  while (at < data.length) {
    if (data[at] === 0) break; // padding
    const space = data.indexOf(0x20, at);
    const length = space > at ? Number(latin1.decode(data.subarray(at, space))) : Number.NaN;
    if (
      !Number.isInteger(length) ||
      length <= space - at ||
      at + length > data.length ||
      data[at + length - 1] !== 0x0a
    ) {
      throw tarError('malformed pax record', offset + at);
    }
    const record = utf8.decode(data.subarray(space + 1, at + length - 1));
    const equals = record.indexOf('=');
    if (equals <= 0) throw tarError('malformed pax record', offset + at);
    records.set(record.slice(0, equals), record.slice(equals + 1));
    at += length;
  }
  return records;
}

/** The data of one member, readable once and only until the reader moves to the next header. */
class TarBody implements AsyncIterable<Uint8Array> {
  private remaining: number;
  private started = false;
  private closed = false;

  constructor(
    private readonly reader: ChunkReader,
    private readonly length: number,
    private readonly name: string,
  ) {
    this.remaining = length;
  }

  private truncated(): Error {
    return tarError(
      `member "${this.name}" truncated after ${this.length - this.remaining} of ${this.length} bytes`,
      this.reader.position,
    );
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    if (this.closed) throw new Error(`tar: the body of "${this.name}" is gone: the reader has moved to the next entry`);
    if (this.started) throw new Error(`tar: the body of "${this.name}" can only be read once`);
    this.started = true;
    while (this.remaining > 0) {
      const piece = await this.reader.readSome(this.remaining);
      if (piece === undefined) throw this.truncated();
      this.remaining -= piece.length;
      yield piece;
    }
  }

  /** Skips what the consumer did not read, and the padding to the next block. */
  async finish(): Promise<void> {
    this.closed = true;
    const padding = (BLOCK - (this.length % BLOCK)) % BLOCK;
    const skipped = await this.reader.skip(this.remaining);
    this.remaining -= skipped;
    if (this.remaining > 0) throw this.truncated();
    // A missing final padding is harmless: the next read sees the end of the stream.
    await this.reader.skip(padding);
  }
}

interface PendingMetadata {
  longName?: string;
  longLink?: string;
  pax?: Map<string, string>;
}

/** Streams the entries of a tar archive. Corrupt headers, truncation and the entry limit throw, naming the offset. */
export async function* readTar(
  chunks: AsyncIterable<Uint8Array>,
  limits: { maxEntries: number },
): AsyncGenerator<TarEntry> {
  const reader = new ChunkReader(chunks);
  const globalPax = new Map<string, string>();
  let pending: PendingMetadata = {};
  let previous: TarBody | undefined;
  let count = 0;
  try {
    for (;;) {
      await previous?.finish();
      previous = undefined;
      const offset = reader.position;
      const header = await reader.readExact(BLOCK);
      // Like tarfile, accept an archive that ends without its zero blocks.
      if (header.length === 0) return;
      if (header.length < BLOCK) throw tarError(`truncated header (${header.length} of ${BLOCK} bytes)`, offset);
      if (isZeroBlock(header)) return;
      if (!checksumMatches(header)) {
        const stored = latin1.decode(cString(header.subarray(148, 156))).trim();
        throw tarError(
          `bad header checksum (stored "${stored}", computed ${checksums(header).unsigned.toString(8)})`,
          offset,
        );
      }
      const flag = String.fromCharCode(header[156] || 0x30);
      let size = parseNumber(header.subarray(124, 136));
      if (size === undefined) throw tarError('malformed size field', offset + 124);

      if (flag === 'L' || flag === 'K' || flag === 'x' || flag === 'g') {
        if (size > MAX_METADATA)
          throw tarError(`${flag} header of ${size} bytes exceeds the ${MAX_METADATA}-byte limit`, offset);
        const data = await reader.readExact(size);
        if (data.length < size) throw tarError(`truncated ${flag} header data`, reader.position);
        await reader.skip((BLOCK - (size % BLOCK)) % BLOCK);
        if (flag === 'L') pending.longName = text(data);
        else if (flag === 'K') pending.longLink = text(data);
        else if (flag === 'x') pending.pax = parsePax(data, offset + BLOCK);
        else for (const [key, value] of parsePax(data, offset + BLOCK)) globalPax.set(key, value);
        continue;
      }

      if (++count > limits.maxEntries) throw tarError(`more than ${limits.maxEntries} entries`, offset);
      const pax = new Map([...globalPax, ...(pending.pax ?? [])]);
      const ustarPrefix = latin1.decode(header.subarray(257, 263)) === 'ustar\0' ? text(header.subarray(345, 500)) : '';
      const headerName = text(header.subarray(0, 100));
      const name = pax.get('path') ?? pending.longName ?? (ustarPrefix ? `${ustarPrefix}/${headerName}` : headerName);
      const headerLink = text(header.subarray(157, 257));
      const linkName = pax.get('linkpath') ?? pending.longLink ?? (headerLink || undefined);
      const paxSize = pax.get('size');
      if (paxSize !== undefined) {
        size = /^\d+$/.test(paxSize) ? Number(paxSize) : Number.NaN;
        if (!Number.isSafeInteger(size)) throw tarError(`malformed pax size "${paxSize}"`, offset);
      }
      pending = {};
      const type = entryType(flag);
      const body = new TarBody(reader, type === 'file' ? size : 0, name);
      previous = body;
      yield { name, type, size, linkName, offset, body };
    }
  } finally {
    await reader.close();
  }
}
