/**
 * The drift section for people: dataset verdict, then one row per column (test, statistic, p-value or distance,
 * threshold, verdict), and in HTML a reference-vs-current bar chart of each tested column's bins.
 */
import type { Report } from '../../core/report.js';
import type { DriftColumn, DriftSection } from '../../core/sections/drift.js';
import { DRIFT_METHODS } from '../../monitor/methods.js';
import { escapeHtml } from '../html.js';
import { escapeMarkdown } from '../markdown.js';
import type { SectionRenderer } from '../sections.js';

const number = (value: number | null | undefined) => {
  if (value === null) return '∞';
  if (value === undefined) return '—';
  if (value !== 0 && Math.abs(value) < 1e-4) return value.toExponential(3);
  return Number(value.toPrecision(4)).toString();
};

function verdict(column: DriftColumn): string {
  if (!column.tested) return 'not tested';
  return column.drifted ? 'DRIFT' : 'ok';
}

function score(column: DriftColumn): string {
  if (!column.tested) return column.skipped ?? '';
  const value =
    column.kind === 'p-value'
      ? `p ${number(column.pValue)} (stat ${number(column.statistic)})`
      : number(column.statistic);
  return `${value} ${column.comparison} ${number(column.threshold)}${column.approximate ? ' (from sketch)' : ''}`;
}

function headline(section: DriftSection): string {
  const { dataset } = section;
  return (
    `${dataset.drifted ? 'Dataset drift' : 'No dataset drift'}: ${dataset.driftedColumns} of ${dataset.testedColumns} ` +
    `tested columns drifted (share ${number(dataset.share)}, threshold ${dataset.driftShare})`
  );
}

function sources(section: DriftSection): string[] {
  const side = (s: DriftSection['reference']) => `${s.source} (${s.format}, ${s.rows} rows)`;
  const lines = [`Reference: ${side(section.reference)}`, `Current: ${side(section.current)}`];
  if (section.correction.method !== 'none') {
    lines.push(
      `Correction: ${section.correction.method} over ${section.correction.tests} p-value tests, α ${section.correction.alpha}, ` +
        `threshold ${number(section.correction.threshold)}`,
    );
  }
  return lines;
}

const HEADER = ['column', 'type', 'test', 'score', 'verdict'];
const cells = (column: DriftColumn) => [
  column.column,
  column.type,
  column.method ? `${column.method}${column.chosenBy === 'default' ? '' : ' (chosen)'}` : '',
  score(column),
  verdict(column),
];

/** Reference and current shares per bin as paired horizontal bars (inline SVG, no script). */
function chart(column: DriftColumn): string {
  const distribution = column.distribution;
  if (!distribution || distribution.labels.length === 0) return '';
  const shown = distribution.labels.slice(0, 30);
  const max = Math.max(...distribution.reference.slice(0, 30), ...distribution.current.slice(0, 30), 1e-12);
  const rowHeight = 14;
  const labelWidth = 130;
  const barWidth = 240;
  const rows = shown
    .map((label, i) => {
      const y = i * rowHeight;
      const ref = (distribution.reference[i] / max) * barWidth;
      const cur = (distribution.current[i] / max) * barWidth;
      return (
        `<text x="0" y="${y + 10}" font-size="10">${escapeHtml(label.slice(0, 22))}</text>` +
        `<rect x="${labelWidth}" y="${y + 1}" width="${ref.toFixed(1)}" height="5" fill="#4e79a7"><title>reference ${number(distribution.reference[i])}</title></rect>` +
        `<rect x="${labelWidth}" y="${y + 7}" width="${cur.toFixed(1)}" height="5" fill="#e15759"><title>current ${number(distribution.current[i])}</title></rect>`
      );
    })
    .join('');
  const more =
    distribution.labels.length > shown.length
      ? `<p>${distribution.labels.length - shown.length} more bins not drawn</p>`
      : '';
  return (
    `<figure><figcaption>${escapeHtml(column.column)}: ${distribution.rule === 'sturges' ? 'Sturges bins' : 'values'} — ` +
    `<span style="color:#4e79a7">reference</span> vs <span style="color:#e15759">current</span></figcaption>` +
    `<svg role="img" width="${labelWidth + barWidth + 10}" height="${shown.length * rowHeight}">${rows}</svg>${more}</figure>`
  );
}

function parameters(column: DriftColumn): string {
  if (!column.parameters) return '';
  return Object.entries(column.parameters)
    .map(([key, value]) => `${key}=${typeof value === 'number' ? number(value) : value}`)
    .join(', ');
}

export const driftSectionRenderer: SectionRenderer = {
  title: 'Drift',
  id: 'drift',
  present: (report: Report) => report.drift !== undefined,
  text(report) {
    const section = report.drift as DriftSection;
    return [
      headline(section),
      ...sources(section),
      ...section.columns.map((column) => `  ${cells(column).filter(Boolean).join(' · ')}`),
      ...section.columns.flatMap((column) => (column.warnings ?? []).map((w) => `  ! ${column.column}: ${w}`)),
    ];
  },
  markdown(report) {
    const section = report.drift as DriftSection;
    return [
      `**${escapeMarkdown(headline(section))}**`,
      '',
      ...sources(section).map((line) => `- ${escapeMarkdown(line)}`),
      '',
      `| ${HEADER.join(' | ')} | parameters |`,
      `|${HEADER.map(() => '---').join('|')}|---|`,
      ...section.columns.map(
        (column) => `| ${[...cells(column), parameters(column)].map((cell) => escapeMarkdown(cell)).join(' | ')} |`,
      ),
    ];
  },
  html(report) {
    const section = report.drift as DriftSection;
    const rows = section.columns
      .map(
        (column) =>
          `<tr${column.drifted ? ' class="drift"' : ''}>${cells(column)
            .map((cell) => `<td>${escapeHtml(cell)}</td>`)
            .join('')}<td><small>${escapeHtml(parameters(column))}</small></td></tr>`,
      )
      .join('');
    const methods = [...new Set(section.columns.flatMap((c) => (c.method ? [c.method] : [])))]
      .map(
        (m) => `<li><b>${escapeHtml(m)}</b>: ${escapeHtml(DRIFT_METHODS[m as keyof typeof DRIFT_METHODS].reason)}</li>`,
      )
      .join('');
    return (
      `<p><strong>${escapeHtml(headline(section))}</strong></p>` +
      `<ul>${sources(section)
        .map((line) => `<li>${escapeHtml(line)}</li>`)
        .join('')}</ul>` +
      `<table><thead><tr>${[...HEADER, 'parameters'].map((h) => `<th>${h}</th>`).join('')}</tr></thead><tbody>${rows}</tbody></table>` +
      `<ul>${methods}</ul>` +
      section.columns
        .filter((c) => c.tested)
        .map(chart)
        .join('')
    );
  },
};
