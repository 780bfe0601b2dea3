/**
 * The drift tests Assay runs, with Evidently's default thresholds and comparison (`default_threshold` in each
 * `legacy/calculations/stattests/*.py`, Evidently 0.7.21) and whether each needs the raw reference sample.
 */
export type DriftMethod =
  | 'ks'
  | 'anderson'
  | 'cramervonmises'
  | 'mannwhitney'
  | 'ttest'
  | 'energy'
  | 'chisquare'
  | 'z'
  | 'fisher'
  | 'psi'
  | 'jensenshannon'
  | 'kl'
  | 'hellinger'
  | 'wasserstein';

export interface DriftMethodInfo {
  title: string;
  /** A p-value test drifts when p is small; a distance drifts when the distance is large. */
  kind: 'p-value' | 'distance';
  defaultThreshold: number;
  /** How the score is compared with the threshold to call drift. */
  comparison: '<' | '<=' | '>=' | '>';
  /** Column kinds it applies to: numeric samples, or category counts (numeric values count as categories). */
  numeric: boolean;
  categorical: boolean;
  /** Which reference it needs: `raw` sample, or works from a stored profile (`profile`), exactly or approximately. */
  fromProfile: 'exact-or-sketch' | 'exact-counts' | 'no';
  reason: string;
}

export const DRIFT_METHODS: Readonly<Record<DriftMethod, DriftMethodInfo>> = {
  ks: {
    title: 'Kolmogorov–Smirnov (two-sample)',
    kind: 'p-value',
    defaultThreshold: 0.05,
    comparison: '<=',
    numeric: true,
    categorical: false,
    fromProfile: 'exact-or-sketch',
    reason: 'scipy ks_2samp, exact ≤ 10,000 per sample else asymptotic; Evidently drifts at p ≤ 0.05',
  },
  anderson: {
    title: 'Anderson–Darling k-sample (midrank)',
    kind: 'p-value',
    defaultThreshold: 0.1,
    comparison: '<',
    numeric: true,
    categorical: false,
    fromProfile: 'no',
    reason: 'scipy anderson_ksamp; p interpolated and clipped to [0.001, 0.25]; needs every reference rank',
  },
  cramervonmises: {
    title: 'Cramér–von Mises (two-sample)',
    kind: 'p-value',
    defaultThreshold: 0.1,
    comparison: '<=',
    numeric: true,
    categorical: false,
    fromProfile: 'no',
    reason: 'scipy cramervonmises_2samp, asymptotic p; Evidently cramer_von_mises drifts at p ≤ 0.1',
  },
  mannwhitney: {
    title: 'Mann–Whitney U',
    kind: 'p-value',
    defaultThreshold: 0.05,
    comparison: '<',
    numeric: true,
    categorical: false,
    fromProfile: 'no',
    reason: 'scipy mannwhitneyu, two-sided, normal approximation with tie and continuity correction',
  },
  ttest: {
    title: "Welch's t-test",
    kind: 'p-value',
    defaultThreshold: 0.05,
    comparison: '<',
    numeric: true,
    categorical: false,
    fromProfile: 'no',
    reason: 'scipy ttest_ind(equal_var=False): a shift of the mean only',
  },
  energy: {
    title: 'Energy distance',
    kind: 'distance',
    defaultThreshold: 0.1,
    comparison: '>',
    numeric: true,
    categorical: false,
    fromProfile: 'no',
    reason: 'scipy energy_distance; Evidently ed drifts at > 0.1',
  },
  chisquare: {
    title: 'Chi-square goodness of fit',
    kind: 'p-value',
    defaultThreshold: 0.05,
    comparison: '<',
    numeric: true,
    categorical: true,
    fromProfile: 'exact-counts',
    reason: 'current counts against reference counts scaled to the current size (Evidently chisquare)',
  },
  z: {
    title: 'Two-proportion z-test (pooled)',
    kind: 'p-value',
    defaultThreshold: 0.05,
    comparison: '<',
    numeric: true,
    categorical: true,
    fromProfile: 'exact-counts',
    reason: 'binary columns; Evidently z stattest',
  },
  fisher: {
    title: "Fisher's exact test (2×2)",
    kind: 'p-value',
    defaultThreshold: 0.1,
    comparison: '<',
    numeric: true,
    categorical: true,
    fromProfile: 'exact-counts',
    reason: 'scipy fisher_exact on reference/current × the two values; Evidently fisher_exact drifts at p < 0.1',
  },
  psi: {
    title: 'Population stability index',
    kind: 'distance',
    defaultThreshold: 0.1,
    comparison: '>=',
    numeric: true,
    categorical: true,
    fromProfile: 'exact-or-sketch',
    reason: 'Σ(r−c)·ln(r/c) over Evidently bins, empty bins filled (min/1e6 or 1e-4)',
  },
  jensenshannon: {
    title: 'Jensen–Shannon distance (natural log)',
    kind: 'distance',
    defaultThreshold: 0.1,
    comparison: '>=',
    numeric: true,
    categorical: true,
    fromProfile: 'exact-or-sketch',
    reason: 'scipy jensenshannon, base e (max √ln2 ≈ 0.833), as Evidently',
  },
  kl: {
    title: 'Kullback–Leibler divergence KL(ref‖cur)',
    kind: 'distance',
    defaultThreshold: 0.1,
    comparison: '>=',
    numeric: true,
    categorical: true,
    fromProfile: 'exact-or-sketch',
    reason: 'scipy entropy(ref, cur), natural log, empty bins filled as for PSI',
  },
  hellinger: {
    title: 'Hellinger distance',
    kind: 'distance',
    defaultThreshold: 0.1,
    comparison: '>=',
    numeric: true,
    categorical: true,
    fromProfile: 'exact-or-sketch',
    reason: '√(½Σ(√r−√c)²) over Evidently bins, no fill',
  },
  wasserstein: {
    title: 'Wasserstein-1 distance / reference std',
    kind: 'distance',
    defaultThreshold: 0.1,
    comparison: '>=',
    numeric: true,
    categorical: false,
    fromProfile: 'exact-or-sketch',
    reason: 'scipy wasserstein_distance divided by max(std(ref), 0.001), as Evidently',
  },
};

