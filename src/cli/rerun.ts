import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import type { EvaluationSection } from '../core/sections/evaluation.js';
import { hashFile } from '../provenance/signing-digests.js';
import { createRunner } from '../runners/index.js';
import type { Runner } from '../runners/types.js';
import { EvaluationInterrupted } from '../suites/evaluate.js';
import { latencyMetrics } from '../suites/metrics.js';
import type { ModelSpec } from '../suites/schema.js';
import { EvalUsageError, EXIT_INTERRUPTED, evaluatePlan, loadEvalReport } from './eval.js';
import { table } from './table.js';

export interface RerunOptions {
  format: 'text' | 'json';
  /** Writes the new run's JSON report here (usable later as a baseline or rerun source). */
  output?: string;
  /** Policy for the new run (its acceptable-response rules judge the outputs); the built-in one otherwise. */
  policy?: string;
  quiet?: boolean;
  progress: boolean;
}

/** Relative difference below which two metric values are the same number computed twice (summation order, float32). */
const FLOAT_NOISE = 1e-9;
/** Wall-clock metrics: shown, never compared (no two runs take the same time). */
const TIMING_METRICS = new Set(latencyMetrics().map((metric) => metric.name));

export interface MetricChange {
  name: string;
  before: number | null;
  after: number | null;
  status: 'equal' | 'changed' | 'timing' | 'added' | 'removed';
}

/**
 * `assay rerun <report | audit id>`: repeats the evaluation a report records (the suite as run, the runner settings
 * with the response cache off so the model really runs again, the bootstrap seed) after checking that the suite file,
 * the datasets and the model still have the recorded digests; prints old and new metrics side by side.
 * Returns 0 when every metric is the same up to float noise, 1 when one differs; an input that changed throws
 * (exit 2) before anything runs.
 */
export async function runRerun(reference: string, options: RerunOptions): Promise<number> {
  const before = await loadEvalReport(reference, 'assay rerun');
  const recorded = before.evaluation;
  const asRun = recorded.suite.asRun;
  if (!asRun?.model)
    throw new EvalUsageError(
      `${reference}: the report does not record the suite as run (it comes from an Assay before rerun existed); run assay eval again to get one that does`,
    );
  await checkUnchanged(recorded);
  const modelSpec: ModelSpec = { ...asRun.model, settings: { ...recorded.runner.settings, cache: false } };
  const plan = {
    suite: asRun,
    baseDir: process.cwd(), // every path in the suite as run is absolute
    suitePath: recorded.suite.path,
    modelSpec,
  };
  let evaluated: Awaited<ReturnType<typeof evaluatePlan>>;
  try {
    evaluated = await evaluatePlan(plan, options, (spec, baseDir) => openUnchangedRunner(spec, baseDir, recorded));
  } catch (error) {
    if (!(error instanceof EvaluationInterrupted)) throw error;
    if (!options.quiet) process.stderr.write(`assay rerun: ${error.message}\n`);
    return EXIT_INTERRUPTED;
  }
  const { report } = evaluated;
  if (options.output) await writeFile(options.output, `${JSON.stringify(report, null, 2)}\n`);
  const changes = metricChanges(recorded, report.evaluation as EvaluationSection);
  const identical = changes.every((change) => change.status === 'equal' || change.status === 'timing');
  if (!options.quiet)
    process.stdout.write(
      options.format === 'json'
        ? `${JSON.stringify({ rerunOf: reference, identical, metrics: changes }, null, 2)}\n`
        : renderChanges(reference, recorded, changes, identical),
    );
  return identical ? 0 : 1;
}

