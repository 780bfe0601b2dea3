/**
 * Two-sample drift statistics, each reproducing the scipy / Evidently computation it is named after (scipy 1.17,
 * Evidently 0.7). Inputs are plain arrays of finite numbers (NaN and ±inf already dropped, as Evidently does).
 */
import { kolmogorovSmirnovSf } from './kolmogorov.js';
import { chiSquareSf, normalTwoSided } from './special.js';

export type KsMethod = 'auto' | 'exact' | 'asymp';

/** Largest sample size for which `method: 'auto'` uses the exact distribution (scipy's MAX_AUTO_N). */
export const KS_EXACT_MAX_N = 10_000;

export interface KsResult {
  statistic: number;
  pValue: number;
  /** The method actually used (`auto` resolves to exact or asymp; exact falls back to asymp when it cannot). */
  method: 'exact' | 'asymp';
}

export function sortedCopy(values: ArrayLike<number>): Float64Array {
  return Float64Array.from(values).sort();
}

/** Index of the first element > value (`side='right'`) in a sorted array. */
export function upperBound(sorted: ArrayLike<number>, value: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid] <= value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Index of the first element ≥ value (`side='left'`). */
export function lowerBound(sorted: ArrayLike<number>, value: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid] < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

/** P(D ≥ h/n) for two samples of equal size n: Horner form of the alternating binomial sum. */
function probabilityOutsideSquare(n: number, h: number): number {
  let P = 0;
  for (let k = Math.floor(n / h); k >= 0; k--) {
    let p1 = 1;
    for (let j = 0; j < h; j++) p1 = ((n - k * h - j) * p1) / (n + k * h + j + 1);
    P = p1 * (1 - P);
  }
  return 2 * P;
}

/**
 * Share of lattice paths from (0,0) to (m,n) that leave the band |x/m − y/n| < h/lcm(m,n): Hodges' inside method
 * with Viehmann's recursion for 1 − p (no cancellation).
 */
function probabilityOutsideBand(m0: number, n0: number, g: number, h: number): number {
  const [m, n] = m0 >= n0 ? [m0, n0] : [n0, m0];
  const mg = m / g;
  const ng = n / g;
  let minj = 0;
  let maxj = Math.min(Math.ceil(h / mg), n + 1);
  let curlen = maxj - minj;
  const lenA = Math.min(2 * maxj + 2, n + 1);
  const A = new Float64Array(lenA).fill(1);
  A.fill(0, minj, maxj);
  for (let i = 1; i <= m; i++) {
    const lastminj = minj;
    const lastlen = curlen;
    minj = Math.min(Math.max(Math.floor((ng * i - h) / mg) + 1, 0), n);
    maxj = Math.min(Math.ceil((ng * i + h) / mg), n + 1);
    if (maxj <= minj) return 1;
    let val = minj === 0 ? 0 : 1;
    for (let jj = 0; jj < maxj - minj; jj++) {
      const j = jj + minj;
      val = (A[jj + minj - lastminj] * i + val * j) / (i + j);
      A[jj] = val;
    }
    curlen = maxj - minj;
    if (lastlen > curlen) A.fill(1, maxj - minj, maxj - minj + (lastlen - curlen));
  }
  return A[maxj - minj - 1];
}

/** Two-sample Kolmogorov–Smirnov test, two-sided (scipy `ks_2samp`). */
export function ks2Samp(reference: ArrayLike<number>, current: ArrayLike<number>, method: KsMethod = 'auto'): KsResult {
  const a = sortedCopy(reference);
  const b = sortedCopy(current);
  const n1 = a.length;
  const n2 = b.length;
  if (n1 === 0 || n2 === 0) throw new RangeError('KS needs at least one value in each sample');
  // D = max |F1 − F2| over the pooled points, ECDFs taken with side='right' (ties handled).
  let d = 0;
  for (const sample of [a, b]) {
    for (const x of sample) {
      const diff = Math.abs(upperBound(a, x) / n1 - upperBound(b, x) / n2);
      if (diff > d) d = diff;
    }
  }
  return ksPValue(d, n1, n2, method);
}

/**
 * The two-sided p-value of a two-sample KS statistic d for sample sizes n1, n2 (scipy `ks_2samp` after D): exact
 * lattice counting (d rounded to the lattice h/lcm) or `kstwo.sf(d, round(n1·n2/(n1+n2)))`.
 */
