/**
 * The drift engine: pairs reference and current columns, picks each column's test (Evidently's default, or the
 * user's), runs it, applies the multiple-testing correction to p-value tests, and decides dataset drift as the share
 * of drifted columns (drift when share ≥ driftShare).
 */

import type { DriftColumn, DriftSection } from '../core/sections/drift.js';
import type { ColumnType } from '../formats/tabular/index.js';
import { type Correction, correctPValues } from './corrections.js';
import { DRIFT_METHODS, type DriftMethod, defaultTest } from './methods.js';
import { type CategorySample, numericAsCategories, poolUntracked, type Sample } from './samples.js';
import { DriftTestError, runTest } from './tests.js';

/** One side of one column, from raw data or from a profile. */
export interface ColumnSide {
  name: string;
  type: ColumnType;
  rows: number;
  nulls: number;
  sample?: Sample;
  /** Exact population std from a profile's moments (Wasserstein normalisation without raw data). */
  std?: number;
}

export interface DriftOptions {
  /** Only these columns (default: every column of the reference). */
  columns?: readonly string[];
  /** Test for every column, overriding the default. */
  method?: DriftMethod;
  /** Test per column, overriding both. */
  tests?: Readonly<Record<string, DriftMethod>>;
  /** Threshold for every column's test (default: the test's own). */
  threshold?: number;
  thresholds?: Readonly<Record<string, number>>;
  /** Dataset drift when the share of drifted columns is at least this (default 0.5). */
  driftShare?: number;
  correction?: Correction;
  /** Family-wise level for the correction (default 0.05). */
  alpha?: number;
}

export const DEFAULT_DRIFT_SHARE = 0.5;

function asCategories(sample: Sample): CategorySample {
  return sample.kind === 'numeric' ? numericAsCategories(sample) : sample;
}

function uniqueValues(reference: Sample, current: Sample): number {
  if (reference.kind === 'numeric' && current.kind === 'numeric' && (!reference.exact || !current.exact)) {
    return Math.max(reference.distinct, current.distinct);
  }
  const keys = new Set([...asCategories(reference).counts.keys(), ...asCategories(current).counts.keys()]);
  return keys.size;
}

function testKind(type: ColumnType): 'numeric' | 'categorical' | 'text' | undefined {
  if (type === 'numeric' || type === 'datetime') return 'numeric';
  if (type === 'categorical' || type === 'boolean') return 'categorical';
  if (type === 'text') return 'text';
  return undefined;
}

function testColumn(reference: ColumnSide, current: ColumnSide, options: DriftOptions, explicit: boolean): DriftColumn {
  let type = reference.type;
  const base: DriftColumn = {
    column: reference.name,
    type,
    reference: { rows: reference.rows, nulls: reference.nulls },
    current: { rows: current.rows, nulls: current.nulls },
    tested: false,
  };
  const warnings: string[] = [];
  let refSample = reference.sample;
  let curSample = current.sample;
  if (!refSample || !curSample) {
    return { ...base, skipped: `no values in the ${refSample ? 'current' : 'reference'} column` };
  }
  if (refSample.kind !== curSample.kind) {
    // One side has text where the other has only numbers: compare both as categories.
    warnings.push(`reference is ${reference.type} but current is ${current.type}; compared as categories`);
    refSample = asCategories(refSample);
    curSample = asCategories(curSample);
    type = 'categorical';
  }
  if (refSample.kind === 'categorical' && curSample.kind === 'categorical')
    curSample = poolUntracked(curSample, refSample);
  if (type === 'datetime' && !explicit) {
    return { ...base, skipped: 'datetime columns move with time by construction; name it in --columns to test it' };
  }
  const kind = testKind(type);
  if (kind === 'text' && !options.tests?.[reference.name] && !options.method) {
    return {
      ...base,
      skipped: "free text: Evidently's default is a domain classifier, which Assay does not train; choose a test",
    };
  }
  const unique = uniqueValues(refSample, curSample);
  const override = options.tests?.[reference.name] ?? options.method;
  const method =
    override ?? defaultTest(kind === 'text' ? 'categorical' : (kind ?? 'categorical'), refSample.count, unique);
  if (!method) return { ...base, skipped: 'no test applies' };
  const info = DRIFT_METHODS[method];
  if (!info.categorical && refSample.kind !== 'numeric') {
    return { ...base, skipped: `${method} needs numbers; this column is ${type}` };
  }
  try {
    const outcome = runTest(method, refSample, curSample, {
      threshold: options.thresholds?.[reference.name] ?? options.threshold,
      referenceStd: reference.std,
    });
    return {
      ...base,
      type,
      tested: true,
      method,
      chosenBy: options.tests?.[reference.name] ? 'column' : options.method ? 'all-columns' : 'default',
      kind: outcome.kind,
      statistic: Number.isFinite(outcome.statistic) ? outcome.statistic : null,
      ...(outcome.pValue === undefined ? {} : { pValue: outcome.pValue }),
      threshold: outcome.threshold,
      comparison: outcome.comparison,
      drifted: outcome.drifted,
      uniqueValues: unique,
      parameters: { ...outcome.parameters, nReference: refSample.count, nCurrent: curSample.count },
      approximate: outcome.approximate,
      distribution: {
        rule: outcome.distribution.rule,
        labels: outcome.distribution.labels,
        reference: outcome.distribution.reference,
        current: outcome.distribution.current,
      },
      warnings: [...warnings, ...outcome.warnings],
    };
  } catch (error) {
    if (error instanceof DriftTestError || error instanceof RangeError) {
      return { ...base, skipped: `${method}: ${error.message}` };
    }
    throw error;
  }
}