/** Refuses (exit 2) when the suite file or a dataset is gone or no longer has the digest the report recorded. */
async function checkUnchanged(recorded: EvaluationSection): Promise<void> {
  const { suite } = recorded;
  const files = [
    ...(suite.path && suite.sha256 ? [{ what: 'the suite', path: suite.path, sha256: suite.sha256 }] : []),
    ...recorded.datasets.map((dataset) => ({ what: 'the dataset', path: dataset.path, sha256: dataset.sha256 })),
  ];
  for (const file of files) {
    if (!existsSync(file.path))
      throw new EvalUsageError(`${file.what} ${file.path} no longer exists: the recorded run cannot be repeated`);
    const now = await hashFile(file.path);
    if (now !== file.sha256)
      throw new EvalUsageError(
        `${file.what} ${file.path} changed since the recorded run (sha256 was ${file.sha256}, is now ${now}): ` +
          'restore it to rerun, or run assay eval for a new result',
      );
  }
}

/** The runner, once its model digest is known to be the recorded one. */
async function openUnchangedRunner(spec: ModelSpec, baseDir: string, recorded: EvaluationSection): Promise<Runner> {
  const { model, modelDigest } = recorded.runner;
  if (modelDigest && !existsSync(model))
    throw new EvalUsageError(`the model ${model} no longer exists: the recorded run cannot be repeated`);
  const runner = await createRunner(spec, baseDir);
  const now = runner.describe().modelDigest;
  if (modelDigest && now !== modelDigest) {
    await runner.close();
    throw new EvalUsageError(
      `the model ${model} changed since the recorded run (sha256 was ${modelDigest}, is now ${now ?? 'unknown'}): ` +
        'restore it to rerun, or run assay eval for a new result',
    );
  }
  return runner;
}

export function metricChanges(before: EvaluationSection, after: EvaluationSection): MetricChange[] {
  const old = new Map(before.metrics.map((metric) => [metric.name, metric.value]));
  const now = new Map(after.metrics.map((metric) => [metric.name, metric.value]));
  const names = [...old.keys(), ...[...now.keys()].filter((name) => !old.has(name))];
  return names.map((name) => {
    const [was, is] = [old.get(name), now.get(name)];
    const status: MetricChange['status'] = TIMING_METRICS.has(name)
      ? 'timing'
      : was === undefined
        ? 'added'
        : is === undefined
          ? 'removed'
          : sameValue(was, is)
            ? 'equal'
            : 'changed';
    return { name, before: was ?? null, after: is ?? null, status };
  });
}

function sameValue(a: number | null, b: number | null): boolean {
  if (a === null || b === null) return a === b;
  return Math.abs(a - b) <= FLOAT_NOISE * Math.max(1, Math.abs(a), Math.abs(b));
}

function renderChanges(
  reference: string,
  recorded: EvaluationSection,
  changes: readonly MetricChange[],
  identical: boolean,
): string {
  const shown = (value: number | null) => (value === null ? '-' : String(Number(value.toPrecision(6))));
  const verdict: Record<MetricChange['status'], string> = {
    equal: 'equal',
    changed: 'CHANGED',
    timing: 'timing, not compared',
    added: 'new in this run',
    removed: 'missing in this run',
  };
  const rows = changes.map((change) => [
    change.name,
    shown(change.before),
    shown(change.after),
    change.before !== null && change.after !== null ? signed(change.after - change.before) : '-',
    verdict[change.status],
  ]);
  const changed = changes.filter((change) => change.status !== 'equal' && change.status !== 'timing').length;
  return (
    `assay rerun of ${reference}: suite "${recorded.suite.name}", model ${recorded.runner.model}, ` +
    `${recorded.datasets.map((dataset) => dataset.path).join(', ')}\n\n` +
    table([['METRIC', 'RECORDED', 'RERUN', 'DIFFERENCE', ''], ...rows]) +
    (identical
      ? '\nidentical: every metric equals the recorded run\n'
      : `\ndifferent: ${changed} metric(s) differ from the recorded run\n`)
  );
}

function signed(delta: number): string {
  const rounded = Number(delta.toPrecision(3));
  return rounded > 0 ? `+${rounded}` : String(rounded);
}
