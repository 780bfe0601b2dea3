/** Weight sanity (`--deep`): per-tensor statistics judged; a broken tensor loads fine and answers wrong. */
import { dtypeInfo } from '../../knowledge/dtypes.js';
import { type ArtifactRule, at, factRule, where } from '../artifact-rule.js';

const tensorName = (name: string) => JSON.stringify(name);

export const weightsNonFinite: ArtifactRule = factRule(
  {
    id: 'performance/weights-non-finite',
    pillar: 'performance',
    severity: 'high',
    title: 'Tensor holds NaN or infinite values',
    description:
      'One NaN in a weight spreads through every activation it touches: the model loads without error and ' +
      'produces garbage (or NaN logits). Causes: a diverged training run, a bad conversion or quantisation, ' +
      'bit rot or tampering.',
    remediation:
      'Do not deploy this checkpoint; fetch a known-good revision and compare digests, or re-export the weights ' +
      'from the training run.',
    references: [],
  },
  'tensor-stats',
  (fact, artifact) => {
    const infinite = fact.posInf + fact.negInf;
    if (fact.nan === 0 && infinite === 0) return undefined;
    const parts = [
      ...(fact.nan > 0 ? [`${fact.nan} NaN`] : []),
      ...(fact.posInf > 0 ? [`${fact.posInf} +Inf`] : []),
      ...(fact.negInf > 0 ? [`${fact.negInf} -Inf`] : []),
    ];
    return {
      message: `Tensor ${tensorName(fact.tensor)} (${fact.dtype} [${fact.shape.join(', ')}]) holds ${parts.join(', ')} among ${fact.values} values${where(artifact)}`,
      ...at(artifact, fact.offset),
      evidence: { tensor: fact.tensor, dtype: fact.dtype, nan: fact.nan, posInf: fact.posInf, negInf: fact.negInf },
    };
  },
);

export const weightsConstant: ArtifactRule = factRule(
  {
    id: 'performance/weights-constant',
    pillar: 'performance',
    severity: 'medium',
    title: 'Tensor is all zeros or a single repeated value',
    description:
      'A trained weight matrix is never constant: all zeros usually means a layer was never saved, was ' +
      'zeroed by a faulty merge or conversion, or is an untrained adapter. Vectors (biases, norm scales) start ' +
      'at 0 or 1 and may stay there in small or frozen models, so for them this is only low.',
    remediation: 'Check the tensor against a known-good copy of the model; re-export it if it was lost.',
    references: [],
  },
  'tensor-stats',
  (fact, artifact) => {
    const finite = fact.values - fact.nan - fact.posInf - fact.negInf;
    if (fact.values < 2 || finite !== fact.values || fact.min !== fact.max || fact.min === undefined) return undefined;
    const what = fact.zeros === fact.values ? 'all zeros' : `the value ${fact.min} repeated`;
    return {
      message: `Tensor ${tensorName(fact.tensor)} (${fact.dtype} [${fact.shape.join(', ')}]) is ${what} (${fact.values} values)${where(artifact)}`,
      ...at(artifact, fact.offset),
      severity: fact.shape.filter((dimension) => dimension > 1).length >= 2 ? 'medium' : 'low',
      evidence: { tensor: fact.tensor, dtype: fact.dtype, value: fact.min, values: fact.values },
    };
  },
);

export const weightsOutOfRange: ArtifactRule = factRule(
  {
    id: 'performance/weights-out-of-range',
    pillar: 'performance',
    severity: 'medium',
    title: 'Tensor values far beyond what trained weights hold',
    description:
      'A heuristic: trained weights of floating-point dtypes rarely exceed |1e4| (the bound per dtype, with its ' +
      'reason, is in src/knowledge/dtypes.ts). Larger values suggest corruption (flipped exponent bits), a wrong ' +
      'dtype or scale in conversion, or a deliberately poisoned tensor. Some buffers (masks filled with a large ' +
      'negative number) are legitimate: check the tensor name.',
    remediation: 'Compare the tensor with the original checkpoint; if the values are intended, override the severity.',
    references: [],
  },
  'tensor-stats',
  (fact, artifact) => {
    const bound = dtypeInfo(fact.dtype)?.saneMaxAbs;
    if (bound === undefined || fact.min === undefined || fact.max === undefined) return undefined;
    const largest = Math.max(Math.abs(fact.min), Math.abs(fact.max));
    if (largest <= bound) return undefined;
    return {
      message: `Tensor ${tensorName(fact.tensor)} (${fact.dtype}) reaches |${largest}|, beyond the sane bound ${bound} for ${fact.dtype} weights (range ${fact.min} … ${fact.max})${where(artifact)}`,
      ...at(artifact, fact.offset),
      evidence: { tensor: fact.tensor, dtype: fact.dtype, min: fact.min, max: fact.max, bound },
    };
  },
);

export const weightsNotDecoded: ArtifactRule = factRule(
  {
    id: 'performance/weights-not-decoded',
    pillar: 'performance',
    severity: 'info',
    title: 'Some tensor values were not checked',
    description:
      '--deep decodes F32, F16, BF16, F64, C64 and the 8-bit float formats. Packed FP4 / FP6 tensors, quantised ' +
      'GGUF tensors (Q4_0, Q8_0, K-quants, ...), and every tensor of a file whose byte ranges are invalid, are not ' +
      'decoded: their values were not judged.',
    remediation: 'Nothing to do for the file itself; judge these tensors with the tool that produced them.',
    references: [],
  },
  'tensor-not-decoded',
  (fact, artifact) => ({
    message: `${fact.tensors} tensor(s)${fact.dtype ? ` of dtype ${fact.dtype}` : ''} were not decoded: ${fact.detail}${where(artifact)}`,
    ...at(artifact),
    evidence: { tensors: fact.tensors, ...(fact.dtype ? { dtype: fact.dtype } : {}) },
  }),
);

export const WEIGHT_RULES: readonly ArtifactRule[] = [
  weightsNonFinite,
  weightsConstant,
  weightsOutOfRange,
  weightsNotDecoded,
];
