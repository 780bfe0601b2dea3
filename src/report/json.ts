import type { Report } from '../core/report.js';
import type { RuleMeta } from '../core/rule.js';

/** The report itself: the single source of truth, keys in the order the report object has them. */
export function renderJson(report: Report, _rules: RuleMeta[]): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}
