import { type FileHandle, open } from 'node:fs/promises';

/** Chunk size for sequential reads: large enough to keep syscall cost negligible next to hashing. */
export const READ_CHUNK = 1 << 20;

/**
 * Bytes to analyse. Every parser reads through this interface so the same code handles a file on disk,
 * an archive member and a decompressed stream, without ever holding a whole member in memory.
 */
export interface ByteSource {
  /** Human-readable origin used in error messages. */
  readonly label: string;
  /** Size in bytes when known before reading. */
  readonly size?: number;
  /** A fresh sequential pass over the bytes. */
  stream(): AsyncIterable<Uint8Array>;
  /** Random access, present when the bytes sit in a file or in memory. */
  read?(offset: number, length: number): Promise<Uint8Array>;
}

export interface RandomAccessSource extends ByteSource {
  readonly size: number;
  read(offset: number, length: number): Promise<Uint8Array>;
}

export function isRandomAccess(source: ByteSource): source is RandomAccessSource {
  return typeof source.read === 'function' && source.size !== undefined;
}

export interface FileSource extends RandomAccessSource {
  readonly path: string;
  /** Closes the handle random reads keep open (streams manage their own). */
  close(): Promise<void>;
}

export function isFileSource(source: ByteSource): source is FileSource {
  return isRandomAccess(source) && typeof (source as Partial<FileSource>).path === 'string';
}

/** A file on disk: random reads share one handle (archives make thousands); each stream opens its own. */
export function fileSource(path: string, size: number, label = path): FileSource {
  let handle: Promise<FileHandle> | undefined;
  return {
    path,
    label,
    size,
    async *stream() {
      yield* readRange(path, 0, size);
    },
    async read(offset, length) {
      handle ??= open(path, 'r');
      const file = await handle;
      const want = Math.max(0, Math.min(length, size - offset));
      const buffer = new Uint8Array(want);
      let filled = 0;
      while (filled < want) {
        const { bytesRead } = await file.read(buffer, filled, want - filled, offset + filled);
        if (bytesRead === 0) break;
        filled += bytesRead;
      }
      return filled === want ? buffer : buffer.subarray(0, filled);
    },
    async close() {
      const opened = handle;
      handle = undefined;
      if (opened) await (await opened).close();
    },
  };
}

/** Chunk size for passes that only hash: bigger reads, fewer round trips through the thread pool. */
const HASH_CHUNK = 4 << 20;

/**
 * Reads `length` bytes from `start` into two reused buffers, the next read running while the caller works on the
 * current chunk. A chunk is valid only until the next one is requested: for consumers that keep nothing (hashing).
 */
export async function* readRangeTransient(path: string, start: number, length: number): AsyncGenerator<Uint8Array> {
  const handle = await open(path, 'r');
  const buffers = [Buffer.allocUnsafe(HASH_CHUNK), Buffer.allocUnsafe(HASH_CHUNK)];
  const end = start + length;
  const readAt = (index: number, position: number) =>
    handle.read(buffers[index], 0, Math.min(HASH_CHUNK, end - position), position);
  let position = start;
  let index = 0;
  let pending = position < end ? readAt(index, position) : undefined;
  try {
    while (pending) {
      const { bytesRead } = await pending;
      pending = undefined;
      if (bytesRead === 0) break;
      const current = buffers[index].subarray(0, bytesRead);
      position += bytesRead;
      index ^= 1;
      if (position < end) pending = readAt(index, position);
      yield current;
    }
  } finally {
    await pending?.catch(() => undefined);
    await handle.close();
  }
}

/**
 * Streams `length` bytes of a file from `start`, in fresh buffers (consumers may keep them). The next read is
 * already under way while the consumer works on the current chunk, so disk and CPU overlap.
 */
export async function* readRange(path: string, start: number, length: number): AsyncGenerator<Uint8Array> {
  const handle = await open(path, 'r');
  const end = start + length;
  const readAt = async (position: number) => {
    // Not zero-filled (the read overwrites it) and a plain Uint8Array view, whose slice() copies.
    const size = Math.min(READ_CHUNK, end - position);
    const buffer = new Uint8Array(Buffer.allocUnsafeSlow(size).buffer, 0, size);
    const { bytesRead } = await handle.read(buffer, 0, size, position);
    return bytesRead === size ? buffer : buffer.subarray(0, bytesRead);
  };
  let position = start;
  let pending = position < end ? readAt(position) : undefined;
  try {
    while (pending) {
      const chunk = await pending;
      pending = undefined;
      if (chunk.length === 0) break;
      position += chunk.length;
      if (position < end) pending = readAt(position);
      yield chunk;
    }
  } finally {
    await pending?.catch(() => undefined);
    await handle.close();
  }
}

