import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, extname, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { auditPlan, EVALUATION_RULES, NOT_ANALYSED_RULE_ID, RESPONSE_RULES, VERSION } from '../assay.js';
import { applyRule, audit, reportWithoutFiles, ruleContext } from '../core/audit.js';
import { Report } from '../core/report.js';
import type { EvaluationSection } from '../core/sections/evaluation.js';
import { DEFAULT_LIMITS } from '../formats/analyse.js';
import { TabularError } from '../formats/tabular/index.js';
import { hashFile } from '../provenance/signing-digests.js';
import { createRunner, RunnerConfigError } from '../runners/index.js';
import type { Runner } from '../runners/types.js';
import { datasetCases, summariseDataset } from '../suites/dataset.js';
import { type Baseline, EvaluationInterrupted, evaluate } from '../suites/evaluate.js';
import type { Task } from '../suites/metrics.js';
import { checkEachOutput, ResponseChecker } from '../suites/responses.js';
import { type ModelSpec, Suite } from '../suites/schema.js';
import { interruptOnSignal, type OpenJournal, openJournal, progressLine, runKey } from './eval-run.js';
import { emit, policyFor, type ReportCommandOptions } from './scan.js';

export interface EvalOptions extends ReportCommandOptions {
  suite?: string;
  model?: string;
  data?: string;
  label?: string;
  /** Decision threshold on the positive-class probability (short form). */
  threshold?: string;
  positive?: string;
  baseline?: string;
  tolerance?: string;
  min?: string[];
  max?: string[];
  slice?: string[];
  resamples?: string;
  seed?: string;
  probes: boolean;
  record?: boolean;
  /** Reuse the finished cases of an interrupted run of the same cases. */
  resume?: boolean;
  /** Keep every case's result in this JSON Lines file. */
  results?: string;
}

/** The conventional exit status of a command stopped by Ctrl-C (128 + SIGINT). */
export const EXIT_INTERRUPTED = 130;

/** A problem with what the user asked for (exit 2, with a message saying what to change). */
export class EvalUsageError extends Error {}

/** What one evaluation runs: the suite as completed by the command line, and the model it names. */
export interface EvalPlan {
  suite: Suite;
  baseDir: string;
  suitePath?: string;
  modelSpec: ModelSpec;
}

/** `assay eval`: runs the suite (or the short form), judges it, writes the report; returns the gate's exit code. */
export async function runEval(options: EvalOptions): Promise<number> {
  const { suite, baseDir, suitePath } = await suiteFor(options);
  const plan = { suite, baseDir, suitePath, modelSpec: modelSpecFor(options, suite) };
  let evaluated: Awaited<ReturnType<typeof evaluatePlan>>;
  try {
    evaluated = await evaluatePlan(plan, options);
  } catch (error) {
    if (!(error instanceof EvaluationInterrupted)) throw error;
    if (!options.quiet) process.stderr.write(`assay eval: ${error.message}\n`);
    return EXIT_INTERRUPTED;
  }
  const { report, model } = evaluated;
  if (options.record) await recordInStore(report, model, options);
  await emit([report], options);
  return report.gate.exitCode;
}

/**
 * Runs a plan and judges it into a report; `model` is how the store names what was evaluated. `openRunner` lets
 * `assay rerun` check the runner (its model digest) before any case runs.
 */
