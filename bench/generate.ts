/**
 * Writes the benchmark inputs into bench/out/ (git-ignored), streaming every byte to disk:
 *
 *   torch-2g.pt   a torch.save-style zip (archive/data.pkl, archive/data/<key> stored tensors, archive/version,
 *                 archive/byteorder, archive/.data/serialization_id), ≥ 2.1 GB of pseudo-random tensor bytes
 *   dicts-4m.pkl  a protocol-4 pickle of a list of 500,000 small dicts, framed and memoized the way CPython
 *                 writes it: ≥ 4,000,000 opcodes
 *   blobs-1g.pkl  a protocol-4 pickle of a dict of eight 128 MiB BINBYTES8 blobs (bulk skipping)
 *   model-2g.safetensors  a valid safetensors file of F32, BF16 and F16 tensors, ≥ 2.1 GB, every value finite
 *                 and in range (the input of `scan --deep`)
 *
 * and bench/out/manifest.json with the sizes and exact opcode counts, which bench/run.ts reads.
 *
 * Usage: npx tsx bench/generate.ts [--only torch,dicts,blobs,safetensors] [--small]
 *   --small writes tiny versions of the same shapes (a smoke test of the writers, not a benchmark).
 */
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { crc32 } from 'node:zlib';
import { stateDictPickle } from '../test/fixtures/pickle-writer.js';

const OUT = join(dirname(fileURLToPath(import.meta.url)), 'out');
const MANIFEST = join(OUT, 'manifest.json');
const CHUNK = 8 << 20;

export interface ManifestEntry {
  file: string;
  bytes: number;
  /** Opcodes in the file's pickles (for the zip: in archive/data.pkl). */
  opcodes: number;
  description: string;
}

// ---- output helpers ---------------------------------------------------------------------------------------

/** Positional writes to one file descriptor; `position` is the current end of the file. */
class FileWriter {
  private readonly fd: number;
  position = 0;

  constructor(path: string) {
    this.fd = openSync(path, 'w');
  }

  write(bytes: Uint8Array): void {
    this.writeAt(bytes, this.position);
    this.position += bytes.length;
  }

  /** Overwrites bytes already written (a CRC patched into a local header). */
  writeAt(bytes: Uint8Array, at: number): void {
    let done = 0;
    while (done < bytes.length) done += writeSync(this.fd, bytes, done, bytes.length - done, at + done);
  }

  close(): void {
    closeSync(this.fd);
  }
}

/** Pseudo-random bytes (xorshift32) refilled into one reused 8 MiB buffer: incompressible, cheap to make. */
class NoiseSource {
  private readonly words = new Uint32Array(CHUNK / 4);
  readonly bytes = new Uint8Array(this.words.buffer);
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0 || 0x9e3779b9;
  }

  /** Refills the buffer and returns its first `length` bytes (length ≤ 8 MiB). */
  next(length: number): Uint8Array {
    const words = this.words;
    const count = Math.ceil(length / 4);
    let x = this.state;
    for (let i = 0; i < count; i++) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      words[i] = x;
    }
    this.state = x >>> 0;
    return this.bytes.subarray(0, length);
  }
}

function progress(label: string, done: number, total: number): void {
  if (!process.stderr.isTTY) return;
  process.stderr.write(`\r${label}: ${((100 * done) / total).toFixed(1)}%   `);
  if (done >= total) process.stderr.write('\n');
}

// ---- a streaming zip writer (stored members, ZIP64 where needed) ------------------------------------------

const U32_MAX = 0xffffffff;
const DOS_DATE_1980_01_01 = (0 << 9) | (1 << 5) | 1;
const encoder = new TextEncoder();

interface CentralRecord {
  name: Uint8Array;
  crc: number;
  size: number;
  offset: number;
}

/**
 * Writes a zip member by member, never holding a member's data: the local header goes out with a zero CRC,
 * the data streams behind it, and the CRC is patched into the header afterwards (sizes are known up front,
 * so no data descriptor is needed). Like torch's PyTorchStreamWriter, it pads the local header's extra field
 * (id "FB") so each member's data starts on a 64-byte boundary. ZIP64 fields are written exactly when a size
 * or an offset does not fit in 32 bits, and the ZIP64 end records when the count, the directory's size or its
 * offset does not fit.
 */
