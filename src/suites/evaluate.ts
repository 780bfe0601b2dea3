/**
 * One evaluation: run the dataset's cases through a runner, turn outputs into predictions, compute the task's
 * metrics with bootstrap intervals, slices, latency and throughput; then probe edge cases and robustness. The result
 * is the report's `evaluation` section; judging it (thresholds, regressions, failures) is the performance rules' job.
 * Cases stream through in chunks: inputs and outputs go to the journal, and only a small scored record per case stays
 * in memory; with a journal of an interrupted run, finished cases are reused rather than run again.
 */
import type { CaseFailure, EvaluationSection, MetricResult, ProbeGroup } from '../core/sections/evaluation.js';
import type { RunInput, Runner, RunOutput, RunResult } from '../runners/types.js';
import { type EdgeCase, tensorEdgeCases, textEdgeCases } from './edge-cases.js';
import { type BootstrapSettings, percentileInterval, seededRandom } from './fairness/statistics.js';
import { isTransient, type JournalEntry, type JournalWriter } from './journal.js';
import {
  checkText,
  confusionMatrix,
  latencyMetrics,
  type MetricDefinition,
  metricsFor,
  type ScoredCase,
  type Task,
} from './metrics.js';
import { promptOf } from './responses.js';
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
  /** The cases in dataset order: a list, or batches streamed from the dataset so that memory stays flat. */
  cases: readonly EvalCase[] | AsyncIterable<readonly EvalCase[]>;
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
  /** Called once per dataset case as it finishes or is reused from the journal (progress, response checks). */
  onResult?: (result: RunResult, item: EvalCase, reused: boolean) => void;
  /** Receives every finished case as it finishes (the results journal). */
  journal?: JournalWriter;
  /** Results of an earlier, interrupted run of the same cases: reused instead of run again, transient failures excepted. */
  resumeFrom?: AsyncIterable<JournalEntry>;
  /** Stops sending cases; `evaluate` then rejects with EvaluationInterrupted once in-flight cases are journaled. */
  signal?: AbortSignal;
}

/** The run stopped before every case finished; what did finish is in the journal. */
export class EvaluationInterrupted extends Error {
  constructor(readonly finished: number) {
    super(`interrupted after ${finished} cases`);
  }
}

const MAX_FAILURES = 200;

/** Cases handed to the runner at once: enough to keep every batch slot busy, few enough to keep memory flat. */
function chunkSize(runner: Runner): number {
  const { batchSize, concurrency } = runner.describe().settings;
  return Math.max(256, batchSize * concurrency * 4);
}

export async function evaluate(options: EvaluateOptions): Promise<EvaluationSection> {
  const { runner, task } = options;
  const probes = options.probes ?? { edgeCases: true, robustness: true, robustnessSample: 50, longLength: 100_000 };
  const run = new RunAccumulator(options, probes.robustness ? probes.robustnessSample : 0);
  if (options.resumeFrom) for await (const entry of options.resumeFrom) run.reuse(entry);

  let firstInput: RunInput | undefined;
  const started = performance.now();
  let index = 0;
  for await (const chunk of chunked(options.cases, chunkSize(runner))) {
    if (options.signal?.aborted) break;
    const first = index;
    index += chunk.length;
    firstInput ??= chunk[0]?.input;
    const fresh = chunk.flatMap((item, k) =>
      run.isFinished(first + k) ? [] : [{ id: String(first + k), input: item.input }],
    );
    await runner.run(fresh, {
      signal: options.signal,
      onResult: (result) => {
        const at = Number(result.id);
        const item = chunk[at - first];
        if (options.signal?.aborted && result.error) return; // cut short by the interruption: run again on resume
        run.add(at, item, result);
        options.onResult?.(result, item, false);
      },
    });
    chunk.forEach((item, k) => {
      run.offerRobustnessBase(first + k, item);
    });
  }
  options.journal?.flush();
  if (options.signal?.aborted) throw new EvaluationInterrupted(run.finished);
  const wallSeconds = (performance.now() - started) / 1000;

  const scored = run.scoredCases();
  const definitions = metricsFor(task, scored);
  const metrics = [
    ...measure(definitions, scored, options, true),
    ...measure(
      latencyMetrics(),
      scored.filter((item) => !item.cached),
      options,
      false,
    ),
  ];
  const scoredSlices = run.scoredSlices();
  const slices = (options.sliceColumns ?? []).flatMap((column) => {
    const values = [...new Set(scoredSlices.map((slice) => slice[column] ?? ''))].sort();
    return values.map((value) => {
      const subset = scored.filter((_, i) => (scoredSlices[i][column] ?? '') === value);
      return { column, value, cases: subset.length, metrics: measure(definitions, subset, options, false) };
    });
  });

  const edgeCases =
    probes.edgeCases && firstInput ? await runEdgeCases(options, firstInput, probes.longLength, run.recordFailure) : [];
  const robustness = probes.robustness ? await runRobustness(options, run.robustnessBase, run.recordFailure) : [];

  return {
    suite: options.suite,
    task: task.kind,
    runner: runner.describe(),
    datasets: options.datasets,
    cases: run.counts(),
    throughput: wallSeconds > 0 ? run.ranNow / wallSeconds : 0,
    tokens: run.tokens(),
    metrics,
    confusionMatrix: task.kind === 'classification' ? confusionMatrix(scored) : undefined,
    slices,
    edgeCases,
    robustness,
    failures: run.failures,
    failuresOmitted: run.failuresOmitted,
    bootstrap: options.bootstrap,
    baseline: options.baseline && { source: options.baseline.source, startedAt: options.baseline.startedAt },
    environment: { node: process.version, platform: `${process.platform}-${process.arch}` },
  };
}