export async function evaluatePlan(
  plan: EvalPlan,
  options: Pick<EvalOptions, 'baseline' | 'policy' | 'failOn' | 'progress' | 'quiet' | 'resume' | 'results'>,
  openRunner: (spec: ModelSpec, baseDir: string) => Promise<Runner> = createRunner,
): Promise<{ report: Report; model: string }> {
  const startedAt = new Date().toISOString();
  const { suite, baseDir, suitePath, modelSpec } = plan;
  const policy = await policyFor(options);
  const dataPath = resolve(baseDir, suite.dataset.path);
  const mapping = { ...suite, format: suite.dataset.format, limit: suite.dataset.limit };
  const dataset = await summariseDataset(dataPath, mapping);
  const task = taskFor(suite, dataset.expectedValues);
  const baseline = options.baseline ? await loadBaseline(options.baseline) : undefined;
  const runner = await openRunner(modelSpec, baseDir);
  const responses = new ResponseChecker(policy.responses.rules);
  const progress = progressLine(options, dataset.rows);
  const checkOutput = responses.active ? checkEachOutput(responses) : undefined;
  let journal: OpenJournal | undefined;
  const interruption = interruptOnSignal(options.quiet);
  let section: EvaluationSection;
  try {
    journal = await openJournal(options, runKey(suite, modelSpec, runner.describe(), dataset), suite, dataset.rows);
    section = await evaluate({
      suite: {
        name: suite.name,
        path: suitePath,
        sha256: suitePath ? await hashFile(suitePath) : undefined,
        asRun: suiteAsRun(plan, dataPath),
      },
      datasets: [{ path: dataset.path, sha256: dataset.sha256, rows: dataset.rows }],
      runner,
      cases: datasetCases(dataPath, mapping),
      task: task.task,
      decoding: { ...task.decoding, threshold: suite.decisionThreshold },
      thresholds: suite.metrics,
      sliceColumns: suite.slices,
      baseline,
      tolerance: suite.baseline.tolerance,
      bootstrap: suite.bootstrap,
      probes: suite.probes,
      journal: journal.writer,
      resumeFrom: journal.resumeFrom,
      signal: interruption.signal,
      onResult: (result, item, reused) => {
        progress?.(reused);
        checkOutput?.(result, item);
      },
    });
    await journal.complete();
  } catch (error) {
    journal?.close();
    if (error instanceof EvaluationInterrupted && journal)
      error.message =
        `interrupted after ${error.finished} of ${dataset.rows} cases; the finished ones are in ${journal.path}: ` +
        'run the same command with --resume to continue';
    throw error;
  } finally {
    interruption.release();
    await runner.close();
  }
  const context = ruleContext(policy);
  const responsesSection = responses.active ? responses.section() : undefined;
  const findings = [
    ...EVALUATION_RULES.all().flatMap((rule) => applyRule(rule, section, context)),
    ...(responsesSection ? RESPONSE_RULES.all().flatMap((rule) => applyRule(rule, responsesSection, context)) : []),
  ];
  const auditOptions = {
    policy,
    ...auditPlan('scan'),
    sections: [() => ({ evaluation: section, ...(responsesSection ? { responses: responsesSection } : {}) })],
    extraFindings: findings,
    limits: DEFAULT_LIMITS,
    notAnalysedRuleId: NOT_ANALYSED_RULE_ID,
    toolVersion: VERSION,
  };
  // A local model is audited as files too (its bytes are scanned and digested); an endpoint has no files.
  const endpoint = section.runner.endpoint;
  const target = modelSpec.path ? resolve(baseDir, modelSpec.path) : (endpoint ?? dataPath);
  const report =
    modelSpec.path || !endpoint
      ? await audit(target, auditOptions)
      : reportWithoutFiles({ kind: 'endpoint', path: endpoint }, findings, auditOptions, startedAt);
  return { report, model: endpoint && !modelSpec.path ? `${endpoint}#${section.runner.model}` : target };
}

/**
 * The suite exactly as run, for `assay rerun`: command-line overrides applied, dataset and model paths absolute.
 * Request headers are left out (they may carry credentials).
 */
function suiteAsRun({ suite, baseDir, modelSpec }: EvalPlan, dataPath: string): Suite {
  const { headers: _headers, ...model } = modelSpec;
  return {
    ...suite,
    dataset: { ...suite.dataset, path: dataPath },
    model: model.path ? { ...model, path: resolve(baseDir, model.path) } : model,
  };
}

