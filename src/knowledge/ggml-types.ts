/**
 * ggml tensor types (ggml.h `enum ggml_type`): how many elements one block holds and how many bytes it takes.
 * A GGUF tensor of n elements (n a multiple of the block size) takes n / blockSize × typeSize bytes.
 */

export interface GgmlType {
  id: number;
  name: string;
  /** Elements per block. */
  blockSize: number;
  /** Bytes per block. */
  typeSize: number;
  reason: string;
}

export const GGML_TYPES: readonly GgmlType[] = [
  { id: 0, name: 'F32', blockSize: 1, typeSize: 4, reason: 'IEEE 754 single precision' },
  { id: 1, name: 'F16', blockSize: 1, typeSize: 2, reason: 'IEEE 754 half precision' },
  { id: 2, name: 'Q4_0', blockSize: 32, typeSize: 18, reason: 'f16 scale + 32 × 4-bit' },
  { id: 3, name: 'Q4_1', blockSize: 32, typeSize: 20, reason: 'f16 scale and min + 32 × 4-bit' },
  { id: 6, name: 'Q5_0', blockSize: 32, typeSize: 22, reason: 'f16 scale + 32 high bits + 32 × 4-bit' },
  { id: 7, name: 'Q5_1', blockSize: 32, typeSize: 24, reason: 'f16 scale and min + 32 high bits + 32 × 4-bit' },
  { id: 8, name: 'Q8_0', blockSize: 32, typeSize: 34, reason: 'f16 scale + 32 × int8' },
  { id: 9, name: 'Q8_1', blockSize: 32, typeSize: 36, reason: 'f16 scale and sum + 32 × int8' },
  {
    id: 10,
    name: 'Q2_K',
    blockSize: 256,
    typeSize: 84,
    reason: 'k-quant super-block: 16 scales + 256 × 2-bit + d, dmin',
  },
  { id: 11, name: 'Q3_K', blockSize: 256, typeSize: 110, reason: 'k-quant: 32 hmask + 64 qs + 12 scales + d' },
  { id: 12, name: 'Q4_K', blockSize: 256, typeSize: 144, reason: 'k-quant: d, dmin + 12 scales + 128 qs' },
  { id: 13, name: 'Q5_K', blockSize: 256, typeSize: 176, reason: 'k-quant: d, dmin + 12 scales + 32 qh + 128 qs' },
  { id: 14, name: 'Q6_K', blockSize: 256, typeSize: 210, reason: 'k-quant: 128 ql + 64 qh + 16 scales + d' },
  { id: 15, name: 'Q8_K', blockSize: 256, typeSize: 292, reason: 'k-quant: f32 d + 256 qs + 16 int16 sums' },
  { id: 16, name: 'IQ2_XXS', blockSize: 256, typeSize: 66, reason: 'i-quant: d + 32 × u16' },
  { id: 17, name: 'IQ2_XS', blockSize: 256, typeSize: 74, reason: 'i-quant: d + 32 × u16 + 8 scales' },
  { id: 18, name: 'IQ3_XXS', blockSize: 256, typeSize: 98, reason: 'i-quant: d + 96 qs' },
  { id: 19, name: 'IQ1_S', blockSize: 256, typeSize: 50, reason: 'i-quant: d + 32 qs + 8 × u16 qh' },
  { id: 20, name: 'IQ4_NL', blockSize: 32, typeSize: 18, reason: 'non-linear 4-bit: d + 16 qs' },
  { id: 21, name: 'IQ3_S', blockSize: 256, typeSize: 110, reason: 'i-quant: d + 64 qs + 8 qh + 32 signs + 4 scales' },
  { id: 22, name: 'IQ2_S', blockSize: 256, typeSize: 82, reason: 'i-quant: d + 64 qs + 8 qh + 8 scales' },
  { id: 23, name: 'IQ4_XS', blockSize: 256, typeSize: 136, reason: 'i-quant: d + u16 scales_h + 4 scales_l + 128 qs' },
  { id: 24, name: 'I8', blockSize: 1, typeSize: 1, reason: 'signed 8-bit integer' },
  { id: 25, name: 'I16', blockSize: 1, typeSize: 2, reason: 'signed 16-bit integer' },
  { id: 26, name: 'I32', blockSize: 1, typeSize: 4, reason: 'signed 32-bit integer' },
  { id: 27, name: 'I64', blockSize: 1, typeSize: 8, reason: 'signed 64-bit integer' },
  { id: 28, name: 'F64', blockSize: 1, typeSize: 8, reason: 'IEEE 754 double precision' },
  { id: 29, name: 'IQ1_M', blockSize: 256, typeSize: 56, reason: 'i-quant: 32 qs + 16 qh + 8 scales' },
  { id: 30, name: 'BF16', blockSize: 1, typeSize: 2, reason: 'bfloat16' },
  { id: 34, name: 'TQ1_0', blockSize: 256, typeSize: 54, reason: 'ternary: 48 qs + 4 qh + d' },
  { id: 35, name: 'TQ2_0', blockSize: 256, typeSize: 66, reason: 'ternary: 64 qs + d' },
  { id: 39, name: 'MXFP4', blockSize: 32, typeSize: 17, reason: 'microscaling FP4: e8m0 scale + 16 qs' },
];