export function ksPValue(d: number, n1: number, n2: number, method: KsMethod = 'auto'): KsResult {
  let mode: 'exact' | 'asymp' = method === 'auto' ? (Math.max(n1, n2) <= KS_EXACT_MAX_N ? 'exact' : 'asymp') : method;
  const g = gcd(n1, n2);
  if (mode === 'exact' && n1 / g >= 2147483647 / (n2 / g)) mode = 'asymp';
  if (mode === 'exact') {
    const lcm = (n1 / g) * n2;
    const h = Math.round(d * lcm);
    const dExact = h / lcm;
    if (h === 0) return { statistic: dExact, pValue: 1, method: 'exact' };
    const p = n1 === n2 ? probabilityOutsideSquare(n1, h) : probabilityOutsideBand(n1, n2, g, h);
    if (Number.isFinite(p) && p >= 0 && p <= 1) return { statistic: dExact, pValue: p, method: 'exact' };
    mode = 'asymp';
  }
  const [m, n] = n1 >= n2 ? [n1, n2] : [n2, n1];
  const en = (m * n) / (m + n);
  return { statistic: d, pValue: Math.min(1, Math.max(0, kolmogorovSmirnovSf(Math.round(en), d))), method: 'asymp' };
}

export interface ChiSquareResult {
  statistic: number;
  pValue: number;
  dof: number;
}

/** Pearson goodness of fit (scipy `chisquare`): Σ(o−e)²/e, dof k−1. An expected 0 with observed > 0 gives ∞, p 0. */
export function chiSquareGoodnessOfFit(observed: readonly number[], expected: readonly number[]): ChiSquareResult {
  if (observed.length !== expected.length) throw new RangeError('observed and expected differ in length');
  const sumO = observed.reduce((a, b) => a + b, 0);
  const sumE = expected.reduce((a, b) => a + b, 0);
  if (Math.abs(sumO - sumE) > 1e-8 * Math.max(sumO, sumE)) {
    throw new RangeError(`observed total ${sumO} and expected total ${sumE} differ; scale the expected counts`);
  }
  let statistic = 0;
  observed.forEach((o, i) => {
    statistic += (o - expected[i]) ** 2 / expected[i];
  });
  const dof = observed.length - 1;
  return { statistic, pValue: chiSquareSf(statistic, dof), dof };
}

export interface ContingencyResult extends ChiSquareResult {
  expected: number[][];
  /** Yates' continuity correction was applied (only when dof = 1 and requested). */
  yates: boolean;
  /** Smallest expected count, and whether Cochran's rule (all ≥ 1, ≥ 80% of cells ≥ 5) fails. */
  minExpected: number;
  lowExpected: boolean;
}

/**
 * Chi-square test of independence (scipy `chi2_contingency`). Categories empty in every row are dropped first
 * (scipy raises on them). Yates' correction only when dof = 1, as scipy's `correction=True` does.
 */
export function chiSquareContingency(table: readonly (readonly number[])[], correction = true): ContingencyResult {
  const keep = table[0].map((_, j) => table.some((row) => row[j] !== 0));
  const observed = table.map((row) => row.filter((_, j) => keep[j]));
  const rowSums = observed.map((row) => row.reduce((a, b) => a + b, 0));
  const colSums = observed[0].map((_, j) => observed.reduce((s, row) => s + row[j], 0));
  const total = rowSums.reduce((a, b) => a + b, 0);
  const expected = observed.map((_, i) => colSums.map((c) => (rowSums[i] * c) / total));
  const dof = (observed.length - 1) * (observed[0].length - 1);
  const flat = expected.flat();
  const minExpected = Math.min(...flat);
  const lowExpected = minExpected < 1 || flat.filter((e) => e < 5).length > 0.2 * flat.length;
  if (dof === 0) return { statistic: 0, pValue: 1, dof, expected, yates: false, minExpected, lowExpected };
  const yates = correction && dof === 1;
  let statistic = 0;
  for (const [i, row] of observed.entries()) {
    for (const [j, o] of row.entries()) {
      const e = expected[i][j];
      let diff = o - e;
      if (yates) diff -= Math.sign(diff) * Math.min(0.5, Math.abs(diff));
      statistic += diff ** 2 / e;
    }
  }
  return { statistic, pValue: chiSquareSf(statistic, dof), dof, expected, yates, minExpected, lowExpected };
}

