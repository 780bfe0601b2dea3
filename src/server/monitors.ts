/**
 * Live monitoring: production rows posted to a monitor are kept in a bounded window in the store; each evaluation
 * profiles the window, runs the drift engine against the monitor's baseline profile, computes metrics over the rows
 * whose labels have arrived, records the result, and raises drift-detected / metric-regression alerts.
 */
import { Cron } from 'croner';
import type { Alert } from '../alerts/alert.js';
import { DRIFT_PROFILE_KIND } from '../cli/drift.js';
import { type Config, MonitorConfig } from '../core/config.js';
import type { DriftColumn, DriftSection } from '../core/sections/drift.js';
import { compareColumns, DriftInputError, type DriftOptions } from '../monitor/drift.js';
import type { DriftMethod } from '../monitor/methods.js';
import { DatasetProfile, profileColumnSides, profileRecords } from '../monitor/profile.js';
import type { Observation, Store, StoredDocument, StoredMonitor } from '../store/store.js';
import { metricsFor, type ScoredCase } from '../suites/metrics.js';
import type { AlertNotifier } from './notify.js';
import type { ScheduledTask } from './scheduler.js';
import type { IngestBatch } from './schemas.js';

export interface MetricOutcome {
  name: string;
  value: number;
  baseline: number;
  /** The worst value still accepted: baseline ∓ tolerance·|baseline|. */
  limit: number;
  higherIsBetter: boolean;
  regressed: boolean;
}

/** What one evaluation found; stored as the monitor's history and shown on the dashboard. */
export interface MonitorResult {
  monitor: string;
  model: string;
  at: string;
  /** ok: evaluated; waiting: too few rows; error: the baseline is missing or does not fit. */
  status: 'ok' | 'waiting' | 'error';
  message?: string;
  rows: number;
  labelled: number;
  baseline?: { name: string; id: string; digest: string; rows: number };
  drift?: Pick<DriftSection, 'columns' | 'correction' | 'dataset'>;
  metrics?: MetricOutcome[];
  alerts: string[];
}

export class MonitorError extends Error {}

/** The monitor's configuration as stored (it was validated when saved). */
export function monitorConfig(stored: StoredMonitor): MonitorConfig {
  return MonitorConfig.parse(stored.config);
}

/** Columns a monitor keeps from each posted row; anything else is dropped before storing. */
function keptColumns(config: MonitorConfig): string[] {
  return [...new Set([...config.features, config.prediction, config.label, config.id].filter(isString))];
}

function isString(value: string | undefined): value is string {
  return value !== undefined;
}

/** The stored baseline profile a monitor names: the model's own first, else one saved without a model. */
export async function loadBaseline(
  store: Store,
  config: MonitorConfig,
): Promise<{ document: StoredDocument; profile: DatasetProfile }> {
  const document = (await store.getProfile(config.baseline, config.model)) ?? (await store.getProfile(config.baseline));
  if (!document)
    throw new MonitorError(
      `no stored baseline "${config.baseline}": save one with assay drift --reference <data> --save-baseline ${config.baseline}`,
    );
  const parsed = document.kind === DRIFT_PROFILE_KIND ? DatasetProfile.safeParse(document.data) : undefined;
  if (!parsed?.success)
    throw new MonitorError(`stored document "${config.baseline}" (${document.id}) is not a drift profile`);
  return { document, profile: parsed.data };
}

/** Checks that the baseline exists and has every watched column, so a mistyped monitor fails when it is saved. */
export async function checkMonitor(store: Store, config: MonitorConfig): Promise<void> {
  if (config.schedule) {
    try {
      new Cron(config.schedule, { timezone: 'UTC', paused: true }).stop();
    } catch (error) {
      throw new MonitorError(`schedule "${config.schedule}" is not a cron expression: ${(error as Error).message}`);
    }
  }
  const { profile } = await loadBaseline(store, config);
  const known = new Set(profile.columns.map((column) => column.name));
  const watched = [...config.features, ...(config.prediction ? [config.prediction] : [])];
  const missing = watched.filter((name) => !known.has(name));
  if (missing.length)
    throw new MonitorError(
      `baseline "${config.baseline}" has no column ${missing.map((name) => `"${name}"`).join(', ')}; it has ${[...known].join(', ')}`,
    );
}