export class DriftInputError extends Error {}

export function compareColumns(
  reference: readonly ColumnSide[],
  current: readonly ColumnSide[],
  options: DriftOptions = {},
): Pick<DriftSection, 'columns' | 'correction' | 'dataset'> {
  const currentByName = new Map(current.map((c) => [c.name, c]));
  const referenceByName = new Map(reference.map((c) => [c.name, c]));
  const names = options.columns ?? reference.map((c) => c.name);
  const unknown = names.filter((name) => !referenceByName.has(name));
  if (unknown.length)
    throw new DriftInputError(`no column ${unknown.map((n) => `"${n}"`).join(', ')} in the reference`);
  for (const name of [...Object.keys(options.tests ?? {}), ...Object.keys(options.thresholds ?? {})]) {
    if (!referenceByName.has(name))
      throw new DriftInputError(`--test/--threshold names "${name}", not a reference column`);
  }
  const columns = names.map((name) => {
    const ref = referenceByName.get(name) as ColumnSide;
    const cur = currentByName.get(name);
    if (!cur) {
      return {
        column: name,
        type: ref.type,
        reference: { rows: ref.rows, nulls: ref.nulls },
        current: { rows: 0, nulls: 0 },
        tested: false,
        skipped: 'missing from the current data',
      } satisfies DriftColumn;
    }
    return testColumn(ref, cur, options, options.columns !== undefined);
  });

  const correctionMethod = options.correction ?? 'none';
  const alpha = options.alpha ?? 0.05;
  const pValueColumns = columns.filter((c) => c.tested && c.kind === 'p-value');
  let correctionThreshold = alpha;
  if (correctionMethod !== 'none' && pValueColumns.length > 0) {
    const result = correctPValues(
      pValueColumns.map((c) => c.pValue as number),
      alpha,
      correctionMethod,
    );
    correctionThreshold = result.threshold;
    pValueColumns.forEach((column, i) => {
      column.drifted = result.rejected[i];
      column.threshold = result.threshold;
      column.comparison = correctionMethod === 'bh' ? '<=' : '<';
      column.parameters = { ...column.parameters, correction: correctionMethod, alpha };
    });
  }
  const tested = columns.filter((c) => c.tested);
  const drifted = tested.filter((c) => c.drifted).length;
  const share = tested.length ? drifted / tested.length : 0;
  const driftShare = options.driftShare ?? DEFAULT_DRIFT_SHARE;
  return {
    columns,
    correction: { method: correctionMethod, alpha, threshold: correctionThreshold, tests: pValueColumns.length },
    dataset: {
      testedColumns: tested.length,
      driftedColumns: drifted,
      share,
      driftShare,
      drifted: tested.length > 0 && share >= driftShare,
    },
  };
}
