/**
 * Tensor element types of the safetensors format (safetensors/src/tensor.rs `Dtype`), with their sizes, how
 * their bits decode, and what magnitude trained weights of that type plausibly reach. Every entry says why.
 */

/** How an 8-bit float spends its bits; `special` says which bit patterns are NaN or infinity. */
export interface Minifloat {
  exponent: number;
  mantissa: number;
  bias: number;
  /**
   * ieee: all-ones exponent is Inf (mantissa 0) or NaN; fn: only all-ones exponent and mantissa is NaN, no Inf;
   * fnuz: only 0x80 (negative zero) is NaN, no Inf; e8m0: unsigned power of two, 0xFF is NaN.
   */
  special: 'ieee' | 'fn' | 'fnuz' | 'e8m0';
}

export interface DtypeInfo {
  /** Bits per element; sub-byte types pack several elements per byte. */
  bits: number;
  kind: 'bool' | 'int' | 'uint' | 'float' | 'complex';
  /** How the values decode, when Assay can: IEEE floats by width, 8-bit floats by table. */
  decode?: 'f16' | 'bf16' | 'f32' | 'f64' | 'c64' | Minifloat;
  /**
   * Largest |value| that trained weights of this type plausibly hold. A heuristic, not a format rule:
   * absent where the format is scaled to fill its own range (FP8) or where "magnitude" means nothing (ints).
   */
  saneMaxAbs?: number;
  reason: string;
}

/** Typical trained weights sit well below 1; 1e4 leaves three orders of magnitude of room before it is suspicious. */
const FLOAT_WEIGHT_BOUND = 1e4;

export const SAFETENSORS_DTYPES: Readonly<Record<string, DtypeInfo>> = {
  BOOL: { bits: 8, kind: 'bool', reason: 'one byte per value (masks); no NaN or magnitude to judge' },
  F4: { bits: 4, kind: 'float', reason: 'FP4 E2M1 (MX / NVFP4), two per byte, |x| ≤ 6 by construction; not decoded' },
  F6_E2M3: { bits: 6, kind: 'float', reason: 'MX FP6, four values per three bytes, no NaN or Inf; not decoded' },
  F6_E3M2: { bits: 6, kind: 'float', reason: 'MX FP6, four values per three bytes, no NaN or Inf; not decoded' },
  U8: { bits: 8, kind: 'uint', reason: 'bytes: packed quantised weights or token data; no NaN concept' },
  I8: { bits: 8, kind: 'int', reason: 'int8 quantised weights; magnitude bounded by the type itself' },
  F8_E5M2: {
    bits: 8,
    kind: 'float',
    decode: { exponent: 5, mantissa: 2, bias: 15, special: 'ieee' },
    reason: 'OCP FP8 E5M2 (torch.float8_e5m2); scaled to fill its range (max 57344), so no magnitude bound',
  },
  F8_E4M3: {
    bits: 8,
    kind: 'float',
    decode: { exponent: 4, mantissa: 3, bias: 7, special: 'fn' },
    reason: 'OCP FP8 E4M3FN (torch.float8_e4m3fn), no Inf; scaled to fill its range (max 448)',
  },
  F8_E8M0: {
    bits: 8,
    kind: 'float',
    decode: { exponent: 8, mantissa: 0, bias: 127, special: 'e8m0' },
    reason: 'MX block scales: unsigned powers of two from 2^-127 to 2^127; any of them is legitimate',
  },
  F8_E4M3FNUZ: {
    bits: 8,
    kind: 'float',
    decode: { exponent: 4, mantissa: 3, bias: 8, special: 'fnuz' },
    reason: 'AMD FP8 E4M3FNUZ: 0x80 is the only NaN, no Inf; scaled to fill its range (max 240)',
  },
  F8_E5M2FNUZ: {
    bits: 8,
    kind: 'float',
    decode: { exponent: 5, mantissa: 2, bias: 16, special: 'fnuz' },
    reason: 'AMD FP8 E5M2FNUZ: 0x80 is the only NaN, no Inf; scaled to fill its range (max 57344)',
  },
  I16: { bits: 16, kind: 'int', reason: 'integer buffers; no NaN concept' },
  U16: { bits: 16, kind: 'uint', reason: 'integer buffers; no NaN concept' },
  F16: {
    bits: 16,
    kind: 'float',
    decode: 'f16',
    saneMaxAbs: FLOAT_WEIGHT_BOUND,
    reason: 'IEEE half; max 65504, so weights near the bound overflow to Inf in the first matmul',
  },
  BF16: {
    bits: 16,
    kind: 'float',
    decode: 'bf16',
    saneMaxAbs: FLOAT_WEIGHT_BOUND,
    reason: 'bfloat16 (the upper half of an f32); the usual training dtype of LLMs',
  },
  I32: { bits: 32, kind: 'int', reason: 'packed quantised weights (GPTQ / AWQ qweight) or indices; no NaN concept' },
  U32: { bits: 32, kind: 'uint', reason: 'packed quantised weights or indices; no NaN concept' },
  F32: {
    bits: 32,
    kind: 'float',
    decode: 'f32',
    saneMaxAbs: FLOAT_WEIGHT_BOUND,
    reason: 'IEEE single; weights and norms',
  },
  C64: {
    bits: 64,
    kind: 'complex',
    decode: 'c64',
    saneMaxAbs: FLOAT_WEIGHT_BOUND,
    reason: 'two f32 (real, imaginary): rotary tables, spectral layers; each part judged like an f32',
  },
  F64: {
    bits: 64,
    kind: 'float',
    decode: 'f64',
    saneMaxAbs: FLOAT_WEIGHT_BOUND,
    reason: 'IEEE double; rare in weights, common in statistics buffers',
  },
  I64: { bits: 64, kind: 'int', reason: 'position ids, step counters; no NaN concept' },
  U64: { bits: 64, kind: 'uint', reason: 'counters; no NaN concept' },
};

export function dtypeInfo(name: string): DtypeInfo | undefined {
  return Object.hasOwn(SAFETENSORS_DTYPES, name) ? SAFETENSORS_DTYPES[name] : undefined;
}
