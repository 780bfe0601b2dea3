/**
 * One evaluation: run the dataset's cases through a runner, turn outputs into predictions, compute the task's
 * metrics with bootstrap intervals, slices, latency and throughput; then probe edge cases and robustness. The result
 * is the report's `evaluation` section; judging it (thresholds, regressions, failures) is the performance rules' job.
 */
import type { CaseFailure, EvaluationSection, MetricResult, ProbeGroup } from '../core/sections/evaluation.js';
import type { RunInput, Runner, RunOutput, RunResult } from '../runners/types.js';
import { type EdgeCase, tensorEdgeCases, textEdgeCases } from './edge-cases.js';
import { type BootstrapSettings, percentileInterval, seededRandom } from './fairness/statistics.js';
import {
  confusionMatrix,
  latencyMetrics,
  type MetricDefinition,
  metricsFor,
  type ScoredCase,
  type Task,
} from './metrics.js';
import { perturbations } from './robustness.js';

export interface EvalCase {
  id: string;
  input: RunInput;
  expected?: string | number;
  /** Values of the slice columns for this case. */
  slices?: Record<string, string>;
}

/** How outputs become predictions. */
export interface Decoding {
  /** Class names for score outputs with one value per class (argmax), in output order. */
  labels?: string[];
  /** Binary: the label a single score (probability) above `threshold` stands for, and the other one. */
  positiveLabel?: string;
  negativeLabel?: string;
  threshold: number;
}

export interface Baseline {
  source: string;
  startedAt?: string;
  metrics: readonly MetricResult[];
}

export interface EvaluateOptions {
  suite: EvaluationSection['suite'];
  datasets: EvaluationSection['datasets'];
  runner: Runner;
  cases: readonly EvalCase[];
  task: Task;
  decoding: Decoding;
  thresholds?: Record<string, { min?: number; max?: number }>;
  sliceColumns?: readonly string[];
  baseline?: Baseline;
  /** Absolute drop tolerated per metric before a regression (default for every metric, or per name). */
  tolerance?: number | Record<string, number>;
  bootstrap: BootstrapSettings;
  /** Edge cases and robustness probes (on by default). */
  probes?: { edgeCases: boolean; robustness: boolean; robustnessSample: number; longLength: number };
  onResult?: (result: RunResult) => void;
}

const MAX_FAILURES = 200;

export async function evaluate(options: EvaluateOptions): Promise<EvaluationSection> {
  const { runner, cases, task, decoding } = options;
  const started = performance.now();
  const results = await runner.run(
    cases.map(({ id, input }) => ({ id, input })),
    { onResult: options.onResult },
  );
  const wallSeconds = (performance.now() - started) / 1000;

  const failures: CaseFailure[] = [];
  let failuresOmitted = 0;
  const recordFailure = (failure: CaseFailure) => {
    if (failures.length < MAX_FAILURES) failures.push({ ...failure, input: truncated(failure.input) });
    else failuresOmitted++;
  };

  const scored: ScoredCase[] = [];
  const scoredSlices: Record<string, string>[] = [];
  for (const [index, result] of results.entries()) {
    const item = cases[index];
    if (!result.output) {
      recordFailure({
        id: item.id,
        kind: result.error?.kind ?? 'runtime',
        message: result.error?.message ?? '',
        input: item.input,
      });
      continue;
    }
    const decoded = decode(result.output, decoding, task);
    if (typeof decoded === 'string') {
      recordFailure({ id: item.id, kind: 'malformed', message: decoded, input: item.input, output: result.output });
      continue;
    }
    scored.push({ ...decoded, expected: item.expected, latencyMs: result.latencyMs });
    scoredSlices.push(item.slices ?? {});
  }

  const definitions = metricsFor(task, scored);
  const metrics = [
    ...measure(definitions, scored, options, true),
    ...measure(
      latencyMetrics(),
      scored.filter((_, i) => !results[i]?.cached),
      options,
      false,
    ),
  ];
  const slices = (options.sliceColumns ?? []).flatMap((column) => {
    const values = [...new Set(scoredSlices.map((slice) => slice[column] ?? ''))].sort();
    return values.map((value) => {
      const subset = scored.filter((_, i) => (scoredSlices[i][column] ?? '') === value);
      return { column, value, cases: subset.length, metrics: measure(definitions, subset, options, false) };
    });
  });

  const probes = options.probes ?? { edgeCases: true, robustness: true, robustnessSample: 50, longLength: 100_000 };
  const edgeCases = probes.edgeCases ? await runEdgeCases(options, probes.longLength, recordFailure) : [];
  const robustness = probes.robustness
    ? await runRobustness(options, results, probes.robustnessSample, recordFailure)
    : [];

  const tokenResults = results.filter((result) => result.tokens);
  return {
    suite: options.suite,
    task: task.kind,
    runner: runner.describe(),
    datasets: options.datasets,
    cases: {
      total: cases.length,
      succeeded: results.filter((result) => result.output).length,
      failed: results.filter((result) => !result.output).length,
      cached: results.filter((result) => result.cached).length,
    },
    throughput: wallSeconds > 0 ? cases.length / wallSeconds : 0,
    tokens:
      tokenResults.length > 0
        ? {
            prompt: tokenResults.reduce((total, result) => total + (result.tokens?.prompt ?? 0), 0),
            completion: tokenResults.reduce((total, result) => total + (result.tokens?.completion ?? 0), 0),
          }
        : undefined,
    metrics,
    confusionMatrix: task.kind === 'classification' ? confusionMatrix(scored) : undefined,
    slices,
    edgeCases,
    robustness,
    failures,
    failuresOmitted,
    bootstrap: options.bootstrap,
    baseline: options.baseline && { source: options.baseline.source, startedAt: options.baseline.startedAt },
    environment: { node: process.version, platform: `${process.platform}-${process.arch}` },
  };
}

