import { z } from 'zod';
import type { Finding } from '../core/finding.js';
import type { Report } from '../core/report.js';
import { Severity } from '../core/severity.js';

/** What an alert is about; each kind has its own dedup key so cool-downs apply per kind and subject. */
export const AlertKind = z.enum([
  'gate-flipped',
  'new-critical-finding',
  'drift-detected',
  'metric-regression',
  'upstream-changed',
]);
export type AlertKind = z.infer<typeof AlertKind>;

export const Alert = z.object({
  kind: AlertKind,
  model: z.string(),
  severity: Severity,
  title: z.string(),
  message: z.string(),
  /** Same key = same alert for deduplication and cool-down (e.g. the rule and file of a finding). */
  dedupKey: z.string(),
  auditId: z.string().optional(),
  details: z.record(z.string(), z.unknown()).default({}),
  at: z.string(),
});
export type Alert = z.infer<typeof Alert>;

export interface AuditOutcome {
  id: string;
  model: string;
  report: Report;
}

/**
 * Alerts that follow from a new audit compared with the one before it for the same model: the gate verdict
 * flipped, critical findings that were not there before, and (for Hub targets) a different upstream commit.
 */
export function alertsBetween(previous: AuditOutcome | undefined, current: AuditOutcome, at: string): Alert[] {
  const alerts: Alert[] = [];
  const { model, report } = current;
  const base = { model, auditId: current.id, at };
  if (previous && previous.report.verdict !== report.verdict) {
    const failed = report.verdict === 'fail';
    alerts.push({
      ...base,
      kind: 'gate-flipped',
      severity: failed ? 'high' : 'info',
      title: `${model}: the gate now ${failed ? 'FAILS' : 'passes'}`,
      message: failed
        ? `The gate flipped from pass to fail: ${report.gate.reasons.join('; ')}`
        : 'The gate flipped from fail to pass.',
      dedupKey: `gate-flipped:${report.verdict}`,
      details: { from: previous.report.verdict, to: report.verdict, reasons: report.gate.reasons },
    });
  }
  const known = new Set((previous?.report.findings ?? []).map(findingKey));
  for (const finding of report.findings) {
    if (finding.suppressed || finding.severity !== 'critical' || known.has(findingKey(finding))) continue;
    alerts.push({
      ...base,
      kind: 'new-critical-finding',
      severity: 'critical',
      title: `${model}: new critical finding ${finding.ruleId}`,
      message: `${finding.file ? `${finding.file}: ` : ''}${finding.message}`,
      dedupKey: `new-critical-finding:${findingKey(finding)}`,
      details: { ruleId: finding.ruleId, file: finding.file, location: finding.location },
    });
  }
  const before = previous && upstreamCommit(previous.report);
  const after = upstreamCommit(report);
  if (before && after && before !== after) {
    alerts.push({
      ...base,
      kind: 'upstream-changed',
      severity: 'medium',
      title: `${model}: upstream revision changed`,
      message: `The upstream repository now resolves to ${after} (was ${before}).`,
      dedupKey: `upstream-changed:${after}`,
      details: { from: before, to: after },
    });
  }
  return alerts;
}

function findingKey(finding: Finding): string {
  return [finding.ruleId, finding.file ?? '', finding.location?.member ?? ''].join('|');
}

/** The commit a Hub target resolved to, when the report says (hf://org/name@<40-hex> or the hub finding). */
function upstreamCommit(report: Report): string | undefined {
  const pinned = /@([0-9a-f]{40})$/.exec(report.target.path)?.[1];
  if (pinned) return pinned;
  for (const finding of report.findings) {
    const commit = finding.evidence?.commit;
    if (finding.ruleId === 'provenance/unpinned-revision' && typeof commit === 'string') return commit;
  }
  return undefined;
}
