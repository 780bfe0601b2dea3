/**
 * Further two-sample statistics from scipy and the drift tools (drift-reference.json cases): Mann–Whitney U, Welch's
 * t-test, energy distance, Fisher's exact test, Deepchecks' min–max-scaled EMD and PSI floor, and for embeddings the
 * unbiased MMD² with a Gaussian kernel and the centroid distance (Evidently).
 */
import { logGamma, normalTwoSided, studentTwoSided } from './special.js';
import { lowerBound, sortedCopy, upperBound, wasserstein } from './statistics.js';

export interface PValueResult {
  statistic: number;
  pValue: number;
}

/** Mann–Whitney U, two-sided, normal approximation with tie and continuity correction (scipy `method='asymptotic'`). */
export function mannWhitneyU(x: ArrayLike<number>, y: ArrayLike<number>): PValueResult {
  const n1 = x.length;
  const n2 = y.length;
  const all = sortedCopy([...Array.from(x), ...Array.from(y)]);
  const n = all.length;
  const midrank = (v: number) => (lowerBound(all, v) + 1 + upperBound(all, v)) / 2;
  let r1 = 0;
  for (let i = 0; i < n1; i++) r1 += midrank(x[i]);
  const u1 = r1 - (n1 * (n1 + 1)) / 2;
  let tieTerm = 0;
  for (let i = 0; i < n; ) {
    const t = upperBound(all, all[i]) - i;
    tieTerm += t ** 3 - t;
    i += t;
  }
  const mu = (n1 * n2) / 2;
  const s = Math.sqrt(((n1 * n2) / 12) * (n + 1 - tieTerm / (n * (n - 1))));
  const u = Math.max(u1, n1 * n2 - u1);
  const z = (u - mu - 0.5) / s;
  return { statistic: u1, pValue: Math.min(1, normalTwoSided(z)) };
}

function meanVariance(values: ArrayLike<number>): [number, number] {
  let mean = 0;
  for (let i = 0; i < values.length; i++) mean += values[i];
  mean /= values.length;
  let sq = 0;
  for (let i = 0; i < values.length; i++) sq += (values[i] - mean) ** 2;
  return [mean, sq / (values.length - 1)];
}

/** Welch's t-test (scipy `ttest_ind(equal_var=False)`), two-sided. */
export function welchTTest(a: ArrayLike<number>, b: ArrayLike<number>): PValueResult {
  const [m1, v1] = meanVariance(a);
  const [m2, v2] = meanVariance(b);
  const s1 = v1 / a.length;
  const s2 = v2 / b.length;
  const t = (m1 - m2) / Math.sqrt(s1 + s2);
  const dof = (s1 + s2) ** 2 / (s1 ** 2 / (a.length - 1) + s2 ** 2 / (b.length - 1));
  return { statistic: t, pValue: studentTwoSided(t, dof) };
}

/** Energy distance (scipy `energy_distance`): √2 · √∫(U−V)² over the merged support. */
export function energyDistance(u: ArrayLike<number>, v: ArrayLike<number>): number {
  const a = sortedCopy(u);
  const b = sortedCopy(v);
  const all = sortedCopy([...a, ...b]);
  let sum = 0;
  for (let k = 0; k < all.length - 1; k++) {
    const diff = upperBound(a, all[k]) / a.length - upperBound(b, all[k]) / b.length;
    sum += diff * diff * (all[k + 1] - all[k]);
  }
  return Math.SQRT2 * Math.sqrt(sum);
}

/** Fisher's exact test on a 2×2 table, two-sided (scipy `fisher_exact`): odds ratio and Σ P(tables as likely or less). */
export function fisherExact(table: readonly [readonly [number, number], readonly [number, number]]): PValueResult {
  const [[a, b], [c, d]] = table;
  const oddsRatio = b * c === 0 ? (a * d === 0 ? Number.NaN : Infinity) : (a * d) / (b * c);
  const row1 = a + b;
  const col1 = a + c;
  const n = a + b + c + d;
  const logChoose = (m: number, k: number) => logGamma(m + 1) - logGamma(k + 1) - logGamma(m - k + 1);
  const logPmf = (k: number) => logChoose(col1, k) + logChoose(n - col1, row1 - k) - logChoose(n, row1);
  const observed = logPmf(a);
  let p = 0;
  for (let k = Math.max(0, row1 + col1 - n); k <= Math.min(row1, col1); k++) {
    const lp = logPmf(k);
    if (lp <= observed + Math.log1p(1e-7)) p += Math.exp(lp);
  }
  return { statistic: oddsRatio, pValue: Math.min(1, p) };
}