/** Ids that existed once and were removed; ggml refuses them in GGUF files. */
export const REMOVED_GGML_TYPES: ReadonlyMap<number, string> = new Map([
  [4, 'Q4_2 (removed in 2023)'],
  [5, 'Q4_3 (removed in 2023)'],
  [31, 'Q4_0_4_4 (removed: repacked at load time instead)'],
  [32, 'Q4_0_4_8 (removed: repacked at load time instead)'],
  [33, 'Q4_0_8_8 (removed: repacked at load time instead)'],
  [36, 'IQ4_NL_4_4 (removed: repacked at load time instead)'],
  [37, 'IQ4_NL_4_8 (removed: repacked at load time instead)'],
  [38, 'IQ4_NL_8_8 (removed: repacked at load time instead)'],
]);

const BY_ID = new Map(GGML_TYPES.map((type) => [type.id, type]));

export function ggmlType(id: number): GgmlType | undefined {
  return BY_ID.get(id);
}

/** `general.file_type` (llama.cpp `enum llama_ftype`): the quantisation a file was produced with. */
export const GGUF_FILE_TYPES: ReadonlyMap<number, string> = new Map([
  [0, 'ALL_F32'],
  [1, 'MOSTLY_F16'],
  [2, 'MOSTLY_Q4_0'],
  [3, 'MOSTLY_Q4_1'],
  [4, 'MOSTLY_Q4_1_SOME_F16'],
  [7, 'MOSTLY_Q8_0'],
  [8, 'MOSTLY_Q5_0'],
  [9, 'MOSTLY_Q5_1'],
  [10, 'MOSTLY_Q2_K'],
  [11, 'MOSTLY_Q3_K_S'],
  [12, 'MOSTLY_Q3_K_M'],
  [13, 'MOSTLY_Q3_K_L'],
  [14, 'MOSTLY_Q4_K_S'],
  [15, 'MOSTLY_Q4_K_M'],
  [16, 'MOSTLY_Q5_K_S'],
  [17, 'MOSTLY_Q5_K_M'],
  [18, 'MOSTLY_Q6_K'],
  [19, 'MOSTLY_IQ2_XXS'],
  [20, 'MOSTLY_IQ2_XS'],
  [21, 'MOSTLY_Q2_K_S'],
  [22, 'MOSTLY_IQ3_XS'],
  [23, 'MOSTLY_IQ3_XXS'],
  [24, 'MOSTLY_IQ1_S'],
  [25, 'MOSTLY_IQ4_NL'],
  [26, 'MOSTLY_IQ3_S'],
  [27, 'MOSTLY_IQ3_M'],
  [28, 'MOSTLY_IQ2_S'],
  [29, 'MOSTLY_IQ2_M'],
  [30, 'MOSTLY_IQ4_XS'],
  [31, 'MOSTLY_IQ1_M'],
  [32, 'MOSTLY_BF16'],
  [36, 'MOSTLY_TQ1_0'],
  [37, 'MOSTLY_TQ2_0'],
  [38, 'MOSTLY_MXFP4_MOE'],
]);