/** Stores a batch: only the monitor's columns, keyed by its id column when it has one. */
export async function ingest(store: Store, stored: StoredMonitor, batch: IngestBatch, actor: string) {
  const config = monitorConfig(stored);
  const columns = keptColumns(config);
  const observed = [...config.features, ...(config.prediction ? [config.prediction] : [])];
  const observations = batch.rows.map((row): Observation => {
    const values = Object.fromEntries(columns.filter((name) => name in row).map((name) => [name, row[name]]));
    const key = config.id === undefined ? undefined : row[config.id];
    if (key === undefined || key === null) return { values };
    // A row with nothing but its id and label completes an earlier prediction; alone it would be a row of nulls.
    return {
      key: String(key),
      values,
      mergeOnly: !observed.some((name) => row[name] !== undefined && row[name] !== null),
    };
  });
  return store.appendObservations(stored.name, observations, config.window.rows, actor);
}

function driftOptions(config: MonitorConfig): DriftOptions {
  const options: DriftOptions = {
    columns: [...config.features, ...(config.prediction ? [config.prediction] : [])],
  };
  if (config.test) options.method = config.test as DriftMethod;
  if (config.tests) options.tests = config.tests as Record<string, DriftMethod>;
  if (config.threshold !== undefined) options.threshold = config.threshold;
  if (config.thresholds) options.thresholds = config.thresholds;
  if (config.driftShare !== undefined) options.driftShare = config.driftShare;
  if (config.correction) options.correction = config.correction;
  return options;
}

/** Metrics over labelled rows, with each baseline metric checked (worse by more than the tolerance = regressed). */
function labelMetrics(config: MonitorConfig, rows: readonly Record<string, unknown>[]) {
  const spec = config.metrics;
  const { prediction, label } = config;
  if (!spec || !prediction || !label) return { labelled: 0, metrics: undefined };
  const present = (value: unknown): value is string | number =>
    typeof value === 'string' || (typeof value === 'number' && Number.isFinite(value)) || typeof value === 'boolean';
  const cases: ScoredCase[] = rows
    .filter((row) => present(row[prediction]) && present(row[label]))
    .map((row) => ({
      expected: scalar(row[label] as string | number | boolean),
      predicted: scalar(row[prediction] as string | number | boolean),
      latencyMs: 0,
    }));
  if (cases.length < spec.minLabels) return { labelled: cases.length, metrics: undefined };
  const task =
    spec.task === 'regression'
      ? ({ kind: 'regression' } as const)
      : ({ kind: 'classification', positiveLabel: spec.positiveLabel } as const);
  const wanted = new Set(Object.keys(spec.baseline));
  const metrics = metricsFor(task, cases)
    .filter((definition) => wanted.has(definition.name))
    .map((definition): MetricOutcome => {
      const baseline = spec.baseline[definition.name] as number;
      const value = definition.compute(cases);
      const slack = spec.tolerance * Math.abs(baseline);
      const limit = definition.higherIsBetter ? baseline - slack : baseline + slack;
      const regressed = definition.higherIsBetter ? value < limit : value > limit;
      return { name: definition.name, value, baseline, limit, higherIsBetter: definition.higherIsBetter, regressed };
    });
  return { labelled: cases.length, metrics };
}

function scalar(value: string | number | boolean): string | number {
  return typeof value === 'boolean' ? String(value) : value;
}

function driftAlerts(result: MonitorResult, columns: readonly DriftColumn[]): Alert[] {
  const dataset = result.drift?.dataset;
  return columns
    .filter((column) => column.drifted)
    .map((column) => ({
      kind: 'drift-detected' as const,
      model: result.model,
      severity: dataset?.drifted ? ('high' as const) : ('medium' as const),
      title: `${result.model}: drift in ${column.column} (monitor ${result.monitor})`,
      message:
        `${column.method} ${column.kind === 'p-value' ? `p = ${column.pValue}` : `= ${column.statistic}`} ` +
        `(drift when ${column.comparison} ${column.threshold}) over the latest ${result.rows} rows; ` +
        `${dataset?.driftedColumns} of ${dataset?.testedColumns} columns drifted` +
        (dataset?.drifted ? ': dataset drift.' : '.'),
      dedupKey: `drift-detected:${result.monitor}:${column.column}`,
      details: {
        monitor: result.monitor,
        column: column.column,
        method: column.method,
        statistic: column.statistic,
        pValue: column.pValue,
        threshold: column.threshold,
        share: dataset?.share,
      },
      at: result.at,
    }));
}

