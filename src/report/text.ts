import type { Finding } from '../core/finding.js';
import type { Report } from '../core/report.js';
import type { RuleMeta } from '../core/rule.js';
import { SEVERITIES, type Severity, severityRank } from '../core/severity.js';
import { REPORT_SECTIONS } from './sections.js';

/*
 * The terminal renderer, plus the small helpers the other human-facing renderers (HTML, Markdown) share:
 * the one finding order, grouping by file, offsets, sizes and the summary line.
 */

export interface TextOptions {
  /** Colour with ANSI escapes. Off unless asked for: the caller knows whether stdout is a terminal. */
  color?: boolean;
}

/** Code-point order. Unlike localeCompare it is the same on every machine, so reports stay byte-identical. */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** File path (no file first), severity (critical first), rule id, offset; member and message break ties. */
export function compareFindings(a: Finding, b: Finding): number {
  return (
    compareStrings(a.file ?? '', b.file ?? '') ||
    severityRank(b.severity) - severityRank(a.severity) ||
    compareStrings(a.ruleId, b.ruleId) ||
    (a.location?.offset ?? -1) - (b.location?.offset ?? -1) ||
    compareStrings(a.location?.member ?? '', b.location?.member ?? '') ||
    (a.location?.line ?? 0) - (b.location?.line ?? 0) ||
    compareStrings(a.message, b.message)
  );
}

export function sortFindings(findings: readonly Finding[]): Finding[] {
  return [...findings].sort(compareFindings);
}

export interface FindingGroup {
  /** Undefined for the "general" group: findings about the target as a whole. */
  file?: string;
  findings: Finding[];
}

/** Findings grouped by file in the order of compareFindings; the general group (no file) comes first. */
export function groupFindings(findings: readonly Finding[]): FindingGroup[] {
  const groups: FindingGroup[] = [];
  for (const finding of sortFindings(findings)) {
    const last = groups.at(-1);
    if (last && last.file === finding.file) last.findings.push(finding);
    else groups.push({ file: finding.file, findings: [finding] });
  }
  return groups;
}

/** `42 (0x2a)` */
export function formatOffset(offset: number): string {
  return `${offset} (0x${offset.toString(16)})`;
}

/** Where inside the file, in words: `in archive/data.pkl at offset 42 (0x2a)`; undefined when nothing is known. */
export function describeLocation(location: Finding['location']): string | undefined {
  if (!location) return undefined;
  const parts: string[] = [];
  if (location.member !== undefined) parts.push(`in ${location.member}`);
  if (location.offset !== undefined) parts.push(`at offset ${formatOffset(location.offset)}`);
  if (location.line !== undefined) parts.push(`${location.offset === undefined ? 'at ' : ''}line ${location.line}`);
  return parts.length > 0 ? parts.join(' ') : undefined;
}

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

