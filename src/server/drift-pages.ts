/**
 * Dashboard pages for live monitors: a list with each monitor's latest verdict, and a page per monitor with the
 * history of its drift share and, per watched column, reference vs current distributions as inline SVG (no script).
 */
import type { DriftColumn } from '../core/sections/drift.js';
import { escapeHtml as h } from '../report/index.js';
import type { Store, StoredMonitorResult } from '../store/store.js';
import type { DashboardPage } from './dashboard.js';
import type { MonitorResult } from './monitors.js';

const REFERENCE_COLOUR = '#9ca3af';
const CURRENT_COLOUR = '#2563eb';
const DRIFT_COLOUR = '#dc2626';

function verdict(result: MonitorResult | undefined): string {
  if (!result) return '<span class="muted">no data yet</span>';
  if (result.status === 'error') return `<span class="badge error">ERROR</span> ${h(result.message ?? '')}`;
  if (result.status === 'waiting') return `<span class="badge running">WAITING</span> ${h(result.message ?? '')}`;
  const regressed = result.metrics?.filter((metric) => metric.regressed).map((metric) => metric.name) ?? [];
  const badges = [
    result.drift?.dataset.drifted
      ? '<span class="badge fail">DRIFT</span>'
      : '<span class="badge pass">NO DATASET DRIFT</span>',
    regressed.length ? `<span class="badge fail">REGRESSED</span> ${h(regressed.join(', '))}` : '',
  ];
  return badges.filter(Boolean).join(' ');
}

function share(result: MonitorResult | undefined): string {
  const dataset = result?.drift?.dataset;
  return dataset ? `${dataset.driftedColumns} / ${dataset.testedColumns}` : '';
}

function table(headings: string[], rows: string[]): string {
  return `<table><thead><tr>${headings.map((heading) => `<th>${h(heading)}</th>`).join('')}</tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

/** Drift share per evaluation, oldest left, with the dataset-drift threshold as a dashed line. */
export function shareHistoryChart(history: readonly StoredMonitorResult[]): string {
  const points = history
    .map((stored) => stored.result as MonitorResult)
    .filter((result) => result.drift)
    .reverse();
  if (points.length === 0) return '<p class="muted">No evaluation with enough rows yet.</p>';
  const width = 640;
  const height = 140;
  const slot = width / points.length;
  const y = (value: number) => (height - 8 - value * (height - 16)).toFixed(1);
  const bars = points.map((result, index) => {
    const dataset = result.drift?.dataset as NonNullable<MonitorResult['drift']>['dataset'];
    // A share of 0 still gets a sliver, so an evaluation without drift is visible as one.
    const top = Math.min(Number(y(dataset.share)), height - 10);
    return `<rect x="${(index * slot + slot * 0.15).toFixed(1)}" y="${top}" width="${(slot * 0.7).toFixed(1)}" height="${(height - 8 - top).toFixed(1)}" fill="${dataset.drifted ? DRIFT_COLOUR : CURRENT_COLOUR}"><title>${h(`${result.at}: ${dataset.driftedColumns} of ${dataset.testedColumns} columns drifted (share ${dataset.share.toFixed(2)})`)}</title></rect>`;
  });
  const threshold = points.at(-1)?.drift?.dataset.driftShare ?? 0.5;
  const line = `<line x1="0" x2="${width}" y1="${y(threshold)}" y2="${y(threshold)}" stroke="#111827" stroke-dasharray="4 3"><title>dataset drift at share ≥ ${threshold}</title></line>`;
  return `<svg class="trend" role="img" aria-label="Share of drifted columns per evaluation" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}">${bars.join('')}${line}</svg>`;
}

/** Reference (grey) and current (blue) share per bin or category, side by side. */
export function distributionChart(column: DriftColumn): string {
  const distribution = column.distribution;
  if (!distribution || distribution.labels.length === 0) return '<p class="muted">No distribution to draw.</p>';
  const width = 640;
  const plot = 150;
  const height = plot + 16;
  const bins = distribution.labels.length;
  const slot = width / bins;
  const top = Math.max(1e-9, ...distribution.reference, ...distribution.current);
  const bar = (value: number, index: number, offset: number, colour: string, side: string) => {
    const barHeight = (value / top) * (plot - 12);
    return `<rect x="${(index * slot + slot * offset).toFixed(1)}" y="${(plot - barHeight).toFixed(1)}" width="${(slot * 0.4).toFixed(1)}" height="${barHeight.toFixed(1)}" fill="${colour}"><title>${h(`${distribution.labels[index]}: ${side} ${(value * 100).toFixed(1)}%`)}</title></rect>`;
  };
  // Bin or category names under the bars, cut to what fits (the full name is in each bar's tooltip).
  const fits = Math.max(1, Math.floor(slot / 6.5));
  const label = (text: string, index: number) =>
    `<text x="${((index + 0.5) * slot).toFixed(1)}" y="${height - 3}" font-size="10" text-anchor="middle" fill="#374151">${h(text.length > fits ? `${text.slice(0, Math.max(1, fits - 1))}…` : text)}</text>`;
  const bars = distribution.labels.flatMap((name, index) => [
    bar(distribution.reference[index] ?? 0, index, 0.1, REFERENCE_COLOUR, 'reference'),
    bar(distribution.current[index] ?? 0, index, 0.5, CURRENT_COLOUR, 'current'),
    label(name, index),
  ]);
  return `<svg class="trend" role="img" aria-label="${h(`${column.column}: reference vs current`)}" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}">${bars.join('')}</svg>`;
}

