import { auditPlan, NOT_ANALYSED_RULE_ID, VERSION } from '../assay.js';
import { FAIRNESS_RULES } from '../checks/fairness/thresholds.js';
import { applyRule, audit, ruleContext } from '../core/audit.js';
import type { Policy } from '../core/policy.js';
import { FAIRNESS_MEASURE_NAMES, FairnessMeasureName, type FairnessPolicy } from '../core/sections/fairness.js';
import { DEFAULT_LIMITS } from '../formats/analyse.js';
import { readRecords, TabularError } from '../formats/tabular/index.js';
import { RunnerConfigError } from '../runners/index.js';
import { onnxRunner } from '../runners/onnx.js';
import { DEFAULT_BOOTSTRAP } from '../suites/fairness/statistics.js';
import { FairnessDataError, type ModelPredictions, tabularFairness } from '../suites/fairness/tabular.js';
import { emit, policyFor, type ReportCommandOptions } from './scan.js';

export interface FairnessOptions extends Omit<ReportCommandOptions, 'progress'> {
  data: string;
  label: string;
  prediction?: string;
  /** An ONNX binary classifier that makes the predictions instead of a prediction column. */
  model?: string;
  /** Feature columns for --model, comma-separated (default: every column but the label and sensitive ones). */
  features?: string;
  decisionThreshold?: string;
  sensitive: string;
  score?: string;
  positive?: string;
  /** `measure>=value` or `measure<=value`, repeatable; replaces the policy's bound for that measure. */
  threshold?: string[];
  resamples?: string;
  seed?: string;
}

/** A flag the user must change (exit 2). */
export class FairnessUsageError extends Error {}

function integerFlag(flag: string, value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 0) throw new FairnessUsageError(`${flag} ${value}: give a whole number`);
  return parsed;
}

/** `demographic_parity_ratio>=0.8` → the bound it sets. */
export function parseThresholdFlag(flag: string): [FairnessMeasureName, { min?: number; max?: number }] {
  const match = /^([a-z_]+)\s*(>=|<=)\s*(-?\d+(?:\.\d+)?)$/.exec(flag.trim());
  const measure = match && FairnessMeasureName.safeParse(match[1]);
  if (!match || !measure?.success) {
    throw new FairnessUsageError(
      `--threshold ${flag}: write <measure>>=<value> or <measure><=<value>, measure one of ${FAIRNESS_MEASURE_NAMES.join(', ')}`,
    );
  }
  const value = Number(match[3]);
  return [measure.data, match[2] === '>=' ? { min: value } : { max: value }];
}

function fairnessPolicy(policy: Policy, flags: readonly string[]): FairnessPolicy {
  if (flags.length === 0) return policy.fairness;
  // Bounds given on the command line replace the policy's: the user asked for exactly these.
  const thresholds: FairnessPolicy['thresholds'] = {};
  for (const flag of flags) {
    const [measure, bound] = parseThresholdFlag(flag);
    thresholds[measure] = { ...thresholds[measure], ...bound };
  }
  return { ...policy.fairness, thresholds };
}

/** `assay fairness`: group fairness of a predictions table; exit 1 when a policy threshold fails. */
export async function runFairness(options: FairnessOptions): Promise<number> {
  const policy = await policyFor(options);
  const sensitive = options.sensitive
    .split(',')
    .map((column) => column.trim())
    .filter(Boolean);
  if (sensitive.length === 0) throw new FairnessUsageError('--sensitive needs at least one column name');
  if ((options.prediction === undefined) === (options.model === undefined)) {
    throw new FairnessUsageError('give either --prediction <column> (a predictions file) or --model <file.onnx>');
  }
  if (options.model && options.score)
    throw new FairnessUsageError('--score comes from the model with --model; leave it out');
  const model = options.model ? await modelPredictions(options, sensitive) : undefined;
  const tabular = await tabularFairness({
    data: options.data,
    label: options.label,
    prediction: options.prediction,
    model,
    sensitive,
    score: options.score,
    positiveLabel: options.positive,
    policy: fairnessPolicy(policy, options.threshold ?? []),
    bootstrap: {
      ...DEFAULT_BOOTSTRAP,
      ...(options.resamples ? { resamples: integerFlag('--resamples', options.resamples) } : {}),
      ...(options.seed ? { seed: integerFlag('--seed', options.seed) } : {}),
    },
  }).finally(() => model?.runner.close());
  const section = { tabular };
  const findings = FAIRNESS_RULES.flatMap((rule) => applyRule(rule, section, ruleContext(policy)));
  const report = await audit(options.data, {
    policy,
    ...auditPlan('scan'),
    sections: [() => ({ fairness: section })],
    extraFindings: findings,
    limits: DEFAULT_LIMITS,
    notAnalysedRuleId: NOT_ANALYSED_RULE_ID,
    toolVersion: VERSION,
  });
  await emit([report], options);
  return report.gate.exitCode;
}

/** The ONNX model and its feature columns (default: every column but the label and the sensitive ones, in order). */
async function modelPredictions(options: FairnessOptions, sensitive: readonly string[]): Promise<ModelPredictions> {
  let features = options.features
    ?.split(',')
    .map((column) => column.trim())
    .filter(Boolean);
  if (!features) {
    const first = await readRecords(options.data, { limit: 1 }).next();
    const columns = first.done ? [] : Object.keys(first.value);
    features = columns.filter((column) => column !== options.label && !sensitive.includes(column));
  }
  const decisionThreshold = options.decisionThreshold === undefined ? 0.5 : Number(options.decisionThreshold);
  if (!(decisionThreshold > 0 && decisionThreshold < 1)) {
    throw new FairnessUsageError(
      `--decision-threshold ${options.decisionThreshold}: give a probability between 0 and 1`,
    );
  }
  const runner = await onnxRunner({ path: options.model as string });
  return { runner, features, decisionThreshold };
}

/** Errors that are the user's to fix (a flag, a column, the data file): printed without a stack, exit 2. */
export function isFairnessUserError(error: unknown): boolean {
  return (
    error instanceof FairnessUsageError ||
    error instanceof FairnessDataError ||
    error instanceof TabularError ||
    error instanceof RunnerConfigError
  );
}