async function suiteFor(options: EvalOptions): Promise<{ suite: Suite; baseDir: string; suitePath?: string }> {
  const overrides = {
    ...(options.threshold !== undefined ? { decisionThreshold: numberFlag('--threshold', options.threshold) } : {}),
  };
  const bootstrap = (suite: Suite): Suite['bootstrap'] => ({
    ...suite.bootstrap,
    ...(options.resamples ? { resamples: numberFlag('--resamples', options.resamples) } : {}),
    ...(options.seed ? { seed: numberFlag('--seed', options.seed) } : {}),
  });
  const bounds = parseBounds(options.min, 'min');
  for (const [name, bound] of Object.entries(parseBounds(options.max, 'max')))
    bounds[name] = { ...bounds[name], ...bound };
  const finish = (suite: Suite): Suite => ({
    ...suite,
    ...overrides,
    metrics: { ...suite.metrics, ...bounds },
    slices: [...suite.slices, ...(options.slice ?? [])],
    bootstrap: bootstrap(suite),
    probes: options.probes ? suite.probes : { ...suite.probes, edgeCases: false, robustness: false },
    baseline: options.tolerance ? { tolerance: numberFlag('--tolerance', options.tolerance) } : suite.baseline,
  });
  if (options.suite) {
    const suitePath = resolve(options.suite);
    const text = await readFile(suitePath, 'utf8').catch((error: Error) => {
      throw new EvalUsageError(`${options.suite}: cannot read the suite: ${error.message}`);
    });
    let raw: unknown;
    try {
      raw = parseYaml(text);
    } catch (error) {
      throw new EvalUsageError(`${options.suite}: not valid YAML: ${(error as Error).message}`);
    }
    const parsed = Suite.safeParse(raw);
    if (!parsed.success)
      throw new EvalUsageError(
        `${options.suite}: not a valid suite (schema/suite.schema.json):\n${z.prettifyError(parsed.error)}`,
      );
    const suite = options.data ? { ...parsed.data, dataset: { path: resolve(options.data) } } : parsed.data;
    return { suite: finish(suite), baseDir: dirname(suitePath), suitePath };
  }
  if (!options.model || !options.data || !options.label)
    throw new EvalUsageError(
      'assay eval needs --suite <suite.yaml>, or --model <file.onnx> --data <table> --label <column> (the short form)',
    );
  const suite = Suite.parse({
    name: 'short form (--model --data --label)',
    dataset: { path: resolve(options.data) },
    input: { kind: 'tensor' },
    expected: { column: options.label },
    task: 'classification',
    positiveLabel: options.positive,
  });
  return { suite: finish(suite), baseDir: process.cwd() };
}

function modelSpecFor(options: EvalOptions, suite: Suite): ModelSpec {
  if (options.model) {
    if (extname(options.model).toLowerCase() !== '.onnx' && !existsSync(resolve(options.model, 'config.json')))
      throw new EvalUsageError(
        `--model ${options.model}: give an .onnx file or a Transformers.js folder; endpoints go in a suite's model block`,
      );
    const kind = extname(options.model).toLowerCase() === '.onnx' ? 'onnx' : 'transformers';
    return { ...suite.model, kind, path: resolve(options.model) };
  }
  if (!suite.model) throw new EvalUsageError('the suite has no model block: add one, or pass --model');
  return suite.model;
}

/** The task and how outputs map to labels, completing the suite from the data when it is silent. */
function taskFor(
  suite: Suite,
  expected: readonly (string | number | undefined)[],
): {
  task: Task;
  decoding: { labels?: string[]; positiveLabel?: string; negativeLabel?: string };
} {
  if (suite.task === 'regression') return { task: { kind: 'regression' }, decoding: {} };
  if (suite.task === 'text') return { task: { kind: 'text', checks: suite.checks }, decoding: {} };
  const seen = [...new Set(expected.filter((value) => value !== undefined).map(String))].sort();
  const labels = suite.labels;
  if (labels) {
    const positiveLabel = suite.positiveLabel ?? (labels.length === 2 ? labels[1] : undefined);
    return { task: { kind: 'classification', positiveLabel }, decoding: { labels, positiveLabel } };
  }
  if (seen.length > 2 && !suite.positiveLabel) return { task: { kind: 'classification' }, decoding: {} };
  const positiveLabel =
    suite.positiveLabel ?? seen.find((label) => /^(1|1\.0|true|yes|positive|pos)$/i.test(label)) ?? seen.at(-1);
  if (positiveLabel === undefined) throw new EvalUsageError('the expected column is empty: nothing to score against');
  const negativeLabel =
    seen.find((label) => label !== positiveLabel) ?? (positiveLabel === '1' ? '0' : `not ${positiveLabel}`);
  return { task: { kind: 'classification', positiveLabel }, decoding: { positiveLabel, negativeLabel } };
}