export class StreamingZipWriter {
  private readonly out: FileWriter;
  private readonly central: CentralRecord[] = [];

  constructor(path: string) {
    this.out = new FileWriter(path);
  }

  get position(): number {
    return this.out.position;
  }

  /** A stored member of `size` bytes; `produce` calls `emit` with the data, in order, chunk by chunk. */
  add(nameText: string, size: number, produce: (emit: (chunk: Uint8Array) => void) => void): void {
    const name = encoder.encode(nameText);
    const offset = this.out.position;
    const zip64 = size >= U32_MAX;
    const zip64Length = zip64 ? 4 + 16 : 0;
    const padding = (64 - ((offset + 30 + name.length + zip64Length + 4) % 64)) % 64;
    const extraLength = zip64Length + 4 + padding;
    const header = Buffer.alloc(30 + name.length + extraLength);
    header.writeUInt32LE(0x04034b50, 0);
    header.writeUInt16LE(zip64 ? 45 : 20, 4); // version needed
    header.writeUInt16LE(0, 6); // flags
    header.writeUInt16LE(0, 8); // method: stored
    header.writeUInt16LE(0, 10); // time
    header.writeUInt16LE(DOS_DATE_1980_01_01, 12);
    header.writeUInt32LE(0, 14); // CRC, patched below
    header.writeUInt32LE(zip64 ? U32_MAX : size, 18);
    header.writeUInt32LE(zip64 ? U32_MAX : size, 22);
    header.writeUInt16LE(name.length, 26);
    header.writeUInt16LE(extraLength, 28);
    header.set(name, 30);
    let at = 30 + name.length;
    if (zip64) {
      header.writeUInt16LE(0x0001, at);
      header.writeUInt16LE(16, at + 2);
      header.writeBigUInt64LE(BigInt(size), at + 4);
      header.writeBigUInt64LE(BigInt(size), at + 12);
      at += 20;
    }
    header.writeUInt16LE(0x4246, at); // "FB": torch's alignment padding
    header.writeUInt16LE(padding, at + 2);
    header.fill(0x5a, at + 4, at + 4 + padding);
    this.out.write(header);

    let crc = 0;
    let written = 0;
    produce((chunk) => {
      crc = crc32(chunk, crc);
      written += chunk.length;
      this.out.write(chunk);
    });
    if (written !== size) throw new Error(`${nameText}: declared ${size} bytes, wrote ${written}`);
    const crcBytes = Buffer.alloc(4);
    crcBytes.writeUInt32LE(crc >>> 0, 0);
    this.out.writeAt(crcBytes, offset + 14);
    this.central.push({ name, crc: crc >>> 0, size, offset });
  }

  addBytes(name: string, data: Uint8Array): void {
    this.add(name, data.length, (emit) => emit(data));
  }

