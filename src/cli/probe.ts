import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { auditPlan, NOT_ANALYSED_RULE_ID, RESPONSE_RULES, VERSION } from '../assay.js';
import { FAIRNESS_RULES } from '../checks/fairness/thresholds.js';
import { SAFETY_RULES } from '../checks/safety/probes.js';
import { applyRule, reportWithoutFiles, ruleContext } from '../core/audit.js';
import type { Finding } from '../core/finding.js';
import type { ReportSections } from '../core/report.js';
import { DEFAULT_LIMITS } from '../formats/analyse.js';
import { dimensions, TEMPLATES } from '../knowledge/probes/counterfactual-v1.js';
import { createRunner, RunnerConfigError } from '../runners/index.js';
import type { Runner } from '../runners/types.js';
import { runCounterfactual } from '../suites/fairness/counterfactual.js';
import { DEFAULT_BOOTSTRAP } from '../suites/fairness/statistics.js';
import { ResponseChecker } from '../suites/responses.js';
import { loadPack, PackError } from '../suites/safety/packs.js';
import { runProbes } from '../suites/safety/run.js';
import { ModelSpec } from '../suites/schema.js';
import { emit, policyFor, type ReportCommandOptions } from './scan.js';

export interface ProbeOptions extends ReportCommandOptions {
  endpoint?: string;
  model?: string;
  /** openai-chat (default), openai-completions, ollama-chat, ollama-generate. */
  api: string;
  apiKeyEnv?: string;
  /** A YAML/JSON model block (as in a suite) for any runner: generic HTTP, ONNX, Transformers.js. */
  runnerConfig?: string;
  pack: string[];
  generations?: string;
  seed?: string;
  resamples?: string;
  concurrency?: string;
  timeout?: string;
  judgeEndpoint?: string;
  judgeModel?: string;
  judgeApi: string;
  judgeApiKeyEnv?: string;
}

/** A flag the user must change (exit 2). */
export class ProbeUsageError extends Error {}

/** The pseudo-pack that runs the counterfactual bias probes instead of attacks. */
export const COUNTERFACTUAL_PACK = 'counterfactual';

const HTTP_KINDS = ['openai-chat', 'openai-completions', 'ollama-chat', 'ollama-generate'] as const;

function count(flag: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 0) throw new ProbeUsageError(`${flag} ${value}: give a whole number`);
  return parsed;
}

function httpKind(flag: string, value: string): (typeof HTTP_KINDS)[number] {
  const kind = HTTP_KINDS.find((candidate) => candidate === value);
  if (!kind) throw new ProbeUsageError(`${flag} ${value}: one of ${HTTP_KINDS.join(', ')}`);
  return kind;
}

async function runnerFor(options: ProbeOptions): Promise<{ runner: Runner; target: string }> {
  const settings = {
    ...(options.concurrency ? { concurrency: count('--concurrency', options.concurrency, 4) } : {}),
    ...(options.timeout ? { timeoutMs: count('--timeout', options.timeout, 60_000) } : {}),
  };
  if (options.runnerConfig) {
    const path = resolve(options.runnerConfig);
    const text = await readFile(path, 'utf8').catch((error: Error) => {
      throw new ProbeUsageError(`--runner-config ${options.runnerConfig}: ${error.message}`);
    });
    const parsed = ModelSpec.safeParse(parseYaml(text));
    if (!parsed.success) {
      throw new ProbeUsageError(
        `--runner-config ${options.runnerConfig}: not a model block:\n${z.prettifyError(parsed.error)}`,
      );
    }
    const spec = { ...parsed.data, settings: { ...parsed.data.settings, ...settings } };
    return { runner: await createRunner(spec, resolve(path, '..')), target: spec.url ?? spec.path ?? path };
  }
  if (!options.endpoint || !options.model) {
    throw new ProbeUsageError(
      'assay probe needs --endpoint <url> --model <name> (an OpenAI-compatible or Ollama server), or --runner-config <file>',
    );
  }
  const spec = {
    kind: httpKind('--api', options.api),
    url: options.endpoint,
    model: options.model,
    apiKeyEnv: options.apiKeyEnv,
    settings,
  };
  return { runner: await createRunner(spec, process.cwd()), target: options.endpoint };
}

