/**
 * `--deep` weight statistics shared by the tensor formats (safetensors, GGUF): decoders for the float dtypes of
 * src/knowledge/dtypes.ts, running per-tensor statistics (NaN, Inf, zeros, finite range), and a scanner that is fed
 * a stream once, in order, and attributes the bytes of given ranges to tensors. Memory stays bounded: at most one
 * tensor's running statistics and a few carried bytes, whatever the size of the tensors.
 */
import { dtypeInfo, type Minifloat } from '../knowledge/dtypes.js';

export type TensorStatsFact =
  /** `--deep`: running statistics of one tensor's values; min / max over finite values only. */
  | {
      kind: 'tensor-stats';
      tensor: string;
      /** The dtype name of the dtype table (F32, F16, BF16, F64, ...). */
      dtype: string;
      shape: number[];
      /** File offset of the tensor's first byte. */
      offset: number;
      values: number;
      nan: number;
      posInf: number;
      negInf: number;
      zeros: number;
      min?: number;
      max?: number;
    }
  /** `--deep`: tensors whose values were not decoded, and why. */
  | { kind: 'tensor-not-decoded'; detail: string; tensors: number; dtype?: string };

/** Typed arrays read the host's byte order; the formats store little-endian values. */
export const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** One tensor to scan: `begin` / `end` are positions in the scanned stream (the same coordinates as `start`). */
export interface TensorRange {
  name: string;
  /** A dtype of the dtype table; ranges of dtypes without a decoder are skipped. */
  dtype: string;
  shape: number[];
  begin: number;
  end: number;
}

/** Fed a stream in order; tensors cut by the end of the stream get no statistics. */
export interface TensorScanner {
  push(chunk: Uint8Array): void;
  /** True once every decodable range has been passed: the rest of the stream holds nothing to scan. */
  readonly done: boolean;
}

/** Whether `--deep` decodes values of this dtype. */
export function decodable(dtype: string): boolean {
  const decode = dtypeInfo(dtype)?.decode;
  return decode !== undefined && decoderFor(decode) !== undefined;
}

/**
 * A scanner over `ranges` of a stream whose first pushed byte is at position `start`. Ranges may come in any order:
 * they are visited by position; bytes between them (padding, gaps, undecoded tensors) are skipped. A range that
 * starts inside an earlier one cannot be attributed and is reported as not decoded.
 */
export function tensorScanner(
  ranges: readonly TensorRange[],
  start: number,
  push: (fact: TensorStatsFact) => void,
): TensorScanner {
  const plan: { range: TensorRange; decoder: Decoder }[] = [];
  let overlapping = 0;
  let cursor = start;
  const sorted = ranges
    .map((range) => {
      const decode = dtypeInfo(range.dtype)?.decode;
      return { range, decoder: decode ? decoderFor(decode) : undefined };
    })
    .filter((entry): entry is { range: TensorRange; decoder: Decoder } => entry.decoder !== undefined)
    .sort((a, b) => a.range.begin - b.range.begin || a.range.end - b.range.end);
  for (const entry of sorted) {
    if (entry.range.begin < cursor || entry.range.end < entry.range.begin) overlapping++;
    else {
      plan.push(entry);
      cursor = entry.range.end;
    }
  }
  if (overlapping > 0) {
    push({
      kind: 'tensor-not-decoded',
      tensors: overlapping,
      detail: 'their bytes overlap another tensor (or the data section start), so values cannot be attributed',
    });
  }
  let index = 0;
  let position = start;
  let stats = emptyStats();
  const carry = new Uint8Array(8);
  let carried = 0;
  const feed = (decoder: Decoder, bytes: Uint8Array) => {
    let from = 0;
    if (carried > 0) {
      from = Math.min(decoder.unit - carried, bytes.length);
      carry.set(bytes.subarray(0, from), carried);
      carried += from;
      if (carried < decoder.unit) return;
      accumulate(decoder.decode(carry.subarray(0, decoder.unit)), stats);
      carried = 0;
    }
    const whole = from + Math.floor((bytes.length - from) / decoder.unit) * decoder.unit;
    if (whole > from) accumulate(decoder.decode(bytes.subarray(from, whole)), stats);
    carry.set(bytes.subarray(whole));
    carried = bytes.length - whole;
  };
  const finish = (range: TensorRange) => {
    push({
      kind: 'tensor-stats',
      tensor: range.name,
      dtype: range.dtype,
      shape: range.shape,
      offset: range.begin,
      ...stats,
      ...(stats.min <= stats.max ? {} : { min: undefined, max: undefined }),
    });
    stats = emptyStats();
    carried = 0;
    index++;
  };
  return {
    get done() {
      return index >= plan.length;
    },
    push(chunk) {
      let at = 0;
      while (index < plan.length) {
        const { range, decoder } = plan[index];
        if (position < range.begin) {
          const skip = Math.min(range.begin - position, chunk.length - at);
          at += skip;
          position += skip;
          if (position < range.begin) return;
        }
        const take = Math.min(range.end - position, chunk.length - at);
        if (take > 0) feed(decoder, chunk.subarray(at, at + take));
        at += take;
        position += take;
        if (position < range.end) return;
        finish(range);
      }
    },
  };
}