  /** Writes the central directory and the end records; returns the archive's size. */
  finish(): number {
    const directoryOffset = this.out.position;
    for (const record of this.central) {
      const big = [record.size >= U32_MAX, record.size >= U32_MAX, record.offset >= U32_MAX];
      const zip64Values = [record.size, record.size, record.offset].filter((_, i) => big[i]);
      const extraLength = zip64Values.length > 0 ? 4 + 8 * zip64Values.length : 0;
      const entry = Buffer.alloc(46 + record.name.length + extraLength);
      const version = zip64Values.length > 0 ? 45 : 20;
      entry.writeUInt32LE(0x02014b50, 0);
      entry.writeUInt16LE((3 << 8) | version, 4); // made by: Unix
      entry.writeUInt16LE(version, 6);
      entry.writeUInt16LE(0, 8);
      entry.writeUInt16LE(0, 10);
      entry.writeUInt16LE(0, 12);
      entry.writeUInt16LE(DOS_DATE_1980_01_01, 14);
      entry.writeUInt32LE(record.crc, 16);
      entry.writeUInt32LE(big[1] ? U32_MAX : record.size, 20);
      entry.writeUInt32LE(big[0] ? U32_MAX : record.size, 24);
      entry.writeUInt16LE(record.name.length, 28);
      entry.writeUInt16LE(extraLength, 30);
      entry.writeUInt16LE(0, 32); // comment
      entry.writeUInt16LE(0, 34); // disk
      entry.writeUInt16LE(0, 36); // internal attributes
      entry.writeUInt32LE((0o100644 << 16) >>> 0, 38); // a regular file, rw-r--r--
      entry.writeUInt32LE(big[2] ? U32_MAX : record.offset, 42);
      entry.set(record.name, 46);
      if (extraLength > 0) {
        let at = 46 + record.name.length;
        entry.writeUInt16LE(0x0001, at);
        entry.writeUInt16LE(8 * zip64Values.length, at + 2);
        at += 4;
        for (const value of zip64Values) {
          entry.writeBigUInt64LE(BigInt(value), at);
          at += 8;
        }
      }
      this.out.write(entry);
    }
    const directorySize = this.out.position - directoryOffset;
    const count = this.central.length;
    const needZip64 = count > 0xffff || directoryOffset >= U32_MAX || directorySize >= U32_MAX;
    if (needZip64) {
      const recordOffset = this.out.position;
      const record = Buffer.alloc(56 + 20);
      record.writeUInt32LE(0x06064b50, 0);
      record.writeBigUInt64LE(44n, 4); // size of the rest of the record
      record.writeUInt16LE((3 << 8) | 45, 12);
      record.writeUInt16LE(45, 14);
      record.writeUInt32LE(0, 16);
      record.writeUInt32LE(0, 20);
      record.writeBigUInt64LE(BigInt(count), 24);
      record.writeBigUInt64LE(BigInt(count), 32);
      record.writeBigUInt64LE(BigInt(directorySize), 40);
      record.writeBigUInt64LE(BigInt(directoryOffset), 48);
      record.writeUInt32LE(0x07064b50, 56); // locator
      record.writeUInt32LE(0, 60);
      record.writeBigUInt64LE(BigInt(recordOffset), 64);
      record.writeUInt32LE(1, 72);
      this.out.write(record);
    }
    const end = Buffer.alloc(22);
    end.writeUInt32LE(0x06054b50, 0);
    end.writeUInt16LE(0, 4);
    end.writeUInt16LE(0, 6);
    end.writeUInt16LE(Math.min(count, 0xffff), 8);
    end.writeUInt16LE(Math.min(count, 0xffff), 10);
    end.writeUInt32LE(Math.min(directorySize, U32_MAX), 12);
    end.writeUInt32LE(Math.min(directoryOffset, U32_MAX), 16);
    end.writeUInt16LE(0, 20);
    this.out.write(end);
    const size = this.out.position;
    this.out.close();
    return size;
  }
}

// ---- (1) a torch.save-style zip ---------------------------------------------------------------------------

interface ModelShape {
  hidden: number;
  intermediate: number;
  vocab: number;
  layers: number;
}

/** A LLaMA-like state dict: embeddings, per-layer attention and MLP projections and norms, a head. */
function tensorsOf(shape: ModelShape): { name: string; numel: number }[] {
  const { hidden, intermediate, vocab, layers } = shape;
  const tensors = [{ name: 'model.embed_tokens.weight', numel: vocab * hidden }];
  for (let layer = 0; layer < layers; layer++) {
    const p = `model.layers.${layer}`;
    for (const proj of ['q_proj', 'k_proj', 'v_proj', 'o_proj']) {
      tensors.push({ name: `${p}.self_attn.${proj}.weight`, numel: hidden * hidden });
    }
    for (const proj of ['gate_proj', 'up_proj', 'down_proj']) {
      tensors.push({ name: `${p}.mlp.${proj}.weight`, numel: hidden * intermediate });
    }
    tensors.push({ name: `${p}.input_layernorm.weight`, numel: hidden });
    tensors.push({ name: `${p}.post_attention_layernorm.weight`, numel: hidden });
  }
  tensors.push({ name: 'model.norm.weight', numel: hidden });
  tensors.push({ name: 'lm_head.weight', numel: vocab * hidden });
  return tensors;
}

/** The smallest number of layers whose float32 tensors reach `minBytes`. */
function shapeFor(minBytes: number, base: Omit<ModelShape, 'layers'>): ModelShape {
  let layers = 1;
  while (tensorsOf({ ...base, layers }).reduce((sum, t) => sum + 4 * t.numel, 0) < minBytes) layers++;
  return { ...base, layers };
}