function score(column: DriftColumn): string {
  if (!column.tested) return h(column.skipped ?? 'not tested');
  const value =
    column.kind === 'p-value' ? `p = ${column.pValue?.toPrecision(4)}` : `${column.statistic?.toPrecision(4)}`;
  return h(`${column.method} ${value} (drift when ${column.comparison} ${column.threshold})`);
}

function columnSection(column: DriftColumn): string {
  const badge = !column.tested
    ? '<span class="badge error">SKIPPED</span>'
    : column.drifted
      ? '<span class="badge fail">DRIFT</span>'
      : '<span class="badge pass">OK</span>';
  return (
    `<section class="column" data-column="${h(column.column)}"><h3>${h(column.column)} ${badge}</h3>` +
    `<p>${score(column)}; ${column.current.rows} current rows vs ${column.reference.rows} reference rows` +
    ` <span class="muted">(grey: reference, blue: current${column.distribution ? `, ${h(column.distribution.rule)} bins` : ''})</span></p>` +
    `${distributionChart(column)}</section>`
  );
}

async function listPage(store: Store): Promise<string> {
  const monitors = await store.listMonitors();
  if (monitors.length === 0)
    return '<p class="muted">No monitors yet. Define one in the config (monitors:) or with POST /api/monitors.</p>';
  const rows = await Promise.all(
    monitors.map(async (monitor) => {
      const latest = (await store.monitorResults(monitor.name, 1))[0];
      const result = latest?.result as MonitorResult | undefined;
      return (
        `<tr data-monitor="${h(monitor.name)}"><td><a href="/drift/monitor?name=${encodeURIComponent(monitor.name)}">${h(monitor.name)}</a></td>` +
        `<td>${h(monitor.model)}</td><td>${verdict(result)}</td><td class="num">${share(result)}</td>` +
        `<td class="num">${result?.rows ?? ''}</td><td>${h(latest?.at ?? '')}</td></tr>`
      );
    }),
  );
  return table(['Monitor', 'Model', 'Latest verdict', 'Drifted columns', 'Rows in window', 'Evaluated'], rows);
}

async function monitorPage(store: Store, name: string): Promise<string | { notFound: string }> {
  const monitor = await store.getMonitor(name);
  if (!monitor) return { notFound: `No monitor named ${name}.` };
  const history = await store.monitorResults(monitor.name, 200);
  const latest = history[0]?.result as MonitorResult | undefined;
  const metrics = latest?.metrics?.length
    ? table(
        ['Metric', 'Current', 'Baseline', 'Limit', ''],
        latest.metrics.map(
          (metric) =>
            `<tr><td>${h(metric.name)}</td><td class="num">${metric.value.toFixed(4)}</td><td class="num">${metric.baseline}</td>` +
            `<td class="num">${metric.limit.toFixed(4)}</td><td>${metric.regressed ? '<span class="badge fail">REGRESSED</span>' : '<span class="badge pass">OK</span>'}</td></tr>`,
        ),
      )
    : `<p class="muted">${latest ? `${latest.labelled} labelled rows in the window; not enough for metrics, or none configured.` : 'No data yet.'}</p>`;
  return [
    `<h2>${h(monitor.name)} <span class="muted">· ${h(monitor.model)}</span></h2>`,
    `<p>Latest: ${verdict(latest)}${latest ? ` at ${h(latest.at)} over ${latest.rows} rows` : ''}${latest?.baseline ? `; baseline ${h(latest.baseline.name)} (${latest.baseline.rows} rows)` : ''}</p>`,
    '<h2>Share of drifted columns over time</h2>',
    shareHistoryChart(history),
    '<h2>Metrics</h2>',
    metrics,
    '<h2>Columns</h2>',
    latest?.drift ? latest.drift.columns.map(columnSection).join('') : '<p class="muted">No drift computed yet.</p>',
  ].join('');
}

/** The Drift entry in the navigation bar and the per-monitor detail page. */
export const DRIFT_PAGES: readonly DashboardPage[] = [
  { path: '/drift', title: 'Drift', render: (store) => listPage(store) },
  {
    path: '/drift/monitor',
    title: 'Monitor',
    hidden: true,
    render: (store, query) => monitorPage(store, query('name') ?? ''),
  },
];
