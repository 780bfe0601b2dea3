import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { pipeline, Readable, type Transform } from 'node:stream';
import { createGunzip, createInflate, createInflateRaw } from 'node:zlib';
import { ChunkReader } from './source.js';

/**
 * Single-stream compression wrappers met around model files (joblib, `.pt.gz`, tarballs).
 * Every decoder streams: memory stays bounded by a block or window size, never by the output size.
 */
export type Compression = 'gzip' | 'zlib' | 'bzip2' | 'xz' | 'lz4';

const XZ_MAGIC = [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00];
const LZ4_FRAME_MAGIC = 0x184d2204;
const BZIP2_BLOCK_MAGIC = [0x31, 0x41, 0x59, 0x26, 0x53, 0x59];
const BZIP2_END_MAGIC = [0x17, 0x72, 0x45, 0x38, 0x50, 0x90];

function startsWith(head: Uint8Array, bytes: readonly number[], at = 0): boolean {
  return head.length >= at + bytes.length && bytes.every((byte, i) => head[at + i] === byte);
}

/** Recognises a compression format from the first bytes (ten are enough). */
export function sniffCompression(head: Uint8Array): Compression | undefined {
  if (startsWith(head, [0x1f, 0x8b])) return 'gzip';
  if (startsWith(head, XZ_MAGIC)) return 'xz';
  if (startsWith(head, [0x04, 0x22, 0x4d, 0x18])) return 'lz4';
  if (startsWith(head, [0x42, 0x5a, 0x68]) && head.length >= 4 && head[3] >= 0x31 && head[3] <= 0x39) {
    // 'BZh1' is plausible text: when the block magic is in view, require it.
    if (head.length < 10 || startsWith(head, BZIP2_BLOCK_MAGIC, 4) || startsWith(head, BZIP2_END_MAGIC, 4))
      return 'bzip2';
    return undefined;
  }
  // zlib as written by compressors: deflate, 32 KiB window, no preset dictionary (FDICT, 0x20, would let
  // "x = 1" pass the header checksum and turn Python files into "zlib").
  if (head.length >= 2 && head[0] === 0x78 && (head[1] & 0x20) === 0 && (head[0] * 256 + head[1]) % 31 === 0) {
    return 'zlib';
  }
  return undefined;
}

/** The decompressed bytes of `input`. Corrupt or truncated input rejects the iteration with a message naming the format. */
export function decompress(kind: Compression, input: AsyncIterable<Uint8Array>): AsyncIterable<Uint8Array> {
  switch (kind) {
    case 'gzip':
      // Node's gunzip reads concatenated members, as Python's gzip module does.
      return throughTransform(input, createGunzip, 'gzip');
    case 'zlib':
      return throughTransform(input, createInflate, 'zlib');
    case 'bzip2':
      return decodeBzip2(input);
    case 'xz':
      return decodeXz(input);
    case 'lz4':
      return decodeLz4Frames(input);
  }
}

