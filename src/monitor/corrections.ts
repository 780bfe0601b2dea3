/** Multiple-testing corrections for per-column p-values (as alibi-detect applies them across features). */
export type Correction = 'none' | 'bonferroni' | 'bh';
export const CORRECTIONS: readonly Correction[] = ['none', 'bonferroni', 'bh'];

export interface CorrectionResult {
  /** p-values below (Bonferroni) or at/below (BH) this are rejected. */
  threshold: number;
  rejected: boolean[];
}

/**
 * Bonferroni rejects p < α/m. Benjamini–Hochberg finds the largest i with p₍ᵢ₎ < α·i/m and rejects every p ≤ that
 * p-value's threshold α·i/m (none when no i qualifies; threshold 0 then).
 */
export function correctPValues(pValues: readonly number[], alpha: number, correction: Correction): CorrectionResult {
  const m = pValues.length;
  if (correction === 'none') return { threshold: alpha, rejected: pValues.map((p) => p < alpha) };
  if (correction === 'bonferroni') {
    const threshold = alpha / m;
    return { threshold, rejected: pValues.map((p) => p < threshold) };
  }
  const sorted = [...pValues].sort((a, b) => a - b);
  let threshold = 0;
  sorted.forEach((p, i) => {
    if (p < (alpha * (i + 1)) / m) threshold = (alpha * (i + 1)) / m;
  });
  return { threshold, rejected: pValues.map((p) => threshold > 0 && p <= threshold) };
}