export interface ZTestResult {
  z: number;
  pValue: number;
}

/** Pooled two-proportion z-test (Evidently `z` stattest): z = (p_cur − p_ref)/√(p̂(1−p̂)(1/n_ref + 1/n_cur)). */
export function twoProportionZTest(
  referenceSuccesses: number,
  referenceCount: number,
  currentSuccesses: number,
  currentCount: number,
): ZTestResult {
  const pRef = referenceSuccesses / referenceCount;
  const pCur = currentSuccesses / currentCount;
  const pooled = (referenceSuccesses + currentSuccesses) / (referenceCount + currentCount);
  const se = Math.sqrt(pooled * (1 - pooled) * (1 / referenceCount + 1 / currentCount));
  if (se === 0) return { z: 0, pValue: 1 };
  const z = (pRef - pCur) / se;
  return { z, pValue: normalTwoSided(z) };
}

/** numpy `histogram_bin_edges(data, 'sturges')`: ⌈log₂ n⌉+1-ish equal-width bins over [min, max] (numpy's rounding). */
export function sturgesEdges(min: number, max: number, n: number): number[] {
  let first = min;
  let last = max;
  if (first === last) {
    first -= 0.5;
    last += 0.5;
  }
  const width = (max - min) / (Math.log2(n) + 1);
  const bins = width > 0 ? Math.max(1, Math.ceil((last - first) / width)) : 1;
  return linspace(first, last, bins + 1);
}

/** numpy `linspace(start, stop, num)` with endpoint: i·step + start, the last set to stop. */
export function linspace(start: number, stop: number, num: number): number[] {
  const step = (stop - start) / (num - 1);
  const out = Array.from({ length: num }, (_, i) => i * step + start);
  out[num - 1] = stop;
  return out;
}

/** numpy `histogram(data, edges)` counts: bins [a, b) except the last, [a, b]; values outside are dropped. */
export function histogramCounts(sorted: ArrayLike<number>, edges: readonly number[]): number[] {
  const bounds = edges.map((edge, i) => (i === edges.length - 1 ? upperBound(sorted, edge) : lowerBound(sorted, edge)));
  return bounds.slice(1).map((bound, i) => bound - bounds[i]);
}

/**
 * Evidently's empty-bin rule for PSI and KL: zeros in a sample's percentages become min_nonzero/1e6 when
 * min_nonzero ≤ 1e-4, else 1e-4 (each sample separately).
 */
export function fillEmptyBins(percents: readonly number[]): number[] {
  const nonZero = percents.filter((p) => p !== 0);
  if (nonZero.length === 0) return [...percents];
  const min = Math.min(...nonZero);
  const fill = min <= 1e-4 ? min / 1e6 : 1e-4;
  return percents.map((p) => (p === 0 ? fill : p));
}

/** Population stability index Σ (r−c)·ln(r/c) over already-filled percentages. */
export function psi(reference: readonly number[], current: readonly number[]): number {
  let sum = 0;
  reference.forEach((r, i) => {
    sum += (r - current[i]) * Math.log(r / current[i]);
  });
  return sum;
}

/** x·ln(x/y) with scipy `rel_entr`'s conventions (0 when x = 0; ∞ when y = 0 < x). */
function relativeEntropy(x: number, y: number): number {
  if (x > 0 && y > 0) return x * Math.log(x / y);
  if (x === 0 && y >= 0) return 0;
  return Number.POSITIVE_INFINITY;
}

const normalise = (values: readonly number[]) => {
  const total = values.reduce((a, b) => a + b, 0);
  return values.map((v) => v / total);
};

/** Kullback–Leibler divergence KL(p‖q), natural log, inputs renormalised (scipy `entropy(p, q)`). */
export function klDivergence(p: readonly number[], q: readonly number[]): number {
  const pn = normalise(p);
  const qn = normalise(q);
  return pn.reduce((sum, x, i) => sum + relativeEntropy(x, qn[i]), 0);
}