/** Deepchecks' EMD: Wasserstein-1 after scaling both samples to [0, 1] over the pooled min–max. */
export function minMaxScaledWasserstein(reference: ArrayLike<number>, current: ArrayLike<number>): number {
  const all = [...Array.from(reference), ...Array.from(current)];
  const min = Math.min(...all);
  const range = Math.max(...all) - min;
  const scale = (values: ArrayLike<number>) => Array.from(values, (v) => (v - min) / range);
  return wasserstein(scale(reference), scale(current));
}

/** One Deepchecks PSI term with both shares floored at 0.01 (`PSI_MIN_PERCENTAGE`). */
export function flooredPsiTerm(expected: number, actual: number): number {
  const e = Math.max(expected, 0.01);
  const a = Math.max(actual, 0.01);
  return (e - a) * Math.log(e / a);
}

const squaredDistance = (u: readonly number[], v: readonly number[]) => u.reduce((s, x, i) => s + (x - v[i]) ** 2, 0);

/** Unbiased MMD² with k(u, v) = exp(−‖u−v‖²/(2σ²)); can be negative. */
export function mmd2Unbiased(x: readonly number[][], y: readonly number[][], sigma: number): number {
  const k = (u: number[], v: number[]) => Math.exp(-squaredDistance(u, v) / (2 * sigma * sigma));
  const within = (s: readonly number[][]) => {
    let sum = 0;
    for (let i = 0; i < s.length; i++) for (let j = 0; j < s.length; j++) if (i !== j) sum += k(s[i], s[j]);
    return sum / (s.length * (s.length - 1));
  };
  let cross = 0;
  for (const u of x) for (const v of y) cross += k(u, v);
  return within(x) + within(y) - (2 * cross) / (x.length * y.length);
}

/** Euclidean distance between the two samples' mean vectors (Evidently's embedding `distance` method). */
export function centroidDistance(x: readonly number[][], y: readonly number[][]): number {
  const mean = (s: readonly number[][]) => s[0].map((_, d) => s.reduce((sum, row) => sum + row[d], 0) / s.length);
  return Math.sqrt(squaredDistance(mean(x), mean(y)));
}

/** Modified Bessel K_ν(z) by the trapezoidal rule on ∫₀^∞ e^(−z·cosh t)·cosh(νt) dt (spectrally accurate here). */
function besselK(nu: number, z: number): number {
  const step = 0.02;
  let sum = 0.5 * Math.exp(-z);
  for (let t = step; ; t += step) {
    const term = Math.exp(-z * Math.cosh(t)) * Math.cosh(nu * t);
    sum += term;
    if (term < 1e-18 * sum) break;
  }
  return sum * step;
}

/** The limiting Cramér–von Mises CDF as scipy sums it (terms until one is below 1e-7). */
function cramerVonMisesLimitCdf(x: number): number {
  let total = 0;
  for (let k = 0; ; k++) {
    const u = Math.exp(logGamma(k + 0.5) - logGamma(k + 1)) / (Math.PI ** 1.5 * Math.sqrt(x));
    const y = 4 * k + 1;
    const q = (y * y) / (16 * x);
    const term = u * Math.sqrt(y) * Math.exp(-q) * besselK(0.25, q);
    total += term;
    if (Math.abs(term) < 1e-7) return total;
  }
}

/** Two-sample Cramér–von Mises (scipy `cramervonmises_2samp`, asymptotic p as for samples above 20). */
export function cramerVonMises2Samp(x: ArrayLike<number>, y: ArrayLike<number>): PValueResult {
  const nx = x.length;
  const ny = y.length;
  const all = sortedCopy([...Array.from(x), ...Array.from(y)]);
  const midrank = (v: number) => (lowerBound(all, v) + 1 + upperBound(all, v)) / 2;
  const squares = (sample: ArrayLike<number>) => {
    const ranks = Array.from(sample, midrank).sort((a, b) => a - b);
    return ranks.reduce((s, r, i) => s + (r - (i + 1)) ** 2, 0);
  };
  const u = nx * squares(x) + ny * squares(y);
  const k = nx * ny;
  const N = nx + ny;
  const t = u / (k * N) - (4 * k - 1) / (6 * N);
  const et = (1 + 1 / N) / 6;
  const vt = ((N + 1) * (4 * k * N - 3 * (nx ** 2 + ny ** 2) - 2 * k)) / (45 * N ** 2 * 4 * k);
  const tn = 1 / 6 + (t - et) / Math.sqrt(45 * vt);
  const pValue = tn < 0.003 ? 1 : Math.max(0, 1 - cramerVonMisesLimitCdf(tn));
  return { statistic: t, pValue };
}