/** A baseline from a report file, or from an audit id in the store. */
async function loadBaseline(reference: string): Promise<Baseline> {
  const report = await loadEvalReport(reference, '--baseline');
  return { source: reference, startedAt: report.startedAt, metrics: report.evaluation.metrics };
}

/** A report of `assay eval` from a JSON file, or from an audit id in the store; `what` names it in errors. */
export async function loadEvalReport(
  reference: string,
  what: string,
): Promise<Report & { evaluation: EvaluationSection }> {
  let report: Report;
  if (existsSync(reference)) {
    let raw: unknown;
    try {
      raw = JSON.parse(await readFile(reference, 'utf8'));
    } catch (error) {
      throw new EvalUsageError(
        `${what} ${reference}: not a JSON report (${(error as Error).message}); write one with --format json`,
      );
    }
    const parsed = Report.safeParse(raw);
    if (!parsed.success)
      throw new EvalUsageError(`${what} ${reference}: not an Assay report: ${z.prettifyError(parsed.error)}`);
    report = parsed.data;
  } else {
    const { openStore } = await import('../store/open.js');
    const store = await openStore(undefined, { create: false }).catch((error: Error) => {
      throw new EvalUsageError(`${what} ${reference}: no such file, and the store cannot be opened: ${error.message}`);
    });
    try {
      const stored = await store.getAudit(reference);
      if (!stored?.report)
        throw new EvalUsageError(`${what} ${reference}: no such file and no audit with that id in ${store.location}`);
      report = stored.report;
    } finally {
      await store.close();
    }
  }
  const { evaluation } = report;
  if (!evaluation)
    throw new EvalUsageError(
      `${what} ${reference}: the report has no evaluation section (it did not come from assay eval)`,
    );
  return { ...report, evaluation };
}

/** Records the report; `model` is a local path (named as the store names paths) or `<endpoint>#<model name>`. */
async function recordInStore(report: Report, model: string, options: EvalOptions) {
  const [{ openStore }, { modelName }] = await Promise.all([
    import('../store/open.js'),
    import('../store/model-name.js'),
  ]);
  const store = await openStore();
  try {
    const metrics = Object.fromEntries(
      (report.evaluation?.metrics ?? []).flatMap((metric) =>
        metric.value === null ? [] : [[metric.name, metric.value]],
      ),
    );
    const name = /^https?:\/\//.test(model) ? model : modelName(model);
    const summary = await store.recordAudit(report, { command: 'eval', model: name, metrics });
    if (!options.quiet) process.stderr.write(`assay: recorded as audit ${summary.id} in ${store.location}\n`);
  } finally {
    await store.close();
  }
}

function numberFlag(flag: string, value: string): number {
  const number = Number(value);
  if (value.trim() === '' || !Number.isFinite(number)) throw new EvalUsageError(`${flag} ${value}: not a number`);
  return number;
}

/** `--min accuracy=0.9` (repeatable) → { accuracy: { min: 0.9 } }. */
function parseBounds(
  entries: readonly string[] | undefined,
  side: 'min' | 'max',
): Record<string, { min?: number; max?: number }> {
  const bounds: Record<string, { min?: number; max?: number }> = {};
  for (const entry of entries ?? []) {
    const at = entry.lastIndexOf('=');
    if (at <= 0) throw new EvalUsageError(`--${side} ${entry}: write metric=value, e.g. --${side} accuracy=0.9`);
    bounds[entry.slice(0, at)] = { [side]: numberFlag(`--${side}`, entry.slice(at + 1)) };
  }
  return bounds;
}

/** Errors that come from what the user gave (suite, data, flags, model files), not from a bug: exit 2 with the message. */
export function isEvalUserError(error: unknown): boolean {
  return error instanceof EvalUsageError || error instanceof RunnerConfigError || error instanceof TabularError;
}