/** Opcodes in a pickle we wrote ourselves (no opcode argument contains another opcode's boundary). */
function countOpcodes(bytes: Uint8Array): number {
  // Arguments of the opcodes stateDictPickle emits, by opcode byte: fixed widths, or a length prefix.
  const fixed: Record<number, number> = { 128: 1, 75: 1, 77: 2, 74: 4, 113: 1, 114: 4, 104: 1, 106: 4 };
  const prefixed: Record<number, number> = { 85: 1, 84: 4, 140: 1, 88: 4 };
  let count = 0;
  let p = 0;
  while (p < bytes.length) {
    const op = bytes[p++];
    count++;
    if (op === 0x63) {
      // GLOBAL: two lines
      p = bytes.indexOf(0x0a, bytes.indexOf(0x0a, p) + 1) + 1;
    } else if (fixed[op] !== undefined) {
      p += fixed[op];
    } else if (prefixed[op] !== undefined) {
      const width = prefixed[op];
      let n = 0;
      for (let i = width - 1; i >= 0; i--) n = n * 256 + bytes[p + i];
      p += width + n;
    } else if (op === 0x2e) {
      break;
    }
  }
  return count;
}

function writeTorchZip(path: string, shape: ModelShape): ManifestEntry {
  const tensors = tensorsOf(shape).map((tensor, index) => ({ ...tensor, key: String(index) }));
  const total = tensors.reduce((sum, tensor) => sum + 4 * tensor.numel, 0);
  const pkl = stateDictPickle(tensors, 2);
  const zip = new StreamingZipWriter(path);
  // The member order torch.save (2.x) uses: the pickle, its metadata, the storages, then version and id.
  zip.addBytes('archive/data.pkl', pkl);
  zip.addBytes('archive/.format_version', encoder.encode('1'));
  zip.addBytes('archive/.storage_alignment', encoder.encode('64'));
  zip.addBytes('archive/byteorder', encoder.encode('little'));
  const noise = new NoiseSource(0x2545f491);
  let done = 0;
  for (const tensor of tensors) {
    const bytes = 4 * tensor.numel;
    zip.add(`archive/data/${tensor.key}`, bytes, (emit) => {
      for (let left = bytes; left > 0; ) {
        const chunk = noise.next(Math.min(CHUNK, left));
        emit(chunk);
        left -= chunk.length;
        done += chunk.length;
        progress('torch-2g.pt', done, total);
      }
    });
  }
  zip.addBytes('archive/version', encoder.encode('3\n'));
  zip.addBytes('archive/.data/serialization_id', encoder.encode('1234567890123456789012345678901234567890'));
  const size = zip.finish();
  return {
    file: 'torch-2g.pt',
    bytes: size,
    opcodes: countOpcodes(pkl),
    description: `torch.save-style zip: ${tensors.length} float32 tensors (${shape.layers} layers, hidden ${shape.hidden}), ${tensors.length + 6} members, ${(total / 1e9).toFixed(2)} GB of tensor data`,
  };
}

// ---- (2) a pickle dense in opcodes ------------------------------------------------------------------------

const FRAME_MAX = 64 * 1024;

/**
 * Protocol-4 output with CPython's framing: opcodes are grouped into FRAMEs of at most 64 KiB (a group is
 * never split across frames), and payloads larger than a frame are written between frames, unframed.
 */
class FramedPickleWriter {
  private readonly out: FileWriter;
  private readonly frame = Buffer.alloc(FRAME_MAX);
  private frameLength = 0;
  opcodes = 0;

  constructor(path: string, protocol: number) {
    this.out = new FileWriter(path);
    this.out.write(Uint8Array.of(0x80, protocol));
    this.opcodes++;
  }

  /** Appends a group of opcodes (their bytes and how many they are) to the current frame. */
  group(bytes: Uint8Array, opcodes: number): void {
    if (bytes.length > FRAME_MAX) throw new Error('group larger than a frame');
    if (this.frameLength + bytes.length > FRAME_MAX) this.commit();
    this.frame.set(bytes, this.frameLength);
    this.frameLength += bytes.length;
    this.opcodes += opcodes;
  }

