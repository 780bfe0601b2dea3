import type { Report } from '../core/report.js';
import { SEVERITIES } from '../core/severity.js';

/**
 * Where the numbers worth trending come from in a report. A pillar whose section carries numbers (an evaluation
 * score, a drift share) adds one line here; callers can also pass their own through `recordAudit({ metrics })`.
 */
const METRIC_SOURCES: readonly { name: string; reason: string; value: (report: Report) => number | undefined }[] = [
  ...SEVERITIES.map((severity) => ({
    name: `findings.${severity}`,
    reason: 'unsuppressed findings per severity: the first thing a trend should show',
    value: (report: Report) => report.summary.findings[severity] ?? 0,
  })),
  {
    name: 'findings.suppressed',
    reason: 'accepted risk growing quietly',
    value: (report) => report.summary.suppressed,
  },
  {
    name: 'findings.not-analysed',
    reason: 'coverage: content the audit could not read',
    value: (report) => report.summary.notAnalysed,
  },
  { name: 'files', reason: 'files appearing or disappearing between audits', value: (report) => report.summary.files },
  { name: 'bytes', reason: 'model size over time', value: (report) => report.summary.bytes },
];

export function reportMetrics(report: Report): Record<string, number> {
  const metrics: Record<string, number> = {};
  for (const source of METRIC_SOURCES) {
    const value = source.value(report);
    if (value !== undefined && Number.isFinite(value)) metrics[source.name] = value;
  }
  return metrics;
}
