import type { Artifact } from '../formats/facts.js';
import { classifyGlobal } from '../knowledge/classify-global.js';
import { type Snapshot, type SnapshotOptions, snapshotLocal } from '../targets/local.js';
import type { Finding } from './finding.js';
import type { Policy } from './policy.js';
import { type Report, type ReportSections, SCHEMA_VERSION } from './report.js';
import type { Rule, RuleContext } from './rule.js';
import { atLeast, SEVERITIES, type Severity, severityRank } from './severity.js';

export interface AuditOptions extends Omit<SnapshotOptions, 'ignore'> {
  policy: Policy;
  rules: readonly Rule<Artifact>[];
  /** Rules that judge all artifacts together (cross-file checks). */
  modelRules?: readonly Rule<readonly Artifact[]>[];
  /** Id of the rule whose findings mean "not analysed" (they exit 2 rather than 1). */
  notAnalysedRuleId: string;
  toolVersion: string;
  /** Facts gathered before the snapshot (e.g. how a Hub target was resolved and verified). */
  extraArtifacts?: readonly Artifact[];
  /** The target as the user named it, when the audited folder is a download of it. */
  displayTarget?: string;
  /** Runs after the snapshot, before the rules: adds facts that need more than the files (e.g. ancestors' cards). */
  enrich?: (artifacts: readonly Artifact[]) => Promise<readonly Artifact[]>;
  /** Builders of the report's pillar sections, from the same artifacts and policy the rules saw. */
  sections?: readonly SectionBuilder[];
  /** Findings judged outside the artifact rules (e.g. on an evaluation run), counted in the same gate. */
  extraFindings?: readonly Finding[];
  now?: () => Date;
}

/** Builds one or more report sections; pure, like a rule. */
export type SectionBuilder = (artifacts: readonly Artifact[], context: RuleContext) => Partial<ReportSections>;

/** target → snapshot → rules → findings → gate → report. */
export async function audit(target: string, options: AuditOptions): Promise<Report> {
  const now = options.now ?? (() => new Date());
  const startedAt = now().toISOString();
  const snapshot = await snapshotLocal(target, { ...options, ignore: options.policy.ignorePaths });
  snapshot.artifacts.push(...(options.extraArtifacts ?? []));
  if (options.enrich) snapshot.artifacts.push(...(await options.enrich(snapshot.artifacts)));
  const findings = [...judge(snapshot.artifacts, options), ...(options.extraFindings ?? [])].sort(compareFindings);
  return buildReport(options.displayTarget ?? target, snapshot, findings, options, startedAt, now().toISOString());
}

/**
 * A report on a target that is not a local file or folder (a model behind an HTTP endpoint, probed with
 * `assay probe`): no files and no artifact rules, only the findings judged on what the model answered.
 */
export function reportWithoutFiles(
  target: Report['target'],
  findings: readonly Finding[],
  options: AuditOptions,
  startedAt: string,
): Report {
  const now = options.now ?? (() => new Date());
  const empty: Snapshot = { kind: 'file', root: target.path, files: [], artifacts: [] };
  const report = buildReport(
    target.path,
    empty,
    [...findings].sort(compareFindings),
    options,
    startedAt,
    now().toISOString(),
  );
  return { ...report, target };
}

export function judge(
  artifacts: readonly Artifact[],
  options: Pick<AuditOptions, 'policy' | 'rules' | 'modelRules'>,
): Finding[] {
  const context = ruleContext(options.policy);
  const findings: Finding[] = [];
  for (const artifact of artifacts)
    for (const rule of options.rules) findings.push(...applyRule(rule, artifact, context));
  for (const rule of options.modelRules ?? []) findings.push(...applyRule(rule, artifacts, context));
  return findings.sort(compareFindings);
}

