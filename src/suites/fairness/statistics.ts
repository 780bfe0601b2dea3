/**
 * Small, dependency-free statistics shared by the fairness and safety suites: a seeded random source, percentile
 * bootstrap intervals, the pooled two-proportion z-test and Holm's multiple-comparison correction.
 */

/** Deterministic 32-bit generator (mulberry32): same seed, same resamples, same report bytes. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** numpy's default quantile (linear interpolation between order statistics) of already sorted values. */
export function quantileSorted(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const position = (sorted.length - 1) * q;
  const below = Math.floor(position);
  const above = Math.ceil(position);
  return sorted[below] + (sorted[above] - sorted[below]) * (position - below);
}

export interface BootstrapSettings {
  /** Number of resamples. */
  resamples: number;
  /** Two-sided confidence level, e.g. 0.95. */
  confidence: number;
  seed: number;
}

export const DEFAULT_BOOTSTRAP: BootstrapSettings = { resamples: 1000, confidence: 0.95, seed: 20260101 };

export interface Interval {
  lower: number;
  upper: number;
}

/**
 * Percentile interval of the statistics computed on each resample. Resamples whose statistic is not finite (a group
 * left empty, a zero denominator) are dropped; when fewer than half survive there is no interval.
 */
export function percentileInterval(values: readonly number[], settings: BootstrapSettings): Interval | undefined {
  const finite = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (finite.length < settings.resamples / 2) return undefined;
  const tail = (1 - settings.confidence) / 2;
  return { lower: quantileSorted(finite, tail), upper: quantileSorted(finite, 1 - tail) };
}

/**
 * Draws `resamples` index sets. Each stratum (e.g. a sensitive group) is resampled with replacement within itself,
 * so every group keeps its size and never vanishes from a resample.
 */
export function* stratifiedResamples(
  strata: readonly (readonly number[])[],
  settings: BootstrapSettings,
): Generator<number[]> {
  const random = seededRandom(settings.seed);
  for (let round = 0; round < settings.resamples; round++) {
    const picked: number[] = [];
    for (const stratum of strata) {
      for (let i = 0; i < stratum.length; i++) picked.push(stratum[Math.floor(random() * stratum.length)]);
    }
    yield picked;
  }
}

/** Percentile bootstrap interval of a proportion of `successes` out of `total` Bernoulli outcomes. */
export function proportionInterval(
  successes: number,
  total: number,
  settings: BootstrapSettings,
): Interval | undefined {
  if (total === 0) return undefined;
  const random = seededRandom(settings.seed);
  const share = successes / total;
  const rates: number[] = [];
  for (let round = 0; round < settings.resamples; round++) {
    let hits = 0;
    for (let i = 0; i < total; i++) if (random() < share) hits++;
    rates.push(hits / total);
  }
  return percentileInterval(rates, settings);
}

/** Standard normal upper tail, P(Z > z). */
export function normalSurvival(z: number): number {
  return 0.5 * erfc(z / Math.SQRT2);
}

/** Complementary error function (Numerical Recipes erfcc, relative error < 1.2e-7). */
function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t *
          (1.00002368 +
            t *
              (0.37409196 +
                t *
                  (0.09678418 +
                    t *
                      (-0.18628806 +
                        t *
                          (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? r : 2 - r;
}

export interface ProportionTest {
  z: number;
  /** Two-sided p-value. */
  pValue: number;
}

/** Pooled two-proportion z-test (the one Evidently and most textbooks use); z² equals the uncorrected χ². */
export function twoProportionZTest(
  successesA: number,
  totalA: number,
  successesB: number,
  totalB: number,
): ProportionTest {
  const pooled = (successesA + successesB) / (totalA + totalB);
  const standardError = Math.sqrt(pooled * (1 - pooled) * (1 / totalA + 1 / totalB));
  if (standardError === 0) return { z: 0, pValue: 1 };
  const z = (successesA / totalA - successesB / totalB) / standardError;
  return { z, pValue: Math.min(1, 2 * normalSurvival(Math.abs(z))) };
}

/** Holm–Bonferroni step-down adjusted p-values (controls the family-wise error rate; no independence assumed). */
export function holmAdjust(pValues: readonly number[]): number[] {
  const order = pValues.map((p, index) => ({ p, index })).sort((a, b) => a.p - b.p);
  const adjusted = new Array<number>(pValues.length);
  let running = 0;
  order.forEach(({ p, index }, rank) => {
    running = Math.max(running, Math.min(1, (pValues.length - rank) * p));
    adjusted[index] = running;
  });
  return adjusted;
}

/**
 * Two-sided permutation test for a difference in means: the share of random relabellings of the pooled values whose
 * mean difference is at least as large as the observed one, with the observed labelling counted ((k + 1) / (R + 1),
 * never 0). Seeded, so the same data gives the same p-value.
 */
export function permutationTest(
  a: readonly number[],
  b: readonly number[],
  resamples: number,
  seed: number,
): { difference: number; pValue: number } {
  const sum = (values: readonly number[]) => values.reduce((total, value) => total + value, 0);
  const difference = sum(a) / a.length - sum(b) / b.length;
  const pooled = [...a, ...b];
  const total = sum(pooled);
  // Differences within rounding of the observed one count as equal (a zero difference gives p = 1).
  const observed = Math.abs(difference) - 1e-9 * (1 + Math.abs(difference));
  const random = seededRandom(seed);
  let extreme = 0;
  for (let resample = 0; resample < resamples; resample++) {
    // A partial Fisher–Yates shuffle: the first a.length values become the relabelled group A.
    let sumA = 0;
    for (let i = 0; i < a.length; i++) {
      const j = i + Math.floor(random() * (pooled.length - i));
      [pooled[i], pooled[j]] = [pooled[j], pooled[i]];
      sumA += pooled[i];
    }
    if (Math.abs(sumA / a.length - (total - sumA) / b.length) >= observed) extreme++;
  }
  return { difference, pValue: (extreme + 1) / (resamples + 1) };
}
