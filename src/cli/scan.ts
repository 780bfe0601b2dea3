import { writeFile } from 'node:fs/promises';
import { BUILT_IN_MODEL_RULES, BUILT_IN_RULES, builtInRuleMetas, NOT_ANALYSED_RULE_ID, VERSION } from '../assay.js';
import { audit } from '../core/audit.js';
import { DEFAULT_POLICY, loadPolicy, type Policy } from '../core/policy.js';
import type { Severity } from '../core/severity.js';
import { DEFAULT_LIMITS } from '../formats/analyse.js';
import type { Artifact, Fact } from '../formats/facts.js';
import { type OutputFormat, render } from '../report/index.js';
import { type HubTarget, resolveHubTarget } from '../targets/hub.js';
import { progressReporter } from './progress.js';

export interface ScanOptions {
  format: OutputFormat;
  output?: string;
  policy?: string;
  failOn?: Severity;
  quiet?: boolean;
  progress: boolean;
  /** Read tensor data for weight sanity checks. */
  deep?: boolean;
}

/** Runs the audit, writes the report, and returns the exit code the gate decided. */
export async function runScan(target: string, options: ScanOptions): Promise<number> {
  const loaded: Policy = options.policy ? await loadPolicy(options.policy) : DEFAULT_POLICY;
  const policy: Policy = options.failOn ? { ...loaded, failOn: options.failOn } : loaded;
  const progress =
    options.progress && !options.quiet && process.stderr.isTTY ? progressReporter(process.stderr) : undefined;
  const hub = target.startsWith(HUB_PREFIX) ? await resolveHubTarget(target.slice(HUB_PREFIX.length)) : undefined;
  const report = await audit(hub?.folder ?? target, {
    extraArtifacts: hub && [hubArtifact(hub)],
    displayTarget: target,
    policy,
    rules: BUILT_IN_RULES.all(),
    modelRules: BUILT_IN_MODEL_RULES.all(),
    limits: { ...DEFAULT_LIMITS, deep: options.deep ?? false },
    notAnalysedRuleId: NOT_ANALYSED_RULE_ID,
    toolVersion: VERSION,
    onProgress: progress?.update,
  });
  progress?.done();
  const rules = builtInRuleMetas();
  if (options.output) {
    await writeFile(options.output, render(options.format, report, rules));
    if (!options.quiet && options.format !== 'text') {
      process.stderr.write(
        render('text', report, rules, { color: process.stderr.isTTY }).split('\n').filter(Boolean).pop() ?? '',
      );
      process.stderr.write('\n');
    }
  } else if (!options.quiet) {
    process.stdout.write(
      render(options.format, report, rules, { color: options.format === 'text' && process.stdout.isTTY }),
    );
  }
  return report.gate.exitCode;
}

const HUB_PREFIX = 'hf://';

/** How the Hub target was resolved and verified, as facts for the provenance rules. */
function hubArtifact(hub: HubTarget): Artifact {
  const facts: Fact[] = hub.problems.map((problem) => ({
    kind: 'hub-file-rejected',
    path: problem.file,
    detail: problem.detail,
  }));
  if (!hub.pinned) facts.push({ kind: 'hub-unpinned', repo: hub.repo, revision: hub.revision, commit: hub.commit });
  return { file: hub.repo, format: 'unknown', origin: { via: 'file' }, depth: 0, facts };
}