export const DRIFT_METHOD_NAMES = Object.keys(DRIFT_METHODS) as DriftMethod[];

export function isDriftMethod(name: string): name is DriftMethod {
  return Object.hasOwn(DRIFT_METHODS, name);
}

/**
 * Evidently's default test (`_get_default_stattest`): by column kind, reference size (≤ 1000 rows) and distinct values
 * of reference ∪ current. Text columns have no default here: Evidently trains a domain classifier, which Assay does
 * not run, so text columns are reported as not tested.
 */
export const DEFAULT_TEST_TABLE: readonly {
  type: 'numeric' | 'categorical';
  small: boolean;
  maxUnique: number;
  method: DriftMethod;
  reason: string;
}[] = [
  { type: 'numeric', small: true, maxUnique: 2, method: 'z', reason: 'binary numeric, small reference: proportions' },
  { type: 'numeric', small: true, maxUnique: 5, method: 'chisquare', reason: 'few values, small reference: counts' },
  { type: 'numeric', small: true, maxUnique: Infinity, method: 'ks', reason: 'continuous, small reference: exact KS' },
  { type: 'numeric', small: false, maxUnique: 5, method: 'jensenshannon', reason: 'few values, large reference' },
  {
    type: 'numeric',
    small: false,
    maxUnique: Infinity,
    method: 'wasserstein',
    reason: 'large reference: p-values flag tiny shifts, use a normalised distance',
  },
  { type: 'categorical', small: true, maxUnique: 2, method: 'z', reason: 'binary category, small reference' },
  { type: 'categorical', small: true, maxUnique: Infinity, method: 'chisquare', reason: 'categories, small reference' },
  { type: 'categorical', small: false, maxUnique: Infinity, method: 'jensenshannon', reason: 'large reference' },
];

/** Reference sizes up to this count as small (Evidently: n_ref ≤ 1000). */
export const SMALL_REFERENCE_ROWS = 1000;

export function defaultTest(
  type: 'numeric' | 'categorical' | 'text',
  referenceRows: number,
  uniqueValues: number,
): DriftMethod | undefined {
  if (type === 'text') return undefined;
  const small = referenceRows <= SMALL_REFERENCE_ROWS;
  return DEFAULT_TEST_TABLE.find((row) => row.type === type && row.small === small && uniqueValues <= row.maxUnique)
    ?.method;
}