/** Jensen–Shannon distance (scipy `spatial.distance.jensenshannon`): √(½KL(p‖m)+½KL(q‖m)); base e unless given. */
export function jensenShannon(p: readonly number[], q: readonly number[], base?: number): number {
  const pn = normalise(p);
  const qn = normalise(q);
  const m = pn.map((x, i) => (x + qn[i]) / 2);
  let left = 0;
  let right = 0;
  pn.forEach((x, i) => {
    left += relativeEntropy(x, m[i]);
    right += relativeEntropy(qn[i], m[i]);
  });
  let js = left + right;
  if (base !== undefined) js /= Math.log(base);
  return Math.sqrt(js / 2);
}

/** Hellinger distance √(½Σ(√p−√q)²) between two distributions (0 same, 1 disjoint). */
export function hellinger(p: readonly number[], q: readonly number[]): number {
  const pn = normalise(p);
  const qn = normalise(q);
  let sum = 0;
  pn.forEach((x, i) => {
    sum += (Math.sqrt(x) - Math.sqrt(qn[i])) ** 2;
  });
  return Math.sqrt(sum / 2);
}

/** Wasserstein-1 distance between two samples (scipy `wasserstein_distance`): ∫|U−V| over the merged support. */
export function wasserstein(u: ArrayLike<number>, v: ArrayLike<number>): number {
  const a = sortedCopy(u);
  const b = sortedCopy(v);
  const all = new Float64Array(a.length + b.length);
  all.set(a);
  all.set(b, a.length);
  all.sort();
  let sum = 0;
  let i = 0;
  let j = 0;
  for (let k = 0; k < all.length - 1; k++) {
    const x = all[k];
    while (i < a.length && a[i] <= x) i++;
    while (j < b.length && b[j] <= x) j++;
    sum += Math.abs(i / a.length - j / b.length) * (all[k + 1] - x);
  }
  return sum;
}

/** Population standard deviation (numpy `std`, ddof 0). */
export function populationStd(values: ArrayLike<number>): number {
  let mean = 0;
  for (let i = 0; i < values.length; i++) mean += values[i];
  mean /= values.length;
  let sq = 0;
  for (let i = 0; i < values.length; i++) sq += (values[i] - mean) ** 2;
  return Math.sqrt(sq / values.length);
}

/** Evidently's normed Wasserstein: W1(ref, cur) / max(std(ref), 0.001). */
export function wassersteinNormed(reference: ArrayLike<number>, current: ArrayLike<number>) {
  const raw = wasserstein(reference, current);
  const referenceStd = populationStd(reference);
  return { raw, referenceStd, normed: raw / Math.max(referenceStd, 0.001) };
}

export interface AndersonResult {
  statistic: number;
  /** Interpolated from Scholz & Stephens' table and clipped to [0.001, 0.25], as scipy does. */
  pValue: number;
  /** The p-value sits at a clip bound: the true value is at least (0.25) or at most (0.001) this. */
  clipped: boolean;
  criticalValues: number[];
}

const AD_SIGNIFICANCE = [0.25, 0.1, 0.05, 0.025, 0.01, 0.005, 0.001];
const AD_B0 = [0.675, 1.281, 1.645, 1.96, 2.326, 2.573, 3.085];
const AD_B1 = [-0.245, 0.25, 0.678, 1.149, 1.822, 2.364, 3.615];
const AD_B2 = [-0.105, -0.305, -0.362, -0.391, -0.396, -0.345, -0.154];

/** Least-squares quadratic fit (numpy `polyfit(x, y, 2)`), by Householder QR on the scaled Vandermonde matrix. */
function quadraticFit(x: readonly number[], y: readonly number[]): [number, number, number] {
  const rows = x.length;
  const columns = [x.map((v) => v * v), [...x], x.map(() => 1)];
  const scale = columns.map((column) => Math.sqrt(column.reduce((s, v) => s + v * v, 0)));
  const A = x.map((_, i) => columns.map((column, j) => column[i] / scale[j]));
  const b = [...y];
  for (let k = 0; k < 3; k++) {
    let norm = 0;
    for (let i = k; i < rows; i++) norm += A[i][k] ** 2;
    norm = Math.sqrt(norm);
    const alpha = A[k][k] > 0 ? -norm : norm;
    const v = A.map((row, i) => (i < k ? 0 : row[k]));
    v[k] -= alpha;
    const vNorm2 = v.reduce((s, value) => s + value * value, 0);
    if (vNorm2 === 0) continue;
    for (let j = k; j < 3; j++) {
      const dot = v.reduce((s, value, i) => s + value * A[i][j], 0);
      for (let i = k; i < rows; i++) A[i][j] -= (2 * dot * v[i]) / vNorm2;
    }
    const dotB = v.reduce((s, value, i) => s + value * b[i], 0);
    for (let i = k; i < rows; i++) b[i] -= (2 * dotB * v[i]) / vNorm2;
  }
  const coefficients = [0, 0, 0];
  for (let k = 2; k >= 0; k--) {
    let s = b[k];
    for (let j = k + 1; j < 3; j++) s -= A[k][j] * coefficients[j];
    coefficients[k] = s / A[k][k];
  }
  return [coefficients[0] / scale[0], coefficients[1] / scale[1], coefficients[2] / scale[2]];
}

