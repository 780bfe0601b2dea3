import type { Report } from '../core/report.js';
import type { RuleMeta } from '../core/rule.js';
import { REPORT_SECTIONS } from './sections.js';
import {
  compareStrings,
  describeLocation,
  formatBytes,
  revealControls,
  severityCounts,
  sortFindings,
  summaryLine,
} from './text.js';

/*
 * Markdown for pull-request comments and job summaries (GitHub-flavoured tables). Strings from the report are
 * attacker-controlled, so every one is escaped as plain text: no code spans around them (a backtick inside one cannot
 * be escaped), Markdown punctuation that could open emphasis, links, images or code is backslash-escaped, `|` cannot
 * end a cell, `<` and `>` cannot open HTML, and line breaks cannot end a row.
 */

/** Escapes a string for a GFM table cell (or any inline position). */
export function escapeMarkdown(text: string): string {
  return revealControls(text.replace(/\r\n|\r|\n/g, ' '))
    .replace(/[\\`*_[\]|~]/g, (char) => `\\${char}`)
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;');
}

const md = escapeMarkdown;

function row(cells: string[]): string {
  return `| ${cells.join(' | ')} |`;
}

/** The Markdown report: title, verdict, summary, findings, files. */
export function renderMarkdown(report: Report, rules: RuleMeta[]): string {
  const out: string[] = [];
  const verdict = report.verdict === 'pass' ? 'PASS' : 'FAIL';

  out.push(`# Assay report: ${md(report.target.path)}`, '');
  out.push(
    `**Verdict: ${verdict}** ${report.verdict === 'pass' ? '✅' : '❌'} (fails on ${md(report.gate.failOn)} and above)`,
    '',
  );
  for (const reason of report.gate.reasons) out.push(`- ${md(reason)}`);
  if (report.gate.reasons.length > 0) out.push('');
  out.push(
    `Target: ${md(report.target.path)} (${md(report.target.kind)}), ${report.summary.files} files, ${formatBytes(report.summary.bytes)}. ` +
      `Audited by assay ${md(report.tool.version)}, ${md(report.startedAt)} to ${md(report.finishedAt)}.`,
    '',
  );

  out.push('## Summary', '');
  out.push(row(['Severity', 'Findings']), row(['---', '---:']));
  for (const { severity, count } of severityCounts(report)) out.push(row([severity, String(count)]));
  out.push(row(['suppressed', String(report.summary.suppressed)]));
  out.push(row(['not analysed', String(report.summary.notAnalysed)]));
  out.push('', md(summaryLine(report)), '');

  const findings = sortFindings(report.findings);
  out.push('## Findings', '');
  if (findings.length === 0) out.push('No findings.', '');
  else {
    out.push(row(['Severity', 'Rule', 'File', 'Location', 'Message']), row(['---', '---', '---', '---', '---']));
    for (const finding of findings) {
      const severity = finding.suppressed ? `${finding.severity} (suppressed)` : `**${finding.severity}**`;
      const message = finding.suppressed
        ? `${md(finding.message)} — suppressed: ${md(finding.suppressed.reason)}`
        : md(finding.message);
      out.push(
        row([
          severity,
          md(finding.ruleId),
          finding.file === undefined ? '(general)' : md(finding.file),
          md(describeLocation(finding.location) ?? ''),
          message,
        ]),
      );
    }
    out.push('');

    // One remediation per rule that fired, rather than a wide column repeated on every row.
    const seen = new Map<string, { title: string; remediation: string }>();
    for (const finding of findings) {
      if (!seen.has(finding.ruleId)) seen.set(finding.ruleId, finding);
    }
    const metas = new Map(rules.map((rule) => [rule.id, rule]));
    out.push('### What to do', '');
    for (const [id, finding] of [...seen].sort(([a], [b]) => compareStrings(a, b))) {
      const remediation = metas.get(id)?.remediation ?? finding.remediation;
      out.push(`- **${md(id)}** (${md(finding.title)}): ${md(remediation)}`);
    }
    out.push('');
  }

  for (const section of REPORT_SECTIONS.filter((candidate) => candidate.present(report)))
    out.push(`## ${section.title}`, '', ...section.markdown(report), '');

  const files = [...report.files].sort((a, b) => compareStrings(a.path, b.path));
  out.push('## Files', '');
  if (files.length === 0) out.push('No files.', '');
  else {
    out.push(row(['Path', 'Format', 'Size', 'SHA-256']), row(['---', '---', '---:', '---']));
    for (const file of files) {
      const size = file.size < 1024 ? formatBytes(file.size) : `${formatBytes(file.size)} (${file.size} B)`;
      out.push(row([md(file.path), md(file.format), size, md(file.sha256)]));
    }
    out.push('');
  }

  return `${out.join('\n').replace(/\n+$/, '')}\n`;
}