/**
 * Sets `array[index]`, first padding with `undefined` up to it: results arrive out of order within a chunk, and a
 * write far beyond the end would turn the array into a slow, several-times-larger dictionary.
 */
function place<T>(array: (T | undefined)[], index: number, value: T): void {
  while (array.length < index) array.push(undefined);
  array[index] = value;
}

/** Lists and streams alike, as batches of at most `size` cases. */
async function* chunked(
  cases: readonly EvalCase[] | AsyncIterable<readonly EvalCase[]>,
  size: number,
): AsyncGenerator<readonly EvalCase[]> {
  if (!(Symbol.asyncIterator in cases)) {
    for (let start = 0; start < cases.length; start += size) yield cases.slice(start, start + size);
    return;
  }
  let pending: EvalCase[] = [];
  for await (const batch of cases) {
    pending.push(...batch);
    while (pending.length >= size) {
      yield pending.slice(0, size);
      pending = pending.slice(size);
    }
  }
  if (pending.length > 0) yield pending;
}

/**
 * Everything a run keeps per case: the scored case (small, in dataset order, so resumed and uninterrupted runs
 * bootstrap identically), counts, the first failures, and the outputs the robustness probe needs. Inputs and
 * outputs are not kept: they go to the journal.
 */
class RunAccumulator {
  readonly failures: CaseFailure[] = [];
  failuresOmitted = 0;
  finished = 0;
  /** Cases sent to the model in this run (not reused from a journal). */
  ranNow = 0;
  private readonly scored: (ScoredCase | undefined)[] = [];
  private readonly slices: (Record<string, string> | undefined)[] = [];
  /** The first successful dataset cases in order with their outputs: what the robustness probe perturbs. */
  readonly robustnessBase: { item: EvalCase; output: RunOutput }[] = [];
  /** One byte per case: finished or not (a Set of a million numbers costs tens of megabytes). */
  private done = new Uint8Array(4096);
  /** Outputs that may become robustness base cases: every fresh one of the current chunk, the first reused ones. */
  private readonly candidateOutputs = new Map<number, RunOutput>();
  private readonly interned = new Map<string, string>();
  private total = { succeeded: 0, failed: 0, cached: 0, resumed: 0, prompt: 0, completion: 0, withTokens: 0 };

  constructor(
    private readonly options: EvaluateOptions,
    private readonly robustnessSample: number,
  ) {}

  isFinished(index: number): boolean {
    return index < this.done.length && this.done[index] === 1;
  }

  readonly recordFailure = (failure: CaseFailure) => {
    if (this.failures.length < MAX_FAILURES) this.failures.push({ ...failure, input: truncated(failure.input) });
    else this.failuresOmitted++;
  };

  /** A result from the journal of an earlier run; transient failures are left to run again. */
  reuse(entry: JournalEntry): void {
    if (this.isFinished(entry.index) || isTransient(entry)) return;
    const input: RunInput =
      entry.prompt !== undefined ? { kind: 'text', text: entry.prompt } : (entry.input as RunInput);
    const item: EvalCase = { id: entry.id, input, expected: entry.expected, slices: entry.slices };
    this.total.resumed++;
    this.score(entry.index, item, entry);
    if (entry.output) this.keepCandidate(entry.index, entry.output);
    this.options.onResult?.({ ...entry, id: entry.id }, item, true);
  }

  /** Keeps the outputs of the smallest indices, as many as the probe needs. */
  private keepCandidate(index: number, output: RunOutput) {
    if (this.robustnessBase.length >= this.robustnessSample) return;
    this.candidateOutputs.set(index, output);
    if (this.candidateOutputs.size > this.robustnessSample + 256) {
      const largest = [...this.candidateOutputs.keys()].sort((a, b) => a - b).slice(this.robustnessSample);
      for (const key of largest) this.candidateOutputs.delete(key);
    }
  }