/** Anderson–Darling k-sample test, midrank variant (scipy `anderson_ksamp(samples, variant='midrank')`). */
export function andersonKSamples(samples: readonly ArrayLike<number>[]): AndersonResult {
  const k = samples.length;
  if (k < 2) throw new RangeError('Anderson-Darling needs at least two samples');
  const sorted = samples.map(sortedCopy);
  const n = sorted.map((s) => s.length);
  if (n.some((size) => size === 0)) throw new RangeError('Anderson-Darling needs values in every sample');
  const N = n.reduce((a, b) => a + b, 0);
  const Z = new Float64Array(N);
  let offset = 0;
  for (const s of sorted) {
    Z.set(s, offset);
    offset += s.length;
  }
  Z.sort();
  const distinct: number[] = [];
  for (let i = 0; i < N; i++) if (i === 0 || Z[i] !== Z[i - 1]) distinct.push(Z[i]);
  if (distinct.length < 2) throw new RangeError('Anderson-Darling needs more than one distinct value');
  const left = distinct.map((z) => lowerBound(Z, z));
  const tieCounts = N === distinct.length ? distinct.map(() => 1) : distinct.map((z, j) => upperBound(Z, z) - left[j]);
  const B = left.map((l, j) => l + tieCounts[j] / 2);
  let A2kN = 0;
  for (let i = 0; i < k; i++) {
    let inner = 0;
    distinct.forEach((z, j) => {
      const right = upperBound(sorted[i], z);
      const f = right - lowerBound(sorted[i], z);
      const M = right - f / 2;
      inner += ((tieCounts[j] / N) * (N * M - B[j] * n[i]) ** 2) / (B[j] * (N - B[j]) - (N * tieCounts[j]) / 4);
    });
    A2kN += inner / n[i];
  }
  A2kN *= (N - 1) / N;

  const H = n.reduce((s, size) => s + 1 / size, 0);
  let hs = 0;
  let g = 0;
  // hs_cs[i] = Σ_{t=N−1}^{N−1−i} 1/t; g = Σ hs_cs[i] / (i + 2)
  for (let i = 0, t = N - 1; t > 1; i++, t--) {
    hs += 1 / t;
    g += hs / (i + 2);
  }
  const h = hs + 1;
  const a = (4 * g - 6) * (k - 1) + (10 - 6 * g) * H;
  const b = (2 * g - 4) * k ** 2 + 8 * h * k + (2 * g - 14 * h - 4) * H - 8 * h + 4 * g - 6;
  const c = (6 * h + 2 * g - 2) * k ** 2 + (4 * h - 4 * g + 6) * k + (2 * h - 6) * H + 4 * h;
  const d = (2 * h + 6) * k ** 2 - 4 * h * k;
  const sigmaSq = (a * N ** 3 + b * N ** 2 + c * N + d) / ((N - 1) * (N - 2) * (N - 3));
  const m = k - 1;
  const statistic = (A2kN - m) / Math.sqrt(sigmaSq);
  const criticalValues = AD_B0.map((b0, i) => b0 + AD_B1[i] / Math.sqrt(m) + AD_B2[i] / m);
  if (statistic < Math.min(...criticalValues)) return { statistic, pValue: 0.25, clipped: true, criticalValues };
  if (statistic > Math.max(...criticalValues)) return { statistic, pValue: 0.001, clipped: true, criticalValues };
  const [c2, c1, c0] = quadraticFit(criticalValues, AD_SIGNIFICANCE.map(Math.log));
  return { statistic, pValue: Math.exp((c2 * statistic + c1) * statistic + c0), clipped: false, criticalValues };
}