/** Raw deflate (zip method 8); `what` names the member in error messages. */
export function inflateRaw(input: AsyncIterable<Uint8Array>, what: string): AsyncIterable<Uint8Array> {
  return throughTransform(input, createInflateRaw, what);
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

async function* throughTransform(
  input: AsyncIterable<Uint8Array>,
  createTransform: () => Transform,
  what: string,
): AsyncGenerator<Uint8Array> {
  const transform = createTransform();
  let inputError: unknown;
  const guardedInput = async function* () {
    try {
      yield* input;
    } catch (error) {
      inputError = error;
      throw error;
    }
  };
  // Byte mode keeps at most about one input chunk queued in front of the decoder.
  const source = Readable.from(guardedInput(), { objectMode: false });
  // Errors on either side surface through the transform's iterator below.
  pipeline(source, transform, () => {});
  try {
    for await (const chunk of transform) yield chunk as Uint8Array;
  } catch (error) {
    // Errors of the input already say what went wrong; only the decoder's need context.
    if (inputError !== undefined) throw inputError;
    throw new Error(`${what}: corrupt or truncated data: ${messageOf(error)}`, { cause: error });
  } finally {
    transform.destroy();
    source.destroy();
  }
}

// ---------------------------------------------------------------------------------------------
// bzip2: unbzip2-stream's block decoder, driven here so that memory is bounded per block. Its own
// stream wrapper collects each block's output byte by byte in a JS array (about 370 MB for one
// 46 MB block of a bzip2 bomb) and decodes every complete block of a write at once.

type BitReader = ((bits: number | null) => number) & { bytesRead: number };
interface Bzip2Decoder {
  header(bits: BitReader): number;
  decompress(
    bits: BitReader,
    emit: (byte: number) => void,
    buffer: Int32Array,
    bufferSize: number,
    streamCrc: number,
  ): number | null;
}

const requireCjs = createRequire(import.meta.url);
let bzip2Library: { decoder: Bzip2Decoder; bitIterator: (next: () => Uint8Array) => BitReader } | undefined;

function loadBzip2() {
  bzip2Library ??= {
    decoder: requireCjs('unbzip2-stream/lib/bzip2.js') as Bzip2Decoder,
    bitIterator: requireCjs('unbzip2-stream/lib/bit_iterator.js') as (next: () => Uint8Array) => BitReader,
  };
  return bzip2Library;
}

/** Upper bound of one compressed block for a given level, as unbzip2-stream assumes. */
const bzip2BlockInputBound = (level: number) => 100_000 * level + 25_000;
const OUTPUT_PIECE = 1 << 20;

class TruncatedInput extends Error {}

/** Collects decoder output in fixed pieces so that a block never needs one huge allocation. */
class PieceCollector {
  private pieces: Uint8Array[] = [];
  private current = new Uint8Array(OUTPUT_PIECE);
  private filled = 0;
  readonly push = (byte: number) => {
    if (this.filled === this.current.length) {
      this.pieces.push(this.current);
      this.current = new Uint8Array(OUTPUT_PIECE);
      this.filled = 0;
    }
    this.current[this.filled++] = byte;
  };
  take(): Uint8Array[] {
    const out = this.pieces;
    if (this.filled > 0) out.push(this.current.subarray(0, this.filled));
    this.pieces = [];
    this.current = new Uint8Array(OUTPUT_PIECE);
    this.filled = 0;
    return out;
  }
}

async function* decodeBzip2(input: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  const { decoder, bitIterator } = loadBzip2();
  const iterator = input[Symbol.asyncIterator]();
  const queue: Uint8Array[] = [];
  let received = 0;
  let inputEnded = false;
  let bits: BitReader | undefined;
  const buffered = () => received - (bits?.bytesRead ?? 0);
  const nextQueued = () => {
    const next = queue.shift();
    if (next === undefined) throw new TruncatedInput();
    return next;
  };
  const fill = async (want: number) => {
    while (!inputEnded && buffered() < want) {
      const next = await iterator.next();
      if (next.done) inputEnded = true;
      else if (next.value.length > 0) {
        queue.push(next.value);
        received += next.value.length;
      }
    }
  };

  let level = 0; // 0: a stream header comes next
  let streamCrc = 0;
  let streams = 0;
  let work = new Int32Array(0);
  const collector = new PieceCollector();
  try {
    for (;;) {
      await fill(level === 0 ? 4 : bzip2BlockInputBound(level));
      if (buffered() <= 0) {
        if (streams === 0) throw new Error('bzip2: empty input');
        if (level !== 0) throw new TruncatedInput();
        return;
      }
      bits ??= bitIterator(nextQueued);
      if (level === 0) {
        level = decoder.header(bits);
        streamCrc = 0;
        streams++;
        if (work.length !== 100_000 * level) work = new Int32Array(100_000 * level);
        continue;
      }
      const crc = decoder.decompress(bits, collector.push, work, work.length, streamCrc);
      // null marks the end of one stream; another may follow (pbzip2 writes many).
      if (crc === null) level = 0;
      else streamCrc = crc;
      for (const piece of collector.take()) yield piece;
    }
  } catch (error) {
    if (error instanceof TruncatedInput) {
      throw new Error(`bzip2: truncated input: the stream ends inside a block (after ${received} bytes)`);
    }
    if (error instanceof Error && error.message.startsWith('bzip2:')) throw error;
    throw new Error(`bzip2: corrupt data near input byte ${bits?.bytesRead ?? 0}: ${messageOf(error)}`, {
      cause: error,
    });
  } finally {
    await iterator.return?.();
  }
}

// ---------------------------------------------------------------------------------------------
// xz: xz-decompress's WebAssembly build of xz-embedded, driven directly. Its XzReadableStream holds a
// process-wide lock from the first read to the end of the stream, so a second xz stream opened while
// one is in progress (an .xz inside a .tar.xz) waits forever; and it throws a TypeError on empty input.
// Here each stream gets its own WebAssembly instance. xz-embedded caps the dictionary at 64 MiB.

/** The few WebAssembly calls needed (this project's type libraries do not declare WebAssembly). */
interface WasmRuntime {
  compile(bytes: Uint8Array): Promise<WasmModule>;
  instantiate(module: WasmModule, imports: object): Promise<{ exports: unknown }>;
}
type WasmModule = { readonly kind?: 'wasm-module' };
const wasmRuntime = (globalThis as unknown as { WebAssembly: WasmRuntime }).WebAssembly;

interface XzExports {
  memory: { readonly buffer: ArrayBuffer };
  create_context(): number;
  destroy_context(context: number): void;
  supply_input(context: number, length: number): void;
  get_next_output(context: number): number;
}

const XZ_OK = 0;
const XZ_STREAM_END = 1;
const XZ_ERRORS: Record<number, string> = {
  2: 'integrity check type not supported',
  3: 'out of memory',
  4: 'needs a dictionary larger than the 64 MiB limit',
  5: 'not xz data (bad magic or header)',
  6: 'unsupported options or filters',
  7: 'corrupt data',
  8: 'truncated input or trailing garbage',
};

let xzModule: Promise<WasmModule> | undefined;

function loadXzModule(): Promise<WasmModule> {
  xzModule ??= (async () => {
    const bundle = await readFile(requireCjs.resolve('xz-decompress'), 'utf8');
    const wasm = /data:application\/wasm;base64,([A-Za-z0-9+/=]+)/.exec(bundle);
    if (wasm === null) throw new Error('xz: the installed xz-decompress no longer embeds its WebAssembly decoder');
    return wasmRuntime.compile(Buffer.from(wasm[1], 'base64'));
  })();
  return xzModule;
}

async function* decodeXz(input: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  const instance = await wasmRuntime.instantiate(await loadXzModule(), {});
  const xz = instance.exports as unknown as XzExports;
  const context = xz.create_context();
  // Context layout (xz-decompress): buffer size, input pointer, input position, input size, output pointer, output position.
  const fields = () => new Uint32Array(xz.memory.buffer, context, 6);
  const [bufferSize, inputPointer, , , outputPointer] = fields();
  const iterator = input[Symbol.asyncIterator]();
  let pending: Uint8Array = new Uint8Array(0);
  let inputEnded = false;
  let consumed = 0;
  let idleRounds = 0;
  try {
    for (;;) {
      let state = fields();
      if (state[2] === state[3]) {
        if (pending.length === 0 && !inputEnded) {
          const next = await iterator.next();
          if (next.done) inputEnded = true;
          else pending = next.value;
        }
        if (inputEnded && consumed === 0) throw new Error('xz: empty input');
        // Supplying nothing once the input has ended tells the decoder to finish.
        const piece = pending.subarray(0, bufferSize);
        pending = pending.subarray(piece.length);
        new Uint8Array(xz.memory.buffer).set(piece, inputPointer);
        xz.supply_input(context, piece.length);
        consumed += piece.length;
      }
      const code = xz.get_next_output(context);
      state = fields();
      const produced = state[5];
      if (code !== XZ_OK && code !== XZ_STREAM_END) {
        throw new Error(`xz: ${XZ_ERRORS[code] ?? `decoder error ${code}`} (input byte ${consumed})`);
      }
      if (produced > 0) {
        const out = new Uint8Array(xz.memory.buffer, outputPointer, produced).slice();
        fields()[5] = 0;
        idleRounds = 0;
        yield out;
      } else if (inputEnded && ++idleRounds > 2) {
        throw new Error(`xz: truncated input: the stream ends after ${consumed} bytes`);
      }
      if (code === XZ_STREAM_END) return;
    }
  } finally {
    xz.destroy_context(context);
    await iterator.return?.();
  }
}

// ---------------------------------------------------------------------------------------------
// LZ4 frames (joblib's lz4 compression). Checksums are skipped: Python's lz4.frame verifies them only
// when asked, and a wrong checksum says nothing about what the bytes would do.

const LZ4_WINDOW = 64 * 1024;

function lz4Error(detail: string, offset: number): Error {
  return new Error(`lz4: ${detail} at offset ${offset}`);
}

function u32le(bytes: Uint8Array, at = 0): number {
  return (bytes[at] | (bytes[at + 1] << 8) | (bytes[at + 2] << 16) | (bytes[at + 3] << 24)) >>> 0;
}

async function readFully(reader: ChunkReader, length: number, what: string): Promise<Uint8Array> {
  const at = reader.position;
  const bytes = await reader.readExact(length);
  if (bytes.length < length) throw lz4Error(`truncated ${what} (${bytes.length} of ${length} bytes)`, at);
  return bytes;
}

async function* decodeLz4Frames(input: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  const reader = new ChunkReader(input);
  try {
    let frames = 0;
    while (!(await reader.atEnd())) {
      const frameStart = reader.position;
      const magic = u32le(await readFully(reader, 4, 'frame magic'));
      if ((magic & 0xfffffff0) >>> 0 === 0x184d2a50) {
        // Skippable frame: user data the decoder ignores.
        const length = u32le(await readFully(reader, 4, 'skippable frame size'));
        if ((await reader.skip(length)) < length) throw lz4Error('truncated skippable frame', frameStart);
        continue;
      }
      if (magic === 0x184c2102) throw lz4Error('legacy LZ4 format (not a frame) is not supported', frameStart);
      if (magic !== LZ4_FRAME_MAGIC) throw lz4Error(`not an LZ4 frame (magic 0x${magic.toString(16)})`, frameStart);
      yield* decodeLz4Frame(reader);
      frames++;
    }
    if (frames === 0) throw new Error('lz4: empty input');
  } finally {
    await reader.close();
  }
}

async function* decodeLz4Frame(reader: ChunkReader): AsyncGenerator<Uint8Array> {
  const descriptorAt = reader.position;
  const [flags, blockDescriptor] = await readFully(reader, 2, 'frame descriptor');
  if (flags >> 6 !== 1) throw lz4Error(`unsupported frame version ${flags >> 6}`, descriptorAt);
  const independent = (flags & 0x20) !== 0;
  const blockChecksums = (flags & 0x10) !== 0;
  const contentSize = (flags & 0x08) !== 0;
  const contentChecksum = (flags & 0x04) !== 0;
  const dictionary = (flags & 0x01) !== 0;
  const sizeCode = (blockDescriptor >> 4) & 0x07;
  if (sizeCode < 4) throw lz4Error(`invalid block maximum size code ${sizeCode}`, descriptorAt + 1);
  if (dictionary) throw lz4Error('frame needs an external dictionary', descriptorAt);
  const blockMax = 1 << (2 * sizeCode + 8);
  // Content size and header checksum are not needed to decode.
  await readFully(reader, (contentSize ? 8 : 0) + 1, 'frame descriptor');

  // History (up to 64 KiB of earlier output) followed by room for one block.
  const window = new Uint8Array(LZ4_WINDOW + blockMax);
  let history = 0;
  for (;;) {
    const blockAt = reader.position;
    const header = u32le(await readFully(reader, 4, 'block size'));
    if (header === 0) {
      if (contentChecksum) await readFully(reader, 4, 'content checksum');
      return;
    }
    const stored = (header & 0x80000000) !== 0;
    const length = header & 0x7fffffff;
    if (length > blockMax)
      throw lz4Error(`block of ${length} bytes exceeds the frame's ${blockMax}-byte maximum`, blockAt);
    const data = await readFully(reader, length, 'block');
    if (blockChecksums) await readFully(reader, 4, 'block checksum');
    const start = independent ? 0 : history;
    let end: number;
    if (stored) {
      window.set(data, start);
      end = start + length;
    } else {
      end = decodeLz4Block(data, window, start, start + blockMax, blockAt + 4);
    }
    yield window.slice(start, end);
    if (independent) continue;
    const keep = Math.min(LZ4_WINDOW, end);
    window.copyWithin(0, end - keep, end);
    history = keep;
  }
}

/** Decodes one block into `out` from `start` up to `limit` (bytes before `start` are history); returns the end. */
function decodeLz4Block(block: Uint8Array, out: Uint8Array, start: number, limit: number, blockOffset: number): number {
  let read = 0;
  let write = start;
  const fail = (detail: string) => lz4Error(detail, blockOffset + read);
  const extendedLength = (initial: number) => {
    let length = initial;
    if (initial !== 15) return length;
    let byte: number;
    do {
      if (read >= block.length) throw fail('block ends inside a length');
      byte = block[read++];
      length += byte;
    } while (byte === 255);
    return length;
  };
  for (;;) {
    if (read >= block.length) throw fail('block ends before its last literals');
    const token = block[read++];
    const literals = extendedLength(token >> 4);
    if (read + literals > block.length) throw fail('literals run past the end of the block');
    if (write + literals > limit) throw fail('block decodes to more than the frame maximum');
    out.set(block.subarray(read, read + literals), write);
    read += literals;
    write += literals;
    if (read === block.length) return write;
    if (read + 2 > block.length) throw fail('block ends inside a match offset');
    const distance = block[read] | (block[read + 1] << 8);
    read += 2;
    if (distance === 0 || distance > write) throw fail(`match offset ${distance} points before the available history`);
    const matchLength = extendedLength(token & 0x0f) + 4;
    if (write + matchLength > limit) throw fail('block decodes to more than the frame maximum');
    let from = write - distance;
    if (distance >= matchLength) {
      out.copyWithin(write, from, from + matchLength);
      write += matchLength;
    } else {
      // Overlapping match: repeats the last `distance` bytes.
      for (let i = 0; i < matchLength; i++) out[write++] = out[from++];
    }
  }
}
