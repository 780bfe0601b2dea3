import { createHash } from 'node:crypto';
import type { SafetyPolicy, SafetySection } from '../../core/sections/safety.js';
import type { Probe, ProbeCategory, ProbePack } from '../../knowledge/probes/schema.js';
import type { RunCase, Runner, RunResult } from '../../runners/types.js';
import { type BootstrapSettings, proportionInterval } from '../fairness/statistics.js';
import type { ResponseChecker } from '../responses.js';
import { type DetectorVerdict, runDetector } from './detectors.js';
import { judgeOutputs } from './judge.js';

export interface ProbeRunOptions {
  runner: Runner;
  packs: readonly ProbePack[];
  policy: SafetyPolicy;
  bootstrap: BootstrapSettings;
  /** Outputs per probe (default 1: runners use temperature 0, so repeats only help with sampling models). */
  generations?: number;
  /** Opt-in LLM judge; absent unless the user configured one. */
  judge?: Runner;
  onResult?: (result: RunResult) => void;
  /** The acceptable-response policy, fed every output. */
  responses?: ResponseChecker;
}

/** The run's canary: derived from the seed so a rerun plants the same secret (and hits the response cache). */
export function canaryFor(seed: number): string {
  return `ASSAY-${createHash('sha256').update(`assay-canary:${seed}`).digest('hex').slice(0, 12).toUpperCase()}`;
}

interface Attempt {
  caseId: string;
  pack: ProbePack;
  probe: Probe;
  generation: number;
}

const attackMessage = (probe: Probe) => probe.messages.at(-1)?.content ?? '';

/** Sends every probe of every pack through the runner, judges each output, and scores attack success. */
export async function runProbes(options: ProbeRunOptions): Promise<SafetySection> {
  const generations = options.generations ?? 1;
  const canary = canaryFor(options.bootstrap.seed);
  const attempts: Attempt[] = options.packs.flatMap((pack) =>
    pack.probes.flatMap((probe) =>
      Array.from({ length: generations }, (_, generation) => ({
        caseId: `${pack.name}@${pack.version}/${probe.id}#${generation}`,
        pack,
        probe,
        generation,
      })),
    ),
  );
  const cases: RunCase[] = attempts.map(({ caseId, pack, probe }) => ({
    id: caseId,
    input: {
      kind: 'chat',
      messages: [{ role: 'system', content: pack.systemPrompt.replaceAll('{{canary}}', canary) }, ...probe.messages],
    },
  }));
  const results = await options.runner.run(cases, { onResult: options.onResult });
  const outputs = new Map(
    results.flatMap((result) => (result.output?.kind === 'text' ? [[result.id, result.output.text] as const] : [])),
  );
  for (const attempt of attempts) {
    const output = outputs.get(attempt.caseId);
    if (output !== undefined)
      options.responses?.add({ caseId: attempt.caseId, prompt: attackMessage(attempt.probe), output });
  }
  const judged = options.judge
    ? await judgeOutputs(
        options.judge,
        attempts.flatMap((attempt) => {
          const output = outputs.get(attempt.caseId);
          return output === undefined ? [] : [{ id: attempt.caseId, prompt: attackMessage(attempt.probe), output }];
        }),
      )
    : undefined;

  const outcomes = attempts.map((attempt) => {
    const output = outputs.get(attempt.caseId);
    if (output === undefined) return { attempt, output, verdicts: [] as DetectorVerdict[], hit: false };
    const verdicts = attempt.probe.detectors.map((spec) => runDetector(spec, { output, canary }));
    const judgeVerdict = judged?.get(attempt.caseId);
    if (judgeVerdict) verdicts.push(judgeVerdict);
    return { attempt, output, verdicts, hit: verdicts.some((verdict) => verdict.hit) };
  });

  const rate = (selected: typeof outcomes) => {
    const judgedOutcomes = selected.filter((outcome) => outcome.output !== undefined);
    const hits = judgedOutcomes.filter((outcome) => outcome.hit).length;
    const interval = proportionInterval(hits, judgedOutcomes.length, options.bootstrap);
    return {
      outputs: judgedOutcomes.length,
      hits,
      errors: selected.length - judgedOutcomes.length,
      attackSuccessRate: judgedOutcomes.length === 0 ? null : hits / judgedOutcomes.length,
      ...(interval ? { interval } : {}),
    };
  };

  const categories = [...new Set(attempts.map((attempt) => attempt.probe.category))].sort();
  const categoryRates = categories.map((category: ProbeCategory) => {
    const threshold = options.policy.categories[category] ?? options.policy.maxAttackSuccessRate;
    const measured = rate(outcomes.filter((outcome) => outcome.attempt.probe.category === category));
    const passed = measured.attackSuccessRate === null || measured.attackSuccessRate <= threshold;
    return { category, ...measured, threshold, passed };
  });
  const probeKeys = [
    ...new Map(attempts.map((attempt) => [`${attempt.pack.name}/${attempt.probe.id}`, attempt])).values(),
  ];

  return {
    runner: options.runner.describe(),
    ...(options.judge ? { judge: options.judge.describe() } : {}),
    packs: options.packs.map((pack) => ({ name: pack.name, version: pack.version, probes: pack.probes.length })),
    seed: options.bootstrap.seed,
    generations,
    canary,
    bootstrap: {
      ...options.bootstrap,
      method: 'percentile; each output resampled as a Bernoulli draw at the observed rate',
    },
    overall: rate(outcomes),
    categories: categoryRates,
    probes: probeKeys.map(({ pack, probe }) => ({
      id: probe.id,
      pack: `${pack.name}@${pack.version}`,
      category: probe.category,
      goal: probe.goal,
      tags: probe.tags,
      detectors: [...probe.detectors.map((spec): string => spec.kind), ...(options.judge ? ['judge'] : [])],
      ...rate(outcomes.filter((outcome) => outcome.attempt.pack === pack && outcome.attempt.probe === probe)),
    })),
    hitLog: outcomes
      .filter((outcome) => outcome.hit)
      .map(({ attempt, output, verdicts }) => ({
        probe: attempt.probe.id,
        generation: attempt.generation,
        prompt: attackMessage(attempt.probe),
        output: output ?? '',
        verdicts,
      })),
    errors: results.flatMap((result) =>
      result.error ? [{ probe: result.id, message: `${result.error.kind}: ${result.error.message}` }] : [],
    ),
  };
}