  /** Ends the current frame (FRAME opcode, 8-byte length, contents). */
  commit(): void {
    if (this.frameLength === 0) return;
    const header = Buffer.alloc(9);
    header[0] = 0x95;
    header.writeBigUInt64LE(BigInt(this.frameLength), 1);
    this.out.write(header);
    this.out.write(this.frame.subarray(0, this.frameLength));
    this.opcodes++;
    this.frameLength = 0;
  }

  /** Bytes written after the current frame, outside any frame (a large BINBYTES8 payload). */
  unframed(bytes: Uint8Array, opcodes = 0): void {
    this.commit();
    this.out.write(bytes);
    this.opcodes += opcodes;
  }

  finish(): number {
    this.commit();
    const size = this.out.position;
    this.out.close();
    return size;
  }
}

/** Encodes opcodes into a small scratch buffer, counting them. */
class Ops {
  private readonly buffer = Buffer.alloc(4096);
  length = 0;
  count = 0;

  op(code: number): this {
    this.buffer[this.length++] = code;
    this.count++;
    return this;
  }
  u8(value: number): this {
    this.buffer[this.length++] = value;
    return this;
  }
  u16(value: number): this {
    this.buffer.writeUInt16LE(value, this.length);
    this.length += 2;
    return this;
  }
  i32(value: number): this {
    this.buffer.writeInt32LE(value, this.length);
    this.length += 4;
    return this;
  }
  u32(value: number): this {
    this.buffer.writeUInt32LE(value, this.length);
    this.length += 4;
    return this;
  }
  u64(value: number): this {
    this.buffer.writeBigUInt64LE(BigInt(value), this.length);
    this.length += 8;
    return this;
  }
  f64be(value: number): this {
    this.buffer.writeDoubleBE(value, this.length);
    this.length += 8;
    return this;
  }
  text(value: string): this {
    this.length += this.buffer.write(value, this.length, 'utf8');
    return this;
  }
  /** SHORT_BINUNICODE (strings under 256 bytes here). */
  str(value: string): this {
    return this.op(0x8c).u8(Buffer.byteLength(value)).text(value);
  }
  /** BININT1 / BININT2 / BININT, as CPython picks them. */
  int(value: number): this {
    if (value >= 0 && value < 256) return this.op(0x4b).u8(value);
    if (value >= 0 && value < 65536) return this.op(0x4d).u16(value);
    return this.op(0x4a).i32(value);
  }
  /** BINGET or LONG_BINGET. */
  get(index: number): this {
    return index < 256 ? this.op(0x68).u8(index) : this.op(0x6a).u32(index);
  }
  flush(into: FramedPickleWriter): void {
    into.group(this.buffer.subarray(0, this.length), this.count);
    this.length = 0;
    this.count = 0;
  }
}

const MARK = 0x28;
const STOP = 0x2e;
const EMPTY_LIST = 0x5d;
const EMPTY_DICT = 0x7d;
const APPENDS = 0x65;
const SETITEMS = 0x75;
const MEMOIZE = 0x94;
const BINFLOAT = 0x47;
const BINBYTES8 = 0x8e;

/** `pickle.dumps([{'id': i, 'name': f'item-{i}', 'score': (i % 100) / 4} for i in range(n)], protocol=4)`. */
export function writeDicts(path: string, count: number): ManifestEntry {
  const out = new FramedPickleWriter(path, 4);
  const ops = new Ops();
  let memo = 0;
  ops.op(EMPTY_LIST).op(MEMOIZE);
  memo++;
  const keys = new Map<string, number>();
  const key = (name: string) => {
    const index = keys.get(name);
    if (index !== undefined) ops.get(index);
    else {
      ops.str(name).op(MEMOIZE);
      keys.set(name, memo++);
    }
  };
  for (let i = 0; i < count; i++) {
    if (i % 1000 === 0) ops.op(MARK); // CPython appends in batches of 1000
    ops.op(EMPTY_DICT).op(MEMOIZE);
    memo++;
    ops.op(MARK);
    key('id');
    ops.int(i);
    key('name');
    ops.str(`item-${i}`).op(MEMOIZE);
    memo++;
    key('score');
    ops.op(BINFLOAT).f64be((i % 100) / 4);
    ops.op(SETITEMS);
    if (i % 1000 === 999 || i === count - 1) ops.op(APPENDS);
    ops.flush(out);
  }
  ops.op(STOP).flush(out);
  const size = out.finish();
  return {
    file: 'dicts-4m.pkl',
    bytes: size,
    opcodes: out.opcodes,
    description: `protocol-4 pickle: a list of ${count.toLocaleString('en-US')} dicts {'id', 'name', 'score'}, memoized and framed as CPython does`,
  };
}