async function judgeFor(options: ProbeOptions): Promise<Runner | undefined> {
  if (!options.judgeEndpoint && !options.judgeModel) return undefined;
  if (!options.judgeEndpoint || !options.judgeModel) {
    throw new ProbeUsageError('an LLM judge needs both --judge-endpoint <url> and --judge-model <name>');
  }
  return createRunner(
    {
      kind: httpKind('--judge-api', options.judgeApi),
      url: options.judgeEndpoint,
      model: options.judgeModel,
      apiKeyEnv: options.judgeApiKeyEnv,
    },
    process.cwd(),
  );
}

/** "assay probe: 12/27 core" on a terminal's standard error, unless --quiet or --no-progress. */
function progressLine(options: ProbeOptions, stage: string, total: number): (() => void) | undefined {
  if (!options.progress || options.quiet || !process.stderr.isTTY) return undefined;
  let done = 0;
  return () => {
    done++;
    process.stderr.write(`\rassay probe: ${done}/${total} ${stage}${done === total ? '\n' : ''}`);
  };
}

/** `assay probe`: attacks (and, with `--pack counterfactual`, bias probes) against a model; exit 1 when the gate fails. */
export async function runProbe(options: ProbeOptions): Promise<number> {
  const startedAt = new Date().toISOString();
  const policy = await policyFor(options);
  const packNames = options.pack.length > 0 ? options.pack : ['core'];
  const attackPacks = await Promise.all(packNames.filter((name) => name !== COUNTERFACTUAL_PACK).map(loadPack));
  const seed = count('--seed', options.seed, DEFAULT_BOOTSTRAP.seed);
  const bootstrap = {
    ...DEFAULT_BOOTSTRAP,
    seed,
    resamples: count('--resamples', options.resamples, DEFAULT_BOOTSTRAP.resamples),
  };
  const { runner, target } = await runnerFor(options);
  const judge = await judgeFor(options);
  const sections: Partial<ReportSections> = {};
  const context = ruleContext(policy);
  const findings: Finding[] = [];
  const responses = new ResponseChecker(policy.responses.rules);
  try {
    if (attackPacks.length > 0) {
      const generations = Math.max(1, count('--generations', options.generations, 1));
      const safety = await runProbes({
        runner,
        judge,
        packs: attackPacks,
        policy: policy.safety,
        bootstrap,
        generations,
        responses,
        onResult: progressLine(
          options,
          attackPacks.map((pack) => pack.name).join(', '),
          generations * attackPacks.reduce((total, pack) => total + pack.probes.length, 0),
        ),
      });
      sections.safety = safety;
      findings.push(...SAFETY_RULES.flatMap((rule) => applyRule(rule, safety, context)));
    }
    if (packNames.includes(COUNTERFACTUAL_PACK)) {
      const terms = dimensions();
      const counterfactual = await runCounterfactual({
        runner,
        dimensions: terms,
        alpha: policy.fairness.counterfactualAlpha,
        seed,
        responses,
        onResult: progressLine(
          options,
          COUNTERFACTUAL_PACK,
          TEMPLATES.length * terms.reduce((total, dimension) => total + dimension.terms.length, 0),
        ),
      });
      sections.fairness = { counterfactual };
      findings.push(...FAIRNESS_RULES.flatMap((rule) => applyRule(rule, sections.fairness ?? {}, context)));
    }
  } finally {
    await runner.close();
    await judge?.close();
  }
  if (responses.active) {
    sections.responses = responses.section();
    findings.push(
      ...RESPONSE_RULES.all().flatMap((rule) => applyRule(rule, sections.responses ?? responses.section(), context)),
    );
  }
  const report = reportWithoutFiles(
    { kind: 'endpoint', path: target },
    findings,
    {
      policy,
      ...auditPlan('scan'),
      sections: [() => sections],
      limits: DEFAULT_LIMITS,
      notAnalysedRuleId: NOT_ANALYSED_RULE_ID,
      toolVersion: VERSION,
    },
    startedAt,
  );
  await emit([report], options);
  return report.gate.exitCode;
}

/** Errors that are the user's to fix: printed without a stack, exit 2. */
export function isProbeUserError(error: unknown): boolean {
  return error instanceof ProbeUsageError || error instanceof PackError || error instanceof RunnerConfigError;
}
