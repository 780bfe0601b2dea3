import type { Finding, Reference } from '../core/finding.js';
import type { Report } from '../core/report.js';
import type { RuleMeta } from '../core/rule.js';
import { SEVERITIES, type Severity, severityRank } from '../core/severity.js';
import { REPORT_SECTIONS } from './sections.js';
import {
  compareStrings,
  describeLocation,
  formatBytes,
  groupFindings,
  revealControls,
  severityCounts,
  summaryLine,
  totalFindings,
} from './text.js';

/*
 * One self-contained page: inline CSS, no script, no fetch. A Content-Security-Policy of `default-src 'none'` backs
 * that up, so even a string that escaped escaping could load nothing. Every string from the report goes through
 * `h()`: file names, messages and evidence come from the audited files. The only links are anchors within the page;
 * reference URLs are printed as text.
 */

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/**
 * Escapes text for element content and quoted attribute values, and makes control and bidi characters visible
 * (tab and newline excepted: in HTML they are whitespace, and evidence JSON needs them inside <pre>).
 */
export function escapeHtml(text: string): string {
  return revealControls(text, true).replace(/[&<>"']/g, (char) => ENTITIES[char]);
}

const h = escapeHtml;

/** Evidence as pretty JSON, whatever it holds (a bigint or a cycle must not break the page). */
function prettyJson(value: unknown): string {
  const seen = new WeakSet<object>();
  try {
    return JSON.stringify(
      value,
      (_key, item: unknown) => {
        if (typeof item === 'bigint') return item.toString();
        if (typeof item === 'object' && item !== null) {
          if (seen.has(item)) return '[circular]';
          seen.add(item);
        }
        return item;
      },
      2,
    );
  } catch {
    return '[evidence that cannot be shown as JSON]';
  }
}

function severityBadge(severity: Severity): string {
  return `<span class="badge ${severity}">${severity}</span>`;
}

function referenceText(reference: Reference): string {
  return reference.url ? `${h(reference.id)} <span class="muted">${h(reference.url)}</span>` : h(reference.id);
}

function findingRow(finding: Finding): string {
  const where = describeLocation(finding.location);
  const details: string[] = [`<div class="message">${h(finding.message)}</div>`];
  if (where) details.push(`<div class="where">${h(where)}</div>`);
  if (finding.suppressed) {
    details.push(`<div class="suppressed-note">Suppressed by policy: ${h(finding.suppressed.reason)}</div>`);
  }
  details.push(`<div class="fix"><span class="label">Fix</span> ${h(finding.remediation)}</div>`);
  if (finding.references.length > 0) {
    details.push(
      `<div class="refs"><span class="label">References</span> ${finding.references.map(referenceText).join('; ')}</div>`,
    );
  }
  if (finding.evidence !== undefined) {
    details.push(`<details><summary>Evidence</summary><pre>${h(prettyJson(finding.evidence))}</pre></details>`);
  }
  return [
    `<tr class="sev-${finding.severity}${finding.suppressed ? ' suppressed' : ''}">`,
    `<td class="sev">${severityBadge(finding.severity)}${finding.suppressed ? '<div class="tag">suppressed</div>' : ''}</td>`,
    `<td class="rule"><code>${h(finding.ruleId)}</code><div class="title">${h(finding.title)}</div><div class="pillar">${h(finding.pillar)}</div></td>`,
    `<td class="details">${details.join('')}</td>`,
    '</tr>',
  ].join('');
}

function worst(findings: readonly Finding[]): Severity | undefined {
  let result: Severity | undefined;
  for (const finding of findings) {
    if (finding.suppressed) continue;
    if (result === undefined || severityRank(finding.severity) > severityRank(result)) result = finding.severity;
  }
  return result;
}

function duration(report: Report): string | undefined {
  const ms = Date.parse(report.finishedAt) - Date.parse(report.startedAt);
  if (!Number.isFinite(ms) || ms < 0) return undefined;
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`;
}

const STYLE = `
:root{--bg:#f5f6f8;--card:#fff;--text:#1f2328;--muted:#656d76;--border:#d8dee4;--head:#f0f2f5;
--critical:#8e0b21;--high:#cf222e;--medium:#b35900;--low:#0969da;--info:#6e7781;--pass:#1a7f37;--fail:#cf222e}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;background:var(--bg);color:var(--text);font:14px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
code,pre,.mono{font-family:ui-monospace,SFMono-Regular,"SF Mono",Menlo,Consolas,"Liberation Mono",monospace;font-size:12.5px}
.top{background:#0d1117;color:#e6edf3;padding:18px 0}
.wrap{max-width:1180px;margin:0 auto;padding:0 28px}
.brand{font-weight:700;font-size:20px;letter-spacing:.02em}
.brand span{color:#7d8590;font-weight:400;font-size:14px;margin-left:8px}
.meta{display:flex;flex-wrap:wrap;gap:6px 24px;margin-top:6px;color:#9da7b3;font-size:13px}
.meta b{color:#e6edf3;font-weight:600}
main.wrap{padding-top:24px;padding-bottom:48px}
.banner{display:flex;align-items:center;gap:24px;padding:20px 24px;border-radius:10px;color:#fff;box-shadow:0 1px 3px rgba(0,0,0,.12)}
.banner.pass{background:linear-gradient(135deg,#1a7f37,#2da44e)}
.banner.fail{background:linear-gradient(135deg,#a40e26,#cf222e)}
.verdict{font-size:34px;font-weight:800;letter-spacing:.06em;line-height:1}
.banner .why{font-size:14px;opacity:.95}
.banner ul{margin:6px 0 0;padding-left:18px}
.summary-line{margin:10px 2px 0;color:var(--muted);font-size:13px}
.cards{display:grid;grid-template-columns:repeat(5,1fr);gap:12px;margin:16px 0 0}
.cards.stats{grid-template-columns:repeat(4,1fr);margin-top:12px}
@media (max-width:720px){.cards,.cards.stats{grid-template-columns:repeat(auto-fit,minmax(110px,1fr))}}
.card{background:var(--card);border:1px solid var(--border);border-radius:8px;padding:10px 14px;border-top:4px solid var(--border)}
.card .n{font-size:26px;font-weight:700;line-height:1.2}
.card .k{color:var(--muted);font-size:12px;text-transform:uppercase;letter-spacing:.05em}
.card.critical{border-top-color:var(--critical)}.card.high{border-top-color:var(--high)}
.card.medium{border-top-color:var(--medium)}.card.low{border-top-color:var(--low)}.card.info{border-top-color:var(--info)}
.card.zero .n{color:#afb8c1}
h2{font-size:18px;margin:32px 0 12px;padding-bottom:6px;border-bottom:1px solid var(--border)}
h3{font-size:15px;margin:22px 0 8px;display:flex;flex-wrap:wrap;align-items:baseline;gap:10px}
h3 .mono{font-size:14px;word-break:break-all}
.muted{color:var(--muted)}
table{width:100%;border-collapse:separate;border-spacing:0;background:var(--card);border:1px solid var(--border);border-radius:8px;overflow:hidden}
th,td{padding:9px 12px;text-align:left;vertical-align:top;border-bottom:1px solid var(--border)}
tr:last-child td{border-bottom:0}
th{background:var(--head);color:var(--muted);font-size:11.5px;font-weight:600;text-transform:uppercase;letter-spacing:.05em}
td.sev{width:104px}
td.rule{width:290px}
td.rule code{font-weight:600;word-break:break-all}
td.rule .title{margin-top:2px}
td.rule .pillar{color:var(--muted);font-size:12px}
td.details .message{font-weight:500}
td.details>div+div,td.details details{margin-top:5px}
.where{color:var(--muted);font-size:13px}
.label{display:inline-block;font-size:11px;font-weight:700;text-transform:uppercase;letter-spacing:.05em;color:var(--muted);margin-right:4px}
.refs{font-size:13px;word-break:break-word}
.badge{display:inline-block;min-width:74px;padding:2px 8px;border-radius:999px;color:#fff;font-size:11.5px;font-weight:700;text-align:center;text-transform:uppercase;letter-spacing:.04em}
.badge.critical{background:var(--critical)}.badge.high{background:var(--high)}.badge.medium{background:var(--medium)}
.badge.low{background:var(--low)}.badge.info{background:var(--info)}
.tag{margin-top:4px;font-size:11px;color:var(--muted);text-transform:uppercase;letter-spacing:.05em}
tr.suppressed td{background:#fafbfc}
tr.suppressed .message,tr.suppressed .title{color:var(--muted)}
.suppressed-note{font-size:13px;color:var(--muted);font-style:italic}
tr.sev-critical td.sev{box-shadow:inset 4px 0 0 var(--critical)}
tr.sev-high td.sev{box-shadow:inset 4px 0 0 var(--high)}
details summary{cursor:pointer;color:var(--low);font-size:13px}
pre{margin:6px 0 0;padding:10px 12px;background:#f6f8fa;border:1px solid var(--border);border-radius:6px;max-height:420px;overflow:auto;white-space:pre-wrap;word-break:break-word}
.hash{word-break:break-all;color:var(--muted)}
td.num{text-align:right;white-space:nowrap}
a{color:var(--low);text-decoration:none}
a:hover{text-decoration:underline}
.empty{background:var(--card);border:1px dashed var(--border);border-radius:8px;padding:18px;color:var(--muted);text-align:center}
footer{margin-top:36px;color:var(--muted);font-size:12px}
@media print{.top{background:#fff;color:#000}.banner{box-shadow:none}details{display:block}}
`;

/** The HTML report: one page that opens anywhere, offline, with nothing to run. */
export function renderHtml(report: Report, rules: RuleMeta[]): string {
  const groups = groupFindings(report.findings);
  const files = [...report.files].sort((a, b) => compareStrings(a.path, b.path));
  const groupIds = new Map<string | undefined, string>(groups.map((group, index) => [group.file, `g${index + 1}`]));
  const fileIds = new Map(files.map((file, index) => [file.path, `f${index + 1}`]));
  const formats = new Map(files.map((file) => [file.path, file.format]));
  const sizes = new Map(files.map((file) => [file.path, file.size]));
  const took = duration(report);
  const total = totalFindings(report);

  const out: string[] = [];
  out.push(
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<meta name="color-scheme" content="light">',
    `<title>Assay report: ${h(report.target.path)} (${report.verdict.toUpperCase()})</title>`,
    `<style>${STYLE}</style>`,
    '</head>',
    '<body>',
  );

  // Header
  out.push(
    '<header class="top"><div class="wrap">',
    `<div class="brand">Assay<span>model audit report</span></div>`,
    '<div class="meta">',
    `<div>Target <b class="mono">${h(report.target.path)}</b> (${h(report.target.kind)})</div>`,
    `<div>Started <b>${h(report.startedAt)}</b></div>`,
    took ? `<div>Took <b>${h(took)}</b></div>` : '',
    `<div>assay <b>${h(report.tool.version)}</b></div>`,
    '</div>',
    '</div></header>',
    '<main class="wrap">',
  );

  // Verdict banner
  const reasons =
    report.gate.reasons.length > 0
      ? `<ul>${report.gate.reasons.map((reason) => `<li>${h(reason)}</li>`).join('')}</ul>`
      : '';
  const why =
    report.verdict === 'pass'
      ? `No unsuppressed finding at or above <b>${h(report.gate.failOn)}</b>.`
      : `The gate fails on findings at or above <b>${h(report.gate.failOn)}</b>.`;
  out.push(
    `<section class="banner ${report.verdict === 'pass' ? 'pass' : 'fail'}" id="verdict">`,
    `<div class="verdict">${report.verdict === 'pass' ? 'PASS' : 'FAIL'}</div>`,
    `<div class="why">${why}${reasons}</div>`,
    '</section>',
    `<p class="summary-line mono">${h(summaryLine(report))}</p>`,
  );

  // Summary cards
  const cards = severityCounts(report).map(
    ({ severity, count }) =>
      `<div class="card ${severity}${count === 0 ? ' zero' : ''}"><div class="n">${count}</div><div class="k">${severity}</div></div>`,
  );
  const extra = [
    ['files', String(report.summary.files)],
    ['total size', formatBytes(report.summary.bytes)],
    ['suppressed', String(report.summary.suppressed)],
    ['not analysed', String(report.summary.notAnalysed)],
  ].map(([label, value]) => `<div class="card"><div class="n">${h(value)}</div><div class="k">${label}</div></div>`);
  out.push(
    `<section class="cards" aria-label="Unsuppressed findings by severity">${cards.join('')}</section>`,
    `<section class="cards stats" aria-label="Totals">${extra.join('')}</section>`,
  );

  // Findings
  out.push(
    `<h2 id="findings">Findings <span class="muted">(${total} unsuppressed${report.summary.suppressed > 0 ? `, ${report.summary.suppressed} suppressed` : ''})</span></h2>`,
  );
  if (groups.length === 0) out.push('<div class="empty">No findings.</div>');
  for (const group of groups) {
    const id = groupIds.get(group.file);
    const heading =
      group.file === undefined
        ? '<span>General</span><span class="muted">findings about the target as a whole</span>'
        : [
            `<span class="mono">${h(group.file)}</span>`,
            formats.has(group.file)
              ? `<span class="muted">${h(formats.get(group.file) as string)}, ${h(formatBytes(sizes.get(group.file) as number))}</span>`
              : '',
            fileIds.has(group.file) ? `<a href="#${fileIds.get(group.file)}">file details</a>` : '',
          ].join('');
    out.push(
      `<section class="group" id="${id}">`,
      `<h3>${heading}</h3>`,
      '<table><thead><tr><th>Severity</th><th>Rule</th><th>Finding</th></tr></thead><tbody>',
      ...group.findings.map(findingRow),
      '</tbody></table>',
      '</section>',
    );
  }

  for (const section of REPORT_SECTIONS.filter((candidate) => candidate.present(report)))
    out.push(
      `<h2 id="${section.id}">${h(section.title)}</h2>`,
      `<section class="pillar">${section.html(report)}</section>`,
    );

  // Files
  const byFile = new Map<string, Finding[]>();
  for (const finding of report.findings) {
    if (finding.file === undefined) continue;
    const list = byFile.get(finding.file) ?? [];
    list.push(finding);
    byFile.set(finding.file, list);
  }
  out.push(`<h2 id="files">Files <span class="muted">(${files.length})</span></h2>`);
  if (files.length === 0) out.push('<div class="empty">No files.</div>');
  else {
    out.push(
      '<table><thead><tr><th>Path</th><th>Format</th><th class="num">Size</th><th>SHA-256</th><th>Findings</th></tr></thead><tbody>',
    );
    for (const file of files) {
      const findings = byFile.get(file.path) ?? [];
      const top = worst(findings);
      const open = findings.filter((finding) => !finding.suppressed).length;
      const cell =
        findings.length === 0
          ? '<span class="muted">none</span>'
          : `<a href="#${groupIds.get(file.path)}">${top ? `${severityBadge(top)} ` : ''}${open} open${findings.length > open ? `, ${findings.length - open} suppressed` : ''}</a>`;
      out.push(
        `<tr id="${fileIds.get(file.path)}">`,
        `<td class="mono">${h(file.path)}</td>`,
        `<td>${h(file.format)}</td>`,
        `<td class="num" title="${file.size} bytes">${h(formatBytes(file.size))}</td>`,
        `<td class="mono hash">${h(file.sha256)}</td>`,
        `<td>${cell}</td>`,
        '</tr>',
      );
    }
    out.push('</tbody></table>');
  }

  // Rules
  if (rules.length > 0) {
    const sorted = [...rules].sort((a, b) => compareStrings(a.id, b.id));
    out.push(
      `<h2 id="rules">Rules <span class="muted">(${sorted.length} ran)</span></h2>`,
      '<details><summary>What each rule checks</summary>',
      '<table><thead><tr><th>Rule</th><th>Default</th><th>What it checks</th></tr></thead><tbody>',
      ...sorted.map(
        (rule) =>
          `<tr><td class="rule"><code>${h(rule.id)}</code><div class="title">${h(rule.title)}</div><div class="pillar">${h(rule.pillar)}</div></td>` +
          `<td class="sev">${severityBadge(rule.severity)}</td>` +
          `<td>${h(rule.description)}<div class="fix"><span class="label">Fix</span> ${h(rule.remediation)}</div></td></tr>`,
      ),
      '</tbody></table></details>',
    );
  }

  out.push(
    `<footer>Generated by assay ${h(report.tool.version)} (report schema ${h(report.schemaVersion)}) from the JSON report; ` +
      `started ${h(report.startedAt)}, finished ${h(report.finishedAt)}. Severities: ${SEVERITIES.join(', ')}.</footer>`,
    '</main>',
    '</body>',
    '</html>',
  );
  return `${out.filter((line) => line !== '').join('\n')}\n`;
}