// ---- (3) a pickle of big blobs ----------------------------------------------------------------------------

/** `pickle.dumps({f'blob-{k}': <blobBytes random bytes> for k in range(count)}, protocol=4)`. */
function writeBlobs(path: string, count: number, blobBytes: number): ManifestEntry {
  const out = new FramedPickleWriter(path, 4);
  const ops = new Ops();
  const noise = new NoiseSource(0x6c078965);
  ops.op(EMPTY_DICT).op(MEMOIZE).op(MARK);
  let done = 0;
  for (let k = 0; k < count; k++) {
    ops.str(`blob-${k}`).op(MEMOIZE);
    ops.flush(out);
    // CPython writes an opcode whose payload is larger than a frame (header and payload) between frames.
    const header = Buffer.alloc(9);
    header[0] = BINBYTES8;
    header.writeBigUInt64LE(BigInt(blobBytes), 1);
    out.unframed(header, 1);
    for (let left = blobBytes; left > 0; ) {
      const chunk = noise.next(Math.min(CHUNK, left));
      out.unframed(chunk);
      left -= chunk.length;
      done += chunk.length;
      progress('blobs-1g.pkl', done, count * blobBytes);
    }
    ops.op(MEMOIZE);
  }
  ops.op(SETITEMS).op(STOP).flush(out);
  const size = out.finish();
  return {
    file: 'blobs-1g.pkl',
    bytes: size,
    opcodes: out.opcodes,
    description: `protocol-4 pickle: a dict of ${count} BINBYTES8 blobs of ${blobBytes / 2 ** 20} MiB each`,
  };
}

// ---- (4) a safetensors file of mixed float dtypes ---------------------------------------------------------

type FloatDtype = 'F32' | 'BF16' | 'F16';
const DTYPE_BYTES: Record<FloatDtype, number> = { F32: 4, BF16: 2, F16: 2 };

/**
 * Pseudo-random float32 values (xorshift32, uniform in [centre − spread, centre + spread]) encoded as F32, BF16 or
 * F16 into one reused 8 MiB buffer. The 16-bit codes are rounded to nearest-even from the float32 values, so every
 * value is finite, in range, and decodes to (almost) the float it came from.
 */
class FloatNoise {
  private readonly floats = new Float32Array(CHUNK / 4);
  private readonly floatBits = new Uint32Array(this.floats.buffer);
  private readonly halves = new Uint16Array(CHUNK / 4);
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0 || 0x9e3779b9;
  }

  /** The next `count` values (count ≤ 2 Mi) as bytes of `dtype`. */
  next(dtype: FloatDtype, count: number, centre: number, spread: number): Uint8Array {
    const floats = this.floats;
    const scale = (2 * spread) / 2 ** 32;
    const low = centre - spread;
    let x = this.state;
    for (let i = 0; i < count; i++) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      floats[i] = low + (x >>> 0) * scale;
    }
    this.state = x >>> 0;
    if (dtype === 'F32') return new Uint8Array(floats.buffer, 0, 4 * count);
    const bits = this.floatBits;
    const halves = this.halves;
    if (dtype === 'BF16') {
      // The upper half of the float32, rounded to nearest-even (no NaN or Inf can arise from these values).
      for (let i = 0; i < count; i++) {
        const b = bits[i];
        halves[i] = (b + 0x7fff + ((b >>> 16) & 1)) >>> 16;
      }
    } else {
      for (let i = 0; i < count; i++) halves[i] = float32BitsToHalf(bits[i]);
    }
    return new Uint8Array(halves.buffer, 0, 2 * count);
  }
}

