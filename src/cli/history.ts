import { SEVERITIES } from '../core/severity.js';
import { modelName } from '../store/model-name.js';
import { openStore } from '../store/open.js';
import type { AuditSummary, MetricPoint, Store } from '../store/store.js';
import { shortTime, table } from './table.js';

export interface HistoryOptions {
  format: 'text' | 'json';
  limit: number;
  trend?: boolean;
  metric?: string[];
}

/** `assay history [model]`: recorded audits, newest first; `--trend`: findings and metrics over time, oldest first. */
export async function runHistory(target: string | undefined, options: HistoryOptions): Promise<number> {
  if (options.trend && !target) {
    process.stderr.write('assay: --trend needs a model: assay history <model> --trend\n');
    return 2;
  }
  const store = await openStore(undefined, { create: false });
  try {
    const model = target === undefined ? undefined : modelName(target);
    process.stdout.write(
      options.trend && model
        ? await trend(store, model, options)
        : await history(store, model, options.limit, options.format),
    );
    return 0;
  } finally {
    await store.close();
  }
}

async function history(store: Store, model: string | undefined, limit: number, format: 'text' | 'json') {
  const audits = await store.listAudits({ model, limit });
  if (format === 'json') return `${JSON.stringify({ store: store.location, model: model ?? null, audits }, null, 2)}\n`;
  if (audits.length === 0) return `no audits${model ? ` of ${model}` : ''} recorded in ${store.location}\n`;
  return table([
    [
      'AUDIT',
      'STARTED (UTC)',
      'COMMAND',
      'VERDICT',
      ...SEVERITIES.map((s) => s[0]?.toUpperCase() ?? s),
      'MODEL DIGEST',
      'MODEL',
    ],
    ...audits.map((audit) => [
      audit.id.slice(0, 8),
      shortTime(audit.startedAt),
      audit.command,
      verdictLabel(audit),
      ...SEVERITIES.map((severity) => String(audit.findings[severity])),
      audit.modelDigest ? `${audit.modelDigest.slice(0, 19)}…` : '-',
      audit.model,
    ]),
  ]);
}

function verdictLabel(audit: AuditSummary): string {
  return audit.status === 'finished' ? (audit.verdict ?? '-') : audit.status;
}

async function trend(store: Store, model: string, options: HistoryOptions) {
  const findings = await store.findingTrend(model);
  const names = options.metric?.length ? options.metric : await store.metricNames(model);
  const metrics: Record<string, MetricPoint[]> = {};
  for (const name of names) metrics[name] = await store.metricTrend(model, name);
  if (options.format === 'json')
    return `${JSON.stringify({ store: store.location, model, findings, metrics }, null, 2)}\n`;
  if (findings.length === 0) return `no finished audits of ${model} recorded in ${store.location}\n`;
  const changes = (point: (typeof findings)[number]) =>
    [...point.newRules.map((rule) => `+${rule}`), ...point.resolvedRules.map((rule) => `-${rule}`)].join(' ');
  return [
    `Findings over time: ${model}\n`,
    table([
      [
        'AUDIT',
        'FINISHED (UTC)',
        'VERDICT',
        ...SEVERITIES.map((s) => s[0]?.toUpperCase() ?? s),
        'RULES (+ new, - gone)',
      ],
      ...findings.map((point) => [
        point.auditId.slice(0, 8),
        shortTime(point.at),
        point.verdict ?? '-',
        ...SEVERITIES.map((severity) => String(point.findings[severity])),
        changes(point),
      ]),
    ]),
    '\nMetrics (oldest → newest)\n',
    table([
      ['METRIC', 'LATEST', 'MIN', 'MAX', 'POINTS', 'TREND'],
      ...Object.entries(metrics).map(([name, points]) => {
        const values = points.map((point) => point.value);
        return [
          name,
          formatNumber(values[values.length - 1]),
          formatNumber(Math.min(...values)),
          formatNumber(Math.max(...values)),
          String(values.length),
          sparkline(values),
        ];
      }),
    ]),
  ].join('');
}

function formatNumber(value: number | undefined): string {
  if (value === undefined || !Number.isFinite(value)) return '-';
  return Number.isInteger(value) ? String(value) : value.toPrecision(4);
}

const BARS = '▁▂▃▄▅▆▇█';

/** The last 40 values as bars scaled between their min and max. */
function sparkline(values: readonly number[]): string {
  const recent = values.slice(-40);
  const low = Math.min(...recent);
  const span = Math.max(...recent) - low;
  return recent.map((value) => BARS[span === 0 ? 0 : Math.round(((value - low) / span) * (BARS.length - 1))]).join('');
}
