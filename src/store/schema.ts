/**
 * Row types of the store's tables, as kysely sees them. Times are ISO 8601 strings (UTC, `toISOString()`), which
 * sort as text and read the same on SQLite and PostgreSQL; booleans are 0/1. Baselines and profiles are canonical JSON;
 * reports keep their own key order (so a stored report renders to the same bytes) and are digested canonically.
 */
export interface Database {
  models: ModelRow;
  targets: TargetRow;
  audits: AuditRow;
  reports: ReportRow;
  findings: FindingRow;
  metrics: MetricRow;
  baselines: DocumentRow;
  profiles: DocumentRow;
  monitors: MonitorRow;
  monitor_observations: MonitorObservationRow;
  monitor_results: MonitorResultRow;
  schedules: ScheduleRow;
  alerts: AlertRow;
  schedule_runs: ScheduleRunRow;
  audit_log: AuditLogRow;
  audit_log_head: AuditLogHeadRow;
  api_tokens: ApiTokenRow;
}

export interface ModelRow {
  id: string;
  /** The target as the user named it: `hf://org/name`, a folder or a file path. */
  name: string;
  created_at: string;
}

/** One exact set of bytes of a model, identified by its model digest. */
export interface TargetRow {
  id: string;
  model_id: string;
  digest: string;
  files: number;
  bytes: number;
  first_seen_at: string;
}

export interface AuditRow {
  id: string;
  model_id: string;
  target_id: string | null;
  model_digest: string | null;
  command: string;
  status: 'running' | 'finished' | 'failed';
  verdict: 'pass' | 'fail' | null;
  exit_code: number | null;
  report_digest: string | null;
  critical: number;
  high: number;
  medium: number;
  low: number;
  info: number;
  suppressed: number;
  not_analysed: number;
  actor: string;
  error: string | null;
  started_at: string;
  finished_at: string | null;
}

export interface ReportRow {
  audit_id: string;
  /** `sha256:` of the report's canonical JSON. */
  digest: string;
  json: string;
}

export interface FindingRow {
  audit_id: string;
  ordinal: number;
  rule_id: string;
  severity: string;
  pillar: string;
  title: string;
  file: string | null;
  member: string | null;
  suppressed: number;
}

export interface MetricRow {
  audit_id: string;
  model_id: string;
  name: string;
  value: number;
  recorded_at: string;
}

/** Baselines and profiles: named JSON documents, optionally tied to a model; every save is a new version. */
export interface DocumentRow {
  id: string;
  model_id: string | null;
  name: string;
  kind: string;
  digest: string;
  json: string;
  created_at: string;
}

export interface MonitorRow {
  id: string;
  model_id: string;
  name: string;
  baseline_id: string | null;
  config: string;
  enabled: number;
  created_at: string;
}

/** One production observation (a row of features, prediction, label) kept for a monitor's window. */
export interface MonitorObservationRow {
  monitor_id: string;
  /** Arrival order within the monitor; retention deletes the lowest. */
  seq: number;
  /** The row's id column, when the monitor names one: a later row with the same key (a late label) merges in. */
  row_key: string | null;
  received_at: string;
  json: string;
}

/** One evaluation of a monitor: drift of its window against the baseline, and metrics when labels were known. */
export interface MonitorResultRow {
  id: string;
  monitor_id: string;
  at: string;
  /** 0/1: dataset drift or a metric regression. */
  alarming: number;
  json: string;
}

export interface ScheduleRow {
  id: string;
  model_id: string;
  kind: string;
  cron: string;
  config: string;
  enabled: number;
  next_run_at: string | null;
  last_run_at: string | null;
  created_at: string;
}

export interface ScheduleRunRow {
  key: string;
  due_at: string;
  claimed_at: string;
}

export interface AlertRow {
  id: string;
  model_id: string | null;
  kind: string;
  severity: string;
  message: string;
  payload: string;
  dedup_key: string | null;
  created_at: string;
  delivered_at: string | null;
  delivery_error: string | null;
}

export interface AuditLogRow {
  seq: number;
  actor: string;
  action: string;
  target: string;
  subject_id: string | null;
  report_digest: string | null;
  at: string;
  prev_hash: string;
  hash: string;
}

/** A single row (id 1): the last entry's seq and hash, so a truncated log is detected too. */
export interface AuditLogHeadRow {
  id: number;
  seq: number;
  hash: string;
}

export interface ApiTokenRow {
  id: string;
  name: string;
  /** sha256 of the token; the token itself is never stored. */
  hash: string;
  scopes: string;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
}