/** IEEE binary32 bits → binary16 bits, round to nearest-even, subnormals included; overflow becomes ±Inf. */
export function float32BitsToHalf(bits: number): number {
  const sign = (bits >>> 16) & 0x8000;
  const exponent = ((bits >>> 23) & 0xff) - 127 + 15;
  let mantissa = bits & 0x7fffff;
  if (((bits >>> 23) & 0xff) === 0xff) return sign | 0x7c00 | (mantissa ? 0x200 : 0);
  if (exponent >= 0x1f) return sign | 0x7c00;
  if (exponent <= 0) {
    if (exponent < -10) return sign; // below half the smallest subnormal: ±0
    mantissa |= 0x800000;
    const shift = 14 - exponent;
    let half = mantissa >>> shift;
    const rest = mantissa & ((1 << shift) - 1);
    const halfway = 1 << (shift - 1);
    if (rest > halfway || (rest === halfway && half & 1)) half++;
    return sign | half;
  }
  let half = (exponent << 10) | (mantissa >>> 13);
  const rest = mantissa & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && half & 1)) half++; // a carry into the exponent is the right answer
  return sign | half;
}

interface SafetensorsTensor {
  name: string;
  dtype: FloatDtype;
  shape: number[];
  /** Values are drawn uniformly from centre ± spread. */
  centre: number;
  spread: number;
}

/**
 * The same LLaMA-like state dict as the zip, stored the way mixed-precision checkpoints are: embeddings, the head
 * and the norms in F32, the first half of the layers in BF16 and the second half in F16 (a merge of a bf16 and
 * an fp16 export). Projection weights are uniform in ±0.04, norm scales in 1 ± 0.05: nothing NaN, infinite,
 * constant or out of range, so `--deep` has nothing to report.
 */
function safetensorsTensorsOf(shape: ModelShape): SafetensorsTensor[] {
  const { hidden, intermediate, vocab, layers } = shape;
  const weight = { centre: 0, spread: 0.04 };
  const norm = { centre: 1, spread: 0.05 };
  const tensors: SafetensorsTensor[] = [
    { name: 'model.embed_tokens.weight', dtype: 'F32', shape: [vocab, hidden], ...weight },
    { name: 'lm_head.weight', dtype: 'F32', shape: [vocab, hidden], ...weight },
    { name: 'model.norm.weight', dtype: 'F32', shape: [hidden], ...norm },
  ];
  for (let layer = 0; layer < layers; layer++) {
    const p = `model.layers.${layer}`;
    const dtype: FloatDtype = layer < layers / 2 ? 'BF16' : 'F16';
    for (const proj of ['q_proj', 'k_proj', 'v_proj', 'o_proj']) {
      tensors.push({ name: `${p}.self_attn.${proj}.weight`, dtype, shape: [hidden, hidden], ...weight });
    }
    tensors.push({ name: `${p}.mlp.gate_proj.weight`, dtype, shape: [intermediate, hidden], ...weight });
    tensors.push({ name: `${p}.mlp.up_proj.weight`, dtype, shape: [intermediate, hidden], ...weight });
    tensors.push({ name: `${p}.mlp.down_proj.weight`, dtype, shape: [hidden, intermediate], ...weight });
    tensors.push({ name: `${p}.input_layernorm.weight`, dtype: 'F32', shape: [hidden], ...norm });
    tensors.push({ name: `${p}.post_attention_layernorm.weight`, dtype: 'F32', shape: [hidden], ...norm });
  }
  return tensors.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

const bytesOf = (tensor: SafetensorsTensor) =>
  DTYPE_BYTES[tensor.dtype] * tensor.shape.reduce((product, dimension) => product * dimension, 1);

/** The smallest even number of layers whose safetensors data reaches `minBytes`. */
function safetensorsShapeFor(minBytes: number, base: Omit<ModelShape, 'layers'>): ModelShape {
  let layers = 2;
  while (safetensorsTensorsOf({ ...base, layers }).reduce((sum, t) => sum + bytesOf(t), 0) < minBytes) layers += 2;
  return { ...base, layers };
}

/**
 * A safetensors file as `safetensors.torch.save_file` lays it out: the header length (u64 LE), the JSON header
 * (`__metadata__` first, then the tensors by name, their data contiguous from 0 in the same order) padded with
 * spaces to a multiple of 8, then the data, ending exactly at the end of the file.
 */
function writeSafetensors(path: string, shape: ModelShape): ManifestEntry {
  const tensors = safetensorsTensorsOf(shape);
  const header: Record<string, unknown> = { __metadata__: { format: 'pt' } };
  let offset = 0;
  for (const tensor of tensors) {
    const end = offset + bytesOf(tensor);
    header[tensor.name] = { dtype: tensor.dtype, shape: tensor.shape, data_offsets: [offset, end] };
    offset = end;
  }
  const total = offset;
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (Buffer.byteLength(json) % 8)) % 8);
  const headerBytes = Buffer.from(json, 'utf8');
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(BigInt(headerBytes.length));
  const out = new FileWriter(path);
  out.write(prefix);
  out.write(headerBytes);
  const noise = new FloatNoise(0x1b873593);
  const perChunk = CHUNK / 4; // values per refill: the F32 buffer is the limit
  let done = 0;
  for (const tensor of tensors) {
    const width = DTYPE_BYTES[tensor.dtype];
    for (let left = bytesOf(tensor) / width; left > 0; ) {
      const count = Math.min(perChunk, left);
      out.write(noise.next(tensor.dtype, count, tensor.centre, tensor.spread));
      left -= count;
      done += count * width;
      progress('model-2g.safetensors', done, total);
    }
  }
  const size = out.position;
  out.close();
  if (size !== 8 + headerBytes.length + total) throw new Error('model-2g.safetensors: size differs from its header');
  const byDtype = new Map<FloatDtype, { tensors: number; bytes: number }>();
  for (const tensor of tensors) {
    const sum = byDtype.get(tensor.dtype) ?? { tensors: 0, bytes: 0 };
    byDtype.set(tensor.dtype, { tensors: sum.tensors + 1, bytes: sum.bytes + bytesOf(tensor) });
  }
  const mix = [...byDtype]
    .map(([dtype, sum]) => `${sum.tensors} ${dtype} (${(sum.bytes / 1e9).toFixed(2)} GB)`)
    .join(', ');
  return {
    file: 'model-2g.safetensors',
    bytes: size,
    opcodes: 0,
    description: `safetensors: ${tensors.length} tensors (${shape.layers} layers, hidden ${shape.hidden}): ${mix}; header ${headerBytes.length} bytes`,
  };
}