/** Bytes already in memory (small members, decoded literals, test inputs). */
export function bufferSource(bytes: Uint8Array, label: string): RandomAccessSource {
  return {
    label,
    size: bytes.length,
    async *stream() {
      for (let offset = 0; offset < bytes.length; offset += READ_CHUNK) {
        yield bytes.subarray(offset, Math.min(bytes.length, offset + READ_CHUNK));
      }
    },
    async read(offset, length) {
      return bytes.subarray(offset, Math.min(bytes.length, offset + length));
    },
  };
}

/** A window of a random-access source (a stored archive member). */
export function sliceSource(
  parent: RandomAccessSource,
  offset: number,
  length: number,
  label: string,
): RandomAccessSource {
  const size = Math.max(0, Math.min(length, parent.size - offset));
  return {
    label,
    size,
    async *stream() {
      for (let position = 0; position < size; position += READ_CHUNK) {
        yield await parent.read(offset + position, Math.min(READ_CHUNK, size - position));
      }
    },
    read(at, want) {
      return parent.read(offset + at, Math.max(0, Math.min(want, size - at)));
    },
  };
}

/** A source that can be streamed once (a decompressor's output, a tar member). */
export function streamSource(chunks: AsyncIterable<Uint8Array>, label: string, size?: number): ByteSource {
  let used = false;
  return {
    label,
    size,
    stream() {
      if (used) throw new Error(`${label}: this stream can only be read once`);
      used = true;
      return chunks;
    },
  };
}

/**
 * Sequential reads of exact lengths over a chunk stream (tar headers, LZ4 blocks), without copying
 * when a request fits in the current chunk. `position` counts the bytes consumed so far.
 */
export class ChunkReader {
  private readonly iterator: AsyncIterator<Uint8Array>;
  private current: Uint8Array = new Uint8Array(0);
  private ended = false;
  position = 0;

  constructor(chunks: AsyncIterable<Uint8Array>) {
    this.iterator = chunks[Symbol.asyncIterator]();
  }

  /** False once the stream is exhausted. */
  private async fill(): Promise<boolean> {
    while (this.current.length === 0) {
      if (this.ended) return false;
      const next = await this.iterator.next();
      if (next.done) {
        this.ended = true;
        return false;
      }
      this.current = next.value;
    }
    return true;
  }

  /** True when no byte is left. */
  async atEnd(): Promise<boolean> {
    return !(await this.fill());
  }

  /** Up to `max` bytes (at least one unless the stream ended); a view into the source chunk. */
  async readSome(max: number): Promise<Uint8Array | undefined> {
    if (max <= 0 || !(await this.fill())) return undefined;
    const piece = this.current.subarray(0, Math.min(max, this.current.length));
    this.current = this.current.subarray(piece.length);
    this.position += piece.length;
    return piece;
  }

  /** Exactly `length` bytes, or fewer when the stream ends first (the caller reports the truncation). */
  async readExact(length: number): Promise<Uint8Array> {
    const first = await this.readSome(length);
    if (first === undefined || first.length === length) return first ?? new Uint8Array(0);
    const out = new Uint8Array(length);
    out.set(first);
    let filled = first.length;
    while (filled < length) {
      const piece = await this.readSome(length - filled);
      if (piece === undefined) return out.subarray(0, filled);
      out.set(piece, filled);
      filled += piece.length;
    }
    return out;
  }

  /** Discards up to `length` bytes; returns how many were discarded. */
  async skip(length: number): Promise<number> {
    let skipped = 0;
    while (skipped < length) {
      const piece = await this.readSome(length - skipped);
      if (piece === undefined) break;
      skipped += piece.length;
    }
    return skipped;
  }

  /** Releases the underlying stream (closes files) when the reader is abandoned early. */
  async close(): Promise<void> {
    this.ended = true;
    this.current = new Uint8Array(0);
    await this.iterator.return?.();
  }
}