/** `1.3 MiB`; bytes below 1 KiB are printed exactly. */
export function formatBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(1)} ${UNITS[unit]}`;
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

/** Unsuppressed findings per severity, from the report's summary (the single source of truth). */
export function severityCounts(report: Report): { severity: Severity; count: number }[] {
  return SEVERITIES.map((severity) => ({ severity, count: report.summary.findings[severity] ?? 0 }));
}

export function totalFindings(report: Report): number {
  return severityCounts(report).reduce((sum, { count }) => sum + count, 0);
}

/**
 * `assay: 3 files, 2 findings (1 critical, 1 high), 1 suppressed, verdict FAIL (fail-on high)`.
 * Suppressed and not-analysed counts appear only when non-zero.
 */
export function summaryLine(report: Report, paint: Paint = PLAIN): string {
  const counts = severityCounts(report)
    .filter(({ count }) => count > 0)
    .map(({ severity, count }) => paint.severity(severity, `${count} ${severity}`));
  const parts = [
    plural(report.summary.files, 'file'),
    `${plural(totalFindings(report), 'finding')}${counts.length > 0 ? ` (${counts.join(', ')})` : ''}`,
  ];
  if (report.summary.suppressed > 0) parts.push(`${report.summary.suppressed} suppressed`);
  if (report.summary.notAnalysed > 0) parts.push(`${report.summary.notAnalysed} not analysed`);
  const verdict = paint.verdict(report.verdict, report.verdict.toUpperCase());
  return `assay: ${parts.join(', ')}, verdict ${verdict} (fail-on ${report.gate.failOn})`;
}

// Control characters (C0, DEL, C1) and bidirectional overrides. File names, messages and evidence come from the
// audited files: printed raw, an escape sequence could rewrite the terminal and an override could reorder a name.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point.
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/**
 * Makes control and bidi characters visible (`\x1b`, `\u202e`) so one string stays one line and reads as it is.
 * With `keepLayout`, tab, newline and carriage return are left alone (for HTML, where they are only whitespace).
 */
export function revealControls(text: string, keepLayout = false): string {
  return text.replace(UNSAFE, (char) => {
    const code = char.charCodeAt(0);
    if (keepLayout && (code === 0x09 || code === 0x0a || code === 0x0d)) return char;
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

interface Paint {
  severity(severity: Severity, text: string): string;
  verdict(verdict: Report['verdict'], text: string): string;
  bold(text: string): string;
  dim(text: string): string;
}

const PLAIN: Paint = {
  severity: (_severity, text) => text,
  verdict: (_verdict, text) => text,
  bold: (text) => text,
  dim: (text) => text,
};

const ESC = '\u001b[';
const RESET = `${ESC}0m`;
const SEVERITY_SGR: Record<Severity, string> = {
  critical: '1;97;41', // bold white on red
  high: '1;31', // bold red
  medium: '33', // yellow
  low: '36', // cyan
  info: '2', // dim
};

const ANSI: Paint = {
  severity: (severity, text) => `${ESC}${SEVERITY_SGR[severity]}m${text}${RESET}`,
  verdict: (verdict, text) => `${ESC}${verdict === 'pass' ? '1;32' : '1;31'}m${text}${RESET}`,
  bold: (text) => `${ESC}1m${text}${RESET}`,
  dim: (text) => `${ESC}2m${text}${RESET}`,
};

const LABEL_WIDTH = Math.max(...SEVERITIES.map((severity) => severity.length));
const INDENT = ' '.repeat(2 + LABEL_WIDTH + 2);

function renderFinding(finding: Finding, paint: Paint): string[] {
  const label = finding.severity.toUpperCase().padEnd(LABEL_WIDTH);
  const head = `  ${paint.severity(finding.severity, label)}  ${paint.bold(finding.ruleId)}  ${revealControls(finding.message)}`;
  const lines = [finding.suppressed ? paint.dim(head) : head];
  const where = describeLocation(finding.location);
  if (where) lines.push(`${INDENT}${revealControls(where)}`);
  if (finding.suppressed)
    lines.push(`${INDENT}${paint.dim(`suppressed: ${revealControls(finding.suppressed.reason)}`)}`);
  else lines.push(`${INDENT}${paint.dim('fix:')} ${revealControls(finding.remediation)}`);
  return lines;
}

/** The terminal report: findings grouped by file, one line each, then the gate's reasons and one summary line. */
export function renderText(report: Report, _rules: RuleMeta[], options: TextOptions = {}): string {
  const paint = options.color ? ANSI : PLAIN;
  const formats = new Map(report.files.map((file) => [file.path, file.format]));
  const lines: string[] = [
    `assay ${revealControls(report.tool.version)}: audit of ${revealControls(report.target.path)} (${report.target.kind}), ` +
      `${plural(report.summary.files, 'file')}, ${formatBytes(report.summary.bytes)}`,
  ];

  const groups = groupFindings(report.findings);
  if (groups.length === 0) lines.push('', 'No findings.');
  for (const group of groups) {
    const format = group.file === undefined ? undefined : formats.get(group.file);
    const title = group.file === undefined ? 'general' : revealControls(group.file);
    lines.push('', `${paint.bold(title)}${format ? paint.dim(`  (${format})`) : ''}`);
    for (const finding of group.findings) lines.push(...renderFinding(finding, paint));
  }

  for (const section of REPORT_SECTIONS.filter((candidate) => candidate.present(report))) {
    lines.push('', paint.bold(section.title));
    for (const line of section.text(report)) lines.push(`  ${revealControls(line)}`);
  }

  lines.push('');
  for (const reason of report.gate.reasons) lines.push(`gate: ${revealControls(reason)}`);
  lines.push(summaryLine(report, paint));
  return `${lines.join('\n')}\n`;
}
