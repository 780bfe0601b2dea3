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
      decoder.add(carry.subarray(0, decoder.unit), stats);
      carried = 0;
    }
    const whole = from + Math.floor((bytes.length - from) / decoder.unit) * decoder.unit;
    if (whole > from) decoder.add(bytes.subarray(from, whole), stats);
    carry.set(bytes.subarray(whole));
    carried = bytes.length - whole;
  };
  const finish = (range: TensorRange, decoder: Decoder) => {
    decoder.settle?.(stats);
    const { codes, ...counts } = stats;
    push({
      kind: 'tensor-stats',
      tensor: range.name,
      dtype: range.dtype,
      shape: range.shape,
      offset: range.begin,
      ...counts,
      ...(stats.min <= stats.max ? {} : { min: undefined, max: undefined }),
    });
    stats = emptyStats(codes);
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
        finish(range, decoder);
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
  /** Per-code counts for 8- and 16-bit formats, folded into the fields above when the tensor ends. */
  codes?: Uint32Array;
}

/** Fresh statistics; a code histogram from the previous tensor is reused (it is all zeros again). */
function emptyStats(codes?: Uint32Array): Stats {
  return { values: 0, nan: 0, posInf: 0, negInf: 0, zeros: 0, min: Number.POSITIVE_INFINITY, max: -Infinity, codes };
}

/** The hot loop for 32- and 64-bit floats. */
function accumulate(values: Float32Array | Float64Array, stats: Stats) {
  let { nan, posInf, negInf, zeros, min, max } = stats;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v - v !== 0) {
      // Only NaN and the infinities fail v - v === 0.
      if (v === Number.POSITIVE_INFINITY) posInf++;
      else if (v === Number.NEGATIVE_INFINITY) negInf++;
      else nan++;
    } else {
      if (v === 0) zeros++;
      if (v < min) min = v;
      if (v > max) max = v;
    }
  }
  stats.values += values.length;
  Object.assign(stats, { nan, posInf, negInf, zeros, min, max });
}

/**
 * 8- and 16-bit floats have at most 65,536 values: counting codes is half the work of decoding each one, and
 * the counts become statistics once per tensor.
 */
function countCodes(codes: Uint8Array | Uint16Array, table: Float32Array, stats: Stats) {
  if (stats.codes === undefined || stats.codes.length < table.length) stats.codes = new Uint32Array(table.length);
  const histogram = stats.codes;
  for (let i = 0; i < codes.length; i++) histogram[codes[i]]++;
  stats.values += codes.length;
}

function settleCodes(table: Float32Array, stats: Stats) {
  const histogram = stats.codes;
  if (!histogram) return;
  for (let code = 0; code < table.length; code++) {
    const count = histogram[code];
    if (count === 0) continue;
    histogram[code] = 0;
    const v = table[code];
    if (Number.isNaN(v)) stats.nan += count;
    else if (v === Number.POSITIVE_INFINITY) stats.posInf += count;
    else if (v === Number.NEGATIVE_INFINITY) stats.negInf += count;
    else {
      if (v === 0) stats.zeros += count;
      if (v < stats.min) stats.min = v;
      if (v > stats.max) stats.max = v;
    }
  }
}

// ---- decoders -------------------------------------------------------------------------------------------------

/** Adds raw bytes (a whole number of `unit`-byte values) to a tensor's statistics. */
interface Decoder {
  unit: number;
  add(bytes: Uint8Array, stats: Stats): void;
  /** Folds deferred counts into the statistics when the tensor ends. */
  settle?(stats: Stats): void;
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

const tables = new Map<string, Float32Array>();
function table(key: string, build: () => Float32Array): Float32Array {
  const found = tables.get(key) ?? build();
  tables.set(key, found);
  return found;
}

/** 8- and 16-bit floats: codes counted per tensor, decoded through the table once at the end. */
function codedDecoder(unit: 1 | 2, values: Float32Array): Decoder {
  return {
    unit,
    add: (bytes, stats) =>
      countCodes(unit === 1 ? bytes : view(bytes, 2, (b, o, n) => new Uint16Array(b, o, n)), values, stats),
    settle: (stats) => settleCodes(values, stats),
  };
}

function decoderFor(decode: NonNullable<ReturnType<typeof dtypeInfo>>['decode']): Decoder | undefined {
  switch (decode) {
    case 'f32':
    case 'c64':
      return {
        unit: 4,
        add: (bytes, stats) =>
          accumulate(
            view(bytes, 4, (b, o, n) => new Float32Array(b, o, n)),
            stats,
          ),
      };
    case 'f64':
      return {
        unit: 8,
        add: (bytes, stats) =>
          accumulate(
            view(bytes, 8, (b, o, n) => new Float64Array(b, o, n)),
            stats,
          ),
      };
    case 'bf16':
    case 'f16':
      return codedDecoder(
        2,
        table(decode, () => (decode === 'f16' ? halfTable() : bfloatTable())),
      );
    case undefined:
      return undefined;
    default:
      return codedDecoder(
        1,
        table(JSON.stringify(decode), () => minifloatTable(decode)),
      );
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