/** Values (with intervals and the baseline's value when asked) of each metric on `cases`. */
function measure(
  definitions: readonly MetricDefinition[],
  cases: readonly ScoredCase[],
  options: EvaluateOptions,
  overall: boolean,
): MetricResult[] {
  const intervals = overall ? bootstrapIntervals(definitions, cases, options.bootstrap) : new Map();
  return definitions.map((definition) => {
    const value = cases.length === 0 ? Number.NaN : definition.compute(cases);
    const threshold = options.thresholds?.[definition.name];
    const previous = overall ? options.baseline?.metrics.find((metric) => metric.name === definition.name) : undefined;
    const tolerance =
      typeof options.tolerance === 'number' ? options.tolerance : (options.tolerance?.[definition.name] ?? 0);
    return {
      name: definition.name,
      value: Number.isFinite(value) ? value : null,
      higherIsBetter: definition.higherIsBetter,
      interval: intervals.get(definition.name),
      threshold,
      baseline: previous && { value: previous.value, interval: previous.interval, tolerance },
    };
  });
}

/** Percentile bootstrap over cases: one shared resample per round for every metric, seeded. */
function bootstrapIntervals(
  definitions: readonly MetricDefinition[],
  cases: readonly ScoredCase[],
  settings: BootstrapSettings,
) {
  const resampled = definitions.filter((definition) => definition.bootstrap);
  const intervals = new Map<string, { lower: number; upper: number }>();
  if (cases.length < 2 || resampled.length === 0) return intervals;
  const random = seededRandom(settings.seed);
  const values = resampled.map(() => new Array<number>(settings.resamples));
  const sample = new Array<ScoredCase>(cases.length);
  for (let round = 0; round < settings.resamples; round++) {
    for (let i = 0; i < cases.length; i++) sample[i] = cases[Math.floor(random() * cases.length)];
    resampled.forEach((definition, k) => {
      values[k][round] = definition.compute(sample);
    });
  }
  resampled.forEach((definition, k) => {
    const interval = percentileInterval(values[k], settings);
    if (interval) intervals.set(definition.name, interval);
  });
  return intervals;
}