/** Runs one rule on one subject; the policy may override the severity. */
export function applyRule<T>(rule: Rule<T>, subject: T, context: RuleContext): Finding[] {
  const { meta } = rule;
  return [...rule.check(subject, context)].map((draft) => ({
    ruleId: meta.id,
    severity: context.policy.severity[meta.id] ?? draft.severity ?? meta.severity,
    pillar: meta.pillar,
    title: meta.title,
    message: draft.message,
    file: draft.file,
    location: draft.location,
    evidence: draft.evidence,
    remediation: meta.remediation,
    references: draft.references ?? meta.references,
  }));
}

export function ruleContext(policy: Policy): RuleContext {
  return { allowedGlobals: new Map(policy.allowGlobals.map((entry) => [entry.global, entry.reason])), policy };
}

function compareFindings(a: Finding, b: Finding): number {
  return (
    compare(a.file ?? '', b.file ?? '') ||
    compare(a.location?.member ?? '', b.location?.member ?? '') ||
    severityRank(b.severity) - severityRank(a.severity) ||
    compare(a.ruleId, b.ruleId) ||
    (a.location?.offset ?? -1) - (b.location?.offset ?? -1) ||
    compare(a.message, b.message)
  );
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function buildReport(
  target: string,
  snapshot: Snapshot,
  findings: Finding[],
  options: AuditOptions,
  startedAt: string,
  finishedAt: string,
): Report {
  const { policy } = options;
  const active = findings.filter((finding) => !finding.suppressed);
  const counts = Object.fromEntries(SEVERITIES.map((severity) => [severity, 0])) as Record<Severity, number>;
  for (const finding of active) counts[finding.severity]++;
  const failing = active.filter((finding) => atLeast(finding.severity, policy.failOn));
  const notAnalysed = active.filter((finding) => finding.ruleId === options.notAnalysedRuleId);
  const failingOnFindings = failing.filter((finding) => finding.ruleId !== options.notAnalysedRuleId);
  const failingNotAnalysed = policy.failOnNotAnalysed
    ? failing.filter((finding) => finding.ruleId === options.notAnalysedRuleId)
    : [];
  const reasons = [
    ...(failingOnFindings.length > 0 ? [`${failingOnFindings.length} finding(s) at or above ${policy.failOn}`] : []),
    ...(failingNotAnalysed.length > 0 ? [`${failingNotAnalysed.length} item(s) could not be analysed`] : []),
  ];
  const exitCode = failingOnFindings.length > 0 ? 1 : failingNotAnalysed.length > 0 ? 2 : 0;
  const context = ruleContext(policy);
  return {
    schemaVersion: SCHEMA_VERSION,
    tool: { name: 'assay', version: options.toolVersion },
    target: { kind: snapshot.kind, path: target },
    startedAt,
    finishedAt,
    files: snapshot.files.map(({ path, size, sha256, format }) => ({ path, size, sha256, format })),
    findings,
    summary: {
      files: snapshot.files.length,
      bytes: snapshot.files.reduce((total, file) => total + file.size, 0),
      findings: counts,
      suppressed: findings.length - active.length,
      notAnalysed: notAnalysed.length,
    },
    gate: { failOn: policy.failOn, failOnNotAnalysed: policy.failOnNotAnalysed, reasons, exitCode },
    verdict: exitCode === 0 ? 'pass' : 'fail',
    security: {
      rulesRun: [...options.rules, ...(options.modelRules ?? [])].map((rule) => rule.meta.id).sort(),
      globals: snapshot.artifacts.flatMap((artifact) =>
        artifact.facts.flatMap((fact) => {
          if (fact.kind !== 'pickle-global') return [];
          const verdict = classifyGlobal(fact.module, fact.name, context.allowedGlobals).verdict;
          return [{ file: artifact.file, member: artifact.member, global: `${fact.module}.${fact.name}`, verdict }];
        }),
      ),
    },
    ...Object.assign({}, ...(options.sections ?? []).map((build) => build(snapshot.artifacts, context))),
  };
}
