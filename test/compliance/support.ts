/** Audits a model folder the way `assay audit` does (compliance rules, section, lineage from a cards folder). */
import { auditPlan, NOT_ANALYSED_RULE_ID, VERSION } from '../../src/assay.js';
import { lineageEnricher } from '../../src/compliance/licence-lineage.js';
import { audit } from '../../src/core/audit.js';
import { Policy } from '../../src/core/policy.js';
import type { Report } from '../../src/core/report.js';
import { tempFolder } from '../helpers.js';

export interface ComplianceAuditOptions {
  /** Policy as a user writes it (defaults filled in by the schema). */
  policy?: Record<string, unknown>;
  /** Ancestor cards: `<org>/<name>/README.md` → text. */
  cards?: Record<string, string>;
}

export async function auditCompliance(
  files: Record<string, Uint8Array | string>,
  options: ComplianceAuditOptions = {},
): Promise<Report> {
  const folder = await tempFolder(files);
  const cardsFolder = options.cards ? await tempFolder(options.cards) : undefined;
  return audit(folder, {
    ...auditPlan('audit'),
    policy: Policy.parse(options.policy ?? {}),
    notAnalysedRuleId: NOT_ANALYSED_RULE_ID,
    toolVersion: VERSION,
    enrich: lineageEnricher({ cardsFolder }),
  });
}

/** A model card with the given front matter lines. */
export function card(...lines: string[]): string {
  return `---\n${lines.join('\n')}\n---\n# Model\n`;
}

export function findingsOf(report: Report, ruleId: string) {
  return report.findings.filter((finding) => finding.ruleId === ruleId);
}