/** A prediction (and score) from an output, or why there is none. */
export function decode(
  output: RunOutput,
  decoding: Decoding,
  task: Task,
): Pick<ScoredCase, 'predicted' | 'score' | 'text'> | string {
  if (output.kind === 'text') {
    if (task.kind === 'regression') {
      const value = Number(output.text.trim());
      return Number.isFinite(value)
        ? { predicted: value, text: output.text }
        : `"${output.text.slice(0, 80)}" is not a number`;
    }
    return { predicted: output.text.trim(), text: output.text };
  }
  const { values } = output;
  if (values.length === 0) return 'the model returned no values';
  if (values.some((value) => !Number.isFinite(value)))
    return `the model returned non-finite values: ${values.slice(0, 8).join(', ')}`;
  if (task.kind === 'regression') return { predicted: values[0] };
  if (values.length === 1 && decoding.positiveLabel !== undefined) {
    const score = values[0];
    return {
      predicted: score >= decoding.threshold ? decoding.positiveLabel : (decoding.negativeLabel ?? ''),
      score,
    };
  }
  const best = values.indexOf(Math.max(...values));
  const labels = decoding.labels ?? output.labels;
  const predicted = labels?.[best] ?? String(best);
  const positive = decoding.positiveLabel !== undefined ? (labels?.indexOf(decoding.positiveLabel) ?? -1) : -1;
  return { predicted, score: positive >= 0 && values.length === 2 ? values[positive] : undefined };
}

async function runEdgeCases(
  options: EvaluateOptions,
  longLength: number,
  recordFailure: (failure: CaseFailure) => void,
): Promise<ProbeGroup[]> {
  const sample = options.cases[0]?.input;
  if (!sample) return [];
  const edge: EdgeCase[] =
    sample.kind === 'tensor' ? tensorEdgeCases(sample.values) : textEdgeCases(sample.kind, longLength);
  const results = await options.runner.run(edge.map(({ family, input }) => ({ id: `edge:${family}`, input })));
  return edge.map(({ family, input }, index) => {
    const result = results[index];
    const refused = result.error?.kind === 'input';
    const problem = result.error
      ? result.error.message
      : result.output && typeof decode(result.output, options.decoding, options.task) === 'string'
        ? (decode(result.output, options.decoding, options.task) as string)
        : undefined;
    if (problem && !refused) {
      recordFailure({
        id: result.id,
        kind: result.error?.kind ?? 'malformed',
        message: problem,
        input,
        output: result.output,
      });
    }
    return { name: family, cases: 1, errors: problem && !refused ? 1 : 0, refused: refused ? 1 : 0 };
  });
}

async function runRobustness(
  options: EvaluateOptions,
  original: readonly RunResult[],
  sampleSize: number,
  recordFailure: (failure: CaseFailure) => void,
): Promise<ProbeGroup[]> {
  const base = options.cases
    .map((item, index) => ({ item, result: original[index] }))
    .filter(({ result }) => result?.output)
    .slice(0, sampleSize);
  const variants = base.flatMap(({ item }, index) =>
    perturbations(item.input, options.bootstrap.seed + index).map((variant) => ({ ...variant, of: item, index })),
  );
  const results = await options.runner.run(
    variants.map((variant) => ({ id: `${variant.of.id}~${variant.name}`, input: variant.input })),
  );
  const groups = new Map<string, { cases: number; errors: number; changed: number }>();
  variants.forEach((variant, k) => {
    const group = groups.get(variant.name) ?? { cases: 0, errors: 0, changed: 0 };
    groups.set(variant.name, group);
    group.cases++;
    const result = results[k];
    const before = base[variant.index].result.output as RunOutput;
    if (!result.output) {
      group.errors++;
      recordFailure({
        id: result.id,
        kind: result.error?.kind ?? 'runtime',
        message: result.error?.message ?? '',
        input: variant.input,
      });
      return;
    }
    const was = decode(before, options.decoding, options.task);
    const now = decode(result.output, options.decoding, options.task);
    const same = typeof was !== 'string' && typeof now !== 'string' && String(was.predicted) === String(now.predicted);
    if (!same) {
      group.changed++;
      recordFailure({
        id: result.id,
        kind: 'changed',
        message: `the ${variant.name} perturbation changed the output`,
        input: variant.input,
        output: { before, after: result.output },
      });
    }
  });
  return [...groups].map(([name, group]) => ({ name, ...group, changedShare: group.changed / group.cases }));
}

function truncated(input: unknown): unknown {
  const json = JSON.stringify(input) ?? '';
  return json.length <= 2000 ? input : `${json.slice(0, 2000)}… (${json.length} characters)`;
}
