import { closeSync, openSync, readSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { Readable } from 'node:stream';

/**
 * 7z archives through the pure-JS 7z-iterator package, restricted to its buffered decoding path: each
 * folder (a solid block) is decoded whole, in memory, up to `maxMemberBytes`. Its streaming path lets
 * decoder errors escape as unhandled 'error' events (a corrupt LZMA2 member crashes the process) and
 * its solid-block splitter loses members that are not requested before their data arrives. All file
 * reads go through a source that bounds them. Nothing is written to disk.
 */

export interface SevenZipMember {
  name: string;
  size: number;
  isDirectory: boolean;
  isSymlink: boolean;
  /** The member's bytes; read it, or not, before asking for the next member. */
  body: AsyncIterable<Uint8Array>;
}

type SevenZipLibrary = typeof import('7z-iterator');
type Parser = InstanceType<SevenZipLibrary['SevenZipParser']>;
type LibraryEntry = ReturnType<Parser['getEntries']>[number];

const MAGIC = [0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c];
const SIGNATURE_HEADER_SIZE = 32;
/** Members come out in slices of this size, whatever the size of the decoded block. */
const OUTPUT_SLICE = 1 << 20;

export function isSevenZip(head: Uint8Array): boolean {
  return head.length >= MAGIC.length && MAGIC.every((byte, i) => head[i] === byte);
}

let library: Promise<SevenZipLibrary> | undefined;

function loadLibrary(): Promise<SevenZipLibrary> {
  // 7z-iterator decodes LZMA with xz-compat, which otherwise runs `npm install lzma-native` (a native
  // build) the first time it decodes anything. It reads this flag once, when it loads: hence the late import.
  process.env.LZMA_NATIVE_DISABLE = '1';
  library ??= import('7z-iterator');
  return library;
}

/** The archive file, as the 7z-iterator parser reads it (its ArchiveSource interface). */
class GuardedFileSource {
  private closed = false;

  constructor(
    private readonly fd: number,
    private readonly size: number,
    private readonly maxRead: number,
  ) {}

  getSize(): number {
    return this.size;
  }

  /** Synchronous, as the parser expects; refuses to hold more than `maxRead` bytes at once. */
  read(position: number, length: number): Buffer {
    if (this.closed) throw new Error('7z: the archive is closed');
    if (!Number.isSafeInteger(position) || !Number.isSafeInteger(length) || position < 0 || length < 0) {
      throw new Error(`7z: invalid read of ${length} bytes at offset ${position}`);
    }
    const want = Math.max(0, Math.min(length, this.size - position));
    if (want > this.maxRead) {
      throw new Error(
        `7z: decoding would hold ${want} bytes from offset ${position} in memory, over the ${this.maxRead}-byte limit`,
      );
    }
    const buffer = Buffer.alloc(want);
    let filled = 0;
    while (filled < want) {
      const bytesRead = readSync(this.fd, buffer, filled, want - filled, position + filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    return buffer.subarray(0, filled);
  }

  /** Used only by the library's streaming path, which this module never takes. */
  createReadStream(): Readable {
    throw new Error('7z: streaming decoding is disabled');
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    closeSync(this.fd);
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Library errors, reworded to say what the user can do about them. */
function memberError(what: string, error: unknown): Error {
  const message = messageOf(error);
  if (/password/i.test(message)) return new Error(`${what}: encrypted (AES-256): cannot be read without the password`);
  if (message.startsWith('7z:')) return new Error(`${what}: ${message.slice(4)}`, { cause: error });
  return new Error(`${what}: ${message}`, { cause: error });
}

/** Checks the signature header before the library trusts it (it allocates what the header claims). */
async function checkSignatureHeader(path: string, size: number, maxHeader: number): Promise<void> {
  const head = Buffer.alloc(SIGNATURE_HEADER_SIZE);
  const fd = openSync(path, 'r');
  let got = 0;
  try {
    got = readSync(fd, head, 0, SIGNATURE_HEADER_SIZE, 0);
  } finally {
    closeSync(fd);
  }
  if (!isSevenZip(head)) throw new Error(`7z: ${path}: not a 7z archive (no signature at offset 0)`);
  if (got < SIGNATURE_HEADER_SIZE) throw new Error(`7z: ${path}: truncated signature header (${got} of 32 bytes)`);
  if (head[6] !== 0) throw new Error(`7z: ${path}: unsupported format version ${head[6]}.${head[7]}`);
  const nextHeaderOffset = Number(head.readBigUInt64LE(12));
  const nextHeaderSize = Number(head.readBigUInt64LE(20));
  const headerEnd = SIGNATURE_HEADER_SIZE + nextHeaderOffset + nextHeaderSize;
  if (headerEnd > size) {
    throw new Error(
      `7z: ${path}: truncated: the archive header should end at offset ${headerEnd}, past the end of the file (${size} bytes)`,
    );
  }
  if (nextHeaderSize > maxHeader) {
    throw new Error(
      `7z: ${path}: archive header of ${nextHeaderSize} bytes (at offset ${SIGNATURE_HEADER_SIZE + nextHeaderOffset}) exceeds the ${maxHeader}-byte limit`,
    );
  }
}

/** A folder, in 7z terms: members compressed together (a solid block), decoded whole. */
interface Block {
  bytes: number;
  members: SevenZipBody[];
  /** Some member was read: the library holds the decoded block until every member has been taken. */
  decoded: boolean;
  failure?: Error;
}

/** One member's bytes, sliced from its decoded block on first read. */
class SevenZipBody implements AsyncIterable<Uint8Array> {
  private started = false;
  private closed = false;

  constructor(
    private readonly parser: Parser,
    private readonly entry: LibraryEntry,
    private readonly what: string,
    private readonly block: Block | undefined,
    private readonly maxMemberBytes: number,
  ) {}

  [Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    if (this.closed) throw new Error(`${this.what}: the body is gone: the reader has moved to the next member`);
    if (this.started) throw new Error(`${this.what}: the body can only be read once`);
    this.started = true;
    return this.read();
  }

  private fail(error: unknown): never {
    const failure = memberError(this.what, error);
    if (this.block) this.block.failure ??= failure;
    throw failure;
  }

  private async *read(): AsyncGenerator<Uint8Array> {
    const block = this.block;
    if (block === undefined) return; // directories and empty files
    if (block.failure)
      throw new Error(`${this.what}: not readable: its solid block failed to decode (${block.failure.message})`);
    if (block.bytes > this.maxMemberBytes) {
      throw new Error(
        `${this.what}: its block decodes to ${block.bytes} bytes, over the ${this.maxMemberBytes}-byte limit`,
      );
    }
    block.decoded = true;
    let stream: Readable;
    try {
      stream = this.parser.getEntryStream(this.entry);
    } catch (error) {
      this.fail(error);
    }
    let received = 0;
    try {
      for await (const chunk of stream as AsyncIterable<Buffer>) {
        for (let at = 0; at < chunk.length; at += OUTPUT_SLICE) {
          const slice = chunk.subarray(at, at + OUTPUT_SLICE);
          received += slice.length;
          yield slice;
        }
      }
    } catch (error) {
      this.fail(error);
    }
    if (received !== this.entry.size) this.fail(new Error(`decoded ${received} of ${this.entry.size} bytes`));
  }

  /** The consumer moved on. */
  close() {
    this.closed = true;
  }

  /** Takes an unread member out of a decoded block, so that the library frees the block. */
  async release() {
    if (this.started || this.block?.failure) return;
    this.started = true;
    try {
      for await (const _ of this.read());
    } catch {
      // The block is being left: a failure here has no reader to report to.
    }
  }
}

async function releaseBlock(block: Block | undefined) {
  if (block?.decoded) for (const member of block.members) await member.release();
}

/** Streams the members of a 7z archive, in archive order. Encrypted or unsupported members fail when read. */
export async function* readSevenZip(
  path: string,
  limits: { maxEntries: number; maxMemberBytes: number },
): AsyncGenerator<SevenZipMember> {
  const size = (await stat(path)).size;
  await checkSignatureHeader(path, size, limits.maxMemberBytes);
  const { SevenZipParser } = await loadLibrary();
  const parser = new SevenZipParser(new GuardedFileSource(openSync(path, 'r'), size, limits.maxMemberBytes));
  let current: Block | undefined;
  try {
    try {
      await parser.parse();
    } catch (error) {
      throw new Error(`7z: ${path}: cannot read the archive header: ${messageOf(error).replace(/^7z: /, '')}`, {
        cause: error,
      });
    }
    const entries = parser.getEntries().filter((entry) => !entry.isAntiFile);
    const blocks = new Map<number, Block>();
    for (const entry of entries) {
      // Keeps the library on its buffered path (see above).
      entry._canStream = false;
      if (!entry._hasStream) continue;
      const block = blocks.get(entry._folderIndex);
      if (block) block.bytes += entry.size;
      else blocks.set(entry._folderIndex, { bytes: entry.size, members: [], decoded: false });
    }
    let count = 0;
    for (const entry of entries) {
      if (++count > limits.maxEntries) throw new Error(`7z: ${path}: more than ${limits.maxEntries} entries`);
      const block = entry._hasStream ? blocks.get(entry._folderIndex) : undefined;
      if (block !== undefined && block !== current) {
        await releaseBlock(current);
        current = block;
      }
      const body = new SevenZipBody(parser, entry, `7z member "${entry.path}"`, block, limits.maxMemberBytes);
      block?.members.push(body);
      yield {
        name: entry.path,
        size: entry.size,
        isDirectory: entry.type === 'directory',
        isSymlink: entry.type === 'link',
        body,
      };
      body.close();
    }
  } finally {
    parser.close();
  }
}