// ---- main -------------------------------------------------------------------------------------------------

function main(): void {
  const args = process.argv.slice(2);
  const small = args.includes('--small');
  const onlyAt = args.indexOf('--only');
  const only = new Set(onlyAt >= 0 ? args[onlyAt + 1].split(',') : ['torch', 'dicts', 'blobs', 'safetensors']);
  mkdirSync(OUT, { recursive: true });
  const manifest: Record<string, ManifestEntry> = existsSync(MANIFEST)
    ? JSON.parse(readFileSync(MANIFEST, 'utf8'))
    : {};
  const record = (entry: ManifestEntry, started: number) => {
    manifest[entry.file] = entry;
    writeFileSync(MANIFEST, `${JSON.stringify(manifest, null, 2)}\n`);
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    console.log(
      `${entry.file}: ${entry.bytes.toLocaleString('en-US')} bytes, ${entry.opcodes.toLocaleString('en-US')} opcodes (${seconds} s)`,
    );
    console.log(`  ${entry.description}`);
    if (statSync(join(OUT, entry.file)).size !== entry.bytes) throw new Error(`${entry.file}: size on disk differs`);
  };
  if (only.has('torch')) {
    const started = performance.now();
    const base = small
      ? { hidden: 64, intermediate: 176, vocab: 500 }
      : { hidden: 2048, intermediate: 5632, vocab: 32000 };
    record(writeTorchZip(join(OUT, 'torch-2g.pt'), shapeFor(small ? 2e6 : 2.1e9, base)), started);
  }
  if (only.has('dicts')) {
    const started = performance.now();
    record(writeDicts(join(OUT, 'dicts-4m.pkl'), small ? 5_000 : 500_000), started);
  }
  if (only.has('blobs')) {
    const started = performance.now();
    record(writeBlobs(join(OUT, 'blobs-1g.pkl'), 8, small ? 1 << 20 : 128 << 20), started);
  }
  if (only.has('safetensors')) {
    const started = performance.now();
    const base = small
      ? { hidden: 64, intermediate: 176, vocab: 500 }
      : { hidden: 2048, intermediate: 5632, vocab: 32000 };
    record(
      writeSafetensors(join(OUT, 'model-2g.safetensors'), safetensorsShapeFor(small ? 1e6 : 2.1e9, base)),
      started,
    );
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) main();