function metricAlerts(result: MonitorResult): Alert[] {
  return (result.metrics ?? [])
    .filter((metric) => metric.regressed)
    .map((metric) => ({
      kind: 'metric-regression' as const,
      model: result.model,
      severity: 'high' as const,
      title: `${result.model}: ${metric.name} regressed (monitor ${result.monitor})`,
      message: `${metric.name} is ${metric.value} over ${result.labelled} labelled rows; the baseline is ${metric.baseline} and ${metric.higherIsBetter ? 'below' : 'above'} ${metric.limit} is a regression.`,
      dedupKey: `metric-regression:${result.monitor}:${metric.name}`,
      details: { monitor: result.monitor, ...metric },
      at: result.at,
    }));
}

/**
 * Evaluates the monitor's current window: drift against the baseline, metrics from labelled rows; stores the
 * result and raises an alert per drifted column and per regressed metric (the notifier applies the cool-down).
 */
export async function evaluateMonitor(
  store: Store,
  stored: StoredMonitor,
  notifier: AlertNotifier,
  now = new Date(),
): Promise<MonitorResult> {
  const config = monitorConfig(stored);
  const at = now.toISOString();
  const since = config.window.minutes
    ? new Date(now.getTime() - config.window.minutes * 60_000).toISOString()
    : undefined;
  const rows = await store.windowObservations(stored.name, { rows: config.window.rows, since });
  const result: MonitorResult = {
    monitor: stored.name,
    model: stored.model,
    at,
    status: 'ok',
    rows: rows.length,
    labelled: 0,
    alerts: [],
  };
  try {
    const { document, profile } = await loadBaseline(store, config);
    result.baseline = { name: config.baseline, id: document.id, digest: document.digest, rows: profile.rows };
    const options = driftOptions(config);
    const { labelled, metrics } = labelMetrics(config, rows);
    result.labelled = labelled;
    if (metrics) result.metrics = metrics;
    if (rows.length < config.minRows) {
      result.status = 'waiting';
      result.message = `${rows.length} rows in the window; drift is judged from ${config.minRows}`;
    } else {
      const current = profileRecords(rows, options.columns ?? [], `monitor:${stored.name}`, now);
      result.drift = compareColumns(profileColumnSides(profile), profileColumnSides(current), options);
    }
  } catch (error) {
    if (!(error instanceof MonitorError || error instanceof DriftInputError)) throw error;
    result.status = 'error';
    result.message = error.message;
  }
  const alerts = [...driftAlerts(result, result.drift?.columns ?? []), ...metricAlerts(result)];
  result.alerts = alerts.map((alert) => alert.dedupKey);
  const alarming = Boolean(result.drift?.dataset.drifted || result.metrics?.some((metric) => metric.regressed));
  await store.recordMonitorResult(stored.name, at, alarming, result);
  for (const alert of alerts) await notifier.raise(alert);
  return result;
}

/** Config monitors are saved into the store at start (the config wins over an earlier API definition). */
export async function syncConfigMonitors(store: Store, config: Config | undefined, log: (line: string) => void) {
  for (const monitor of config?.monitors ?? []) {
    await store.saveMonitor({ name: monitor.name, model: monitor.model, config: monitor, actor: 'config' });
    await checkMonitor(store, monitor).catch((error: Error) => log(`monitor ${monitor.name}: ${error.message}`));
  }
}

/** One scheduler task per monitor with a schedule; a run skips a monitor whose schedule has since been removed. */
export function monitorTasks(
  monitors: readonly StoredMonitor[],
  store: Store,
  notifier: AlertNotifier,
): ScheduledTask[] {
  return monitors.flatMap((stored) => {
    const { schedule } = monitorConfig(stored);
    if (!schedule) return [];
    return [
      {
        key: `monitor:${stored.name}`,
        cron: schedule,
        run: async (dueAt: Date) => {
          const current = await store.getMonitor(stored.name);
          if (current && monitorConfig(current).schedule) await evaluateMonitor(store, current, notifier, dueAt);
        },
      },
    ];
  });
}