  /** A result of this run: scored, counted and journaled. */
  add(index: number, item: EvalCase, result: RunResult): void {
    this.ranNow++;
    const decoded = this.score(index, item, result);
    if (result.output) this.keepCandidate(index, result.output);
    this.options.journal?.write({
      index,
      id: item.id,
      expected: item.expected,
      predicted: decoded?.predicted,
      slices: item.slices && Object.keys(item.slices).length > 0 ? item.slices : undefined,
      prompt: item.input.kind === 'tensor' ? undefined : promptOf(item.input),
      input: result.output ? undefined : truncated(item.input),
      output: result.output,
      error: result.error,
      latencyMs: result.latencyMs,
      attempts: result.attempts,
      cached: result.cached,
      tokens: result.tokens,
    });
  }

  /** Called for every case in dataset order once it has its result: the first successes become base cases. */
  offerRobustnessBase(index: number, item: EvalCase): void {
    const output = this.candidateOutputs.get(index);
    this.candidateOutputs.delete(index);
    if (output && this.robustnessBase.length < this.robustnessSample) this.robustnessBase.push({ item, output });
  }

  private score(
    index: number,
    item: EvalCase,
    result: Pick<RunResult, 'output' | 'error' | 'latencyMs' | 'cached' | 'tokens'>,
  ): Pick<ScoredCase, 'predicted'> | undefined {
    if (index >= this.done.length) {
      const grown = new Uint8Array(Math.max(index + 1, this.done.length * 2));
      grown.set(this.done);
      this.done = grown;
    }
    this.done[index] = 1;
    this.finished++;
    if (result.cached) this.total.cached++;
    if (result.tokens) {
      this.total.withTokens++;
      this.total.prompt += result.tokens.prompt ?? 0;
      this.total.completion += result.tokens.completion ?? 0;
    }
    if (!result.output) {
      this.total.failed++;
      this.recordFailure({
        id: item.id,
        kind: result.error?.kind ?? 'runtime',
        message: result.error?.message ?? '',
        input: item.input,
      });
      return undefined;
    }
    this.total.succeeded++;
    const { task, decoding } = this.options;
    const decoded = decode(result.output, decoding, task);
    if (typeof decoded === 'string') {
      this.recordFailure({
        id: item.id,
        kind: 'malformed',
        message: decoded,
        input: item.input,
        output: result.output,
      });
      return undefined;
    }
    const checked = task.kind === 'text' ? checkText(task.checks, decoded.text ?? '', item.expected) : undefined;
    // One literal shape for every case: metrics read these objects millions of times in the bootstrap.
    place(this.scored, index, {
      // Class labels as strings once, not on every metric of every bootstrap round.
      expected: this.intern(
        task.kind === 'classification' && item.expected !== undefined ? String(item.expected) : item.expected,
      ),
      predicted: this.intern(decoded.predicted),
      score: decoded.score,
      passed: checked?.passed,
      length: checked?.length,
      latencyMs: result.latencyMs,
      cached: result.cached,
    });
    if (this.options.sliceColumns?.length) place(this.slices, index, item.slices);
    return decoded;
  }

  /** One string object per distinct label, so a million cases of two classes hold two strings. */
  private intern<T extends string | number | undefined>(value: T): T {
    if (typeof value !== 'string') return value;
    const known = this.interned.get(value);
    if (known !== undefined) return known as T;
    if (this.interned.size < 10_000) this.interned.set(value, value);
    return value;
  }

  scoredCases(): ScoredCase[] {
    return this.scored.filter((item): item is ScoredCase => item !== undefined);
  }

  scoredSlices(): Record<string, string>[] {
    return this.scored.flatMap((item, index) => (item ? [this.slices[index] ?? {}] : []));
  }

  counts(): EvaluationSection['cases'] {
    const { succeeded, failed, cached, resumed } = this.total;
    return { total: this.finished, succeeded, failed, cached, ...(resumed > 0 ? { resumed } : {}) };
  }

  tokens(): EvaluationSection['tokens'] {
    const { withTokens, prompt, completion } = this.total;
    return withTokens > 0 ? { prompt, completion } : undefined;
  }
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
  // Metrics share work per case array and remember the last one by identity (see metrics.ts): two arrays alternate,
  // so each round is a different array without allocating one per round.
  const samples = [new Array<ScoredCase>(cases.length), new Array<ScoredCase>(cases.length)];
  for (let round = 0; round < settings.resamples; round++) {
    const sample = samples[round % 2];
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

/** What an output says: the prediction, the positive-class score, and the text for text checks. */
export type Decoded = Pick<ScoredCase, 'predicted' | 'score'> & { text?: string };

/** A prediction (and score) from an output, or why there is none. */
export function decode(output: RunOutput, decoding: Decoding, task: Task): Decoded | string {
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
  sample: RunInput,
  longLength: number,
  recordFailure: (failure: CaseFailure) => void,
): Promise<ProbeGroup[]> {
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
  base: readonly { item: EvalCase; output: RunOutput }[],
  recordFailure: (failure: CaseFailure) => void,
): Promise<ProbeGroup[]> {
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
    const before = base[variant.index].output;
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