// ---- statistics -----------------------------------------------------------------------------------------------

interface Stats {
  values: number;
  nan: number;
  posInf: number;
  negInf: number;
  zeros: number;
  min: number;
  max: number;
}

function emptyStats(): Stats {
  return { values: 0, nan: 0, posInf: 0, negInf: 0, zeros: 0, min: Number.POSITIVE_INFINITY, max: -Infinity };
}

/** The one hot loop: every decoder hands it plain numbers. */
function accumulate(values: Float32Array | Float64Array, stats: Stats) {
  let { nan, posInf, negInf, zeros, min, max } = stats;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (Number.isNaN(v)) nan++;
    else if (v === Number.POSITIVE_INFINITY) posInf++;
    else if (v === Number.NEGATIVE_INFINITY) negInf++;
    else {
      if (v === 0) zeros++;
      if (v < min) min = v;
      if (v > max) max = v;
    }
  }
  stats.values += values.length;
  Object.assign(stats, { nan, posInf, negInf, zeros, min, max });
}

// ---- decoders -------------------------------------------------------------------------------------------------

/** Turns raw bytes (a whole number of units) into values; `unit` is the bytes per decoded value. */
interface Decoder {
  unit: number;
  decode(bytes: Uint8Array): Float32Array | Float64Array;
}

/** A typed view of `bytes`, copied first when they are not aligned for it. */
function view<T>(
  bytes: Uint8Array,
  unit: number,
  make: (buffer: ArrayBufferLike, offset: number, length: number) => T,
) {
  const aligned = bytes.byteOffset % unit === 0 ? bytes : bytes.slice();
  return make(aligned.buffer, aligned.byteOffset, aligned.length / unit);
}

let scratch = new Float32Array(0);
/** Table lookup into a reused buffer: 16- and 8-bit floats become f32 (exactly: f32 holds every value). */
function lookup(codes: Uint8Array | Uint16Array, table: Float32Array): Float32Array {
  if (scratch.length < codes.length) scratch = new Float32Array(codes.length);
  const out = scratch.subarray(0, codes.length);
  for (let i = 0; i < codes.length; i++) out[i] = table[codes[i]];
  return out;
}

const tables = new Map<string, Float32Array>();
function table(key: string, build: () => Float32Array): Float32Array {
  const found = tables.get(key) ?? build();
  tables.set(key, found);
  return found;
}

function decoderFor(decode: NonNullable<ReturnType<typeof dtypeInfo>>['decode']): Decoder | undefined {
  switch (decode) {
    case 'f32':
    case 'c64':
      return { unit: 4, decode: (bytes) => view(bytes, 4, (b, o, n) => new Float32Array(b, o, n)) };
    case 'f64':
      return { unit: 8, decode: (bytes) => view(bytes, 8, (b, o, n) => new Float64Array(b, o, n)) };
    case 'bf16':
    case 'f16': {
      const values = table(decode, () => (decode === 'f16' ? halfTable() : bfloatTable()));
      return {
        unit: 2,
        decode: (bytes) =>
          lookup(
            view(bytes, 2, (b, o, n) => new Uint16Array(b, o, n)),
            values,
          ),
      };
    }
    case undefined:
      return undefined;
    default: {
      const values = table(JSON.stringify(decode), () => minifloatTable(decode));
      return { unit: 1, decode: (bytes) => lookup(bytes, values) };
    }
  }
}

function halfTable(): Float32Array {
  return Float32Array.from({ length: 1 << 16 }, (_, code) => {
    const sign = code & 0x8000 ? -1 : 1;
    const exponent = (code >> 10) & 0x1f;
    const fraction = code & 0x3ff;
    if (exponent === 0x1f) return fraction ? Number.NaN : sign * Number.POSITIVE_INFINITY;
    if (exponent === 0) return sign * fraction * 2 ** -24;
    return sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
  });
}

/** bfloat16 is the upper half of an f32: shifting the code up gives the value's exact bits. */
function bfloatTable(): Float32Array {
  const bits = Uint32Array.from({ length: 1 << 16 }, (_, code) => code << 16);
  return new Float32Array(bits.buffer);
}

function minifloatTable(format: Minifloat): Float32Array {
  const { exponent: eBits, mantissa: mBits, bias, special } = format;
  const topExponent = (1 << eBits) - 1;
  const topMantissa = (1 << mBits) - 1;
  return Float32Array.from({ length: 256 }, (_, code) => {
    if (special === 'e8m0') return code === 0xff ? Number.NaN : 2 ** (code - bias);
    if (special === 'fnuz' && code === 0x80) return Number.NaN;
    const sign = code & 0x80 ? -1 : 1;
    const e = (code >> mBits) & topExponent;
    const m = code & topMantissa;
    if (special === 'ieee' && e === topExponent) return m ? Number.NaN : sign * Number.POSITIVE_INFINITY;
    if (special === 'fn' && e === topExponent && m === topMantissa) return Number.NaN;
    if (e === 0) return sign * m * 2 ** (1 - bias - mBits);
    return sign * (1 + m / 2 ** mBits) * 2 ** (e - bias);
  });
}
