import { z } from 'zod';
import { Alert } from '../alerts/alert.js';
import { Report } from '../core/report.js';
import { Severity } from '../core/severity.js';
import type { LogEntry, LogVerification } from './audit-log.js';

export const AuditStatus = z.enum(['running', 'finished', 'failed']);

/** One audit as history lists it: who, what, which bytes, the verdict and the finding counts. */
export const AuditSummary = z.object({
  id: z.string(),
  model: z.string().describe('The model as named (see modelName): hf://org/name or an absolute path'),
  modelDigest: z.string().nullable().describe('sha256 over the sorted (path, sha256) list of the audited files'),
  command: z.string(),
  status: AuditStatus,
  verdict: z.enum(['pass', 'fail']).nullable(),
  exitCode: z.number().int().nullable(),
  reportDigest: z.string().nullable().describe('sha256 of the report as canonical JSON'),
  findings: z.record(Severity, z.number().int()).describe('Unsuppressed findings per severity'),
  suppressed: z.number().int(),
  notAnalysed: z.number().int(),
  actor: z.string(),
  error: z.string().nullable(),
  startedAt: z.string(),
  finishedAt: z.string().nullable(),
});
export type AuditSummary = z.infer<typeof AuditSummary>;

export const StoredAudit = AuditSummary.extend({ report: Report.nullable() });
export type StoredAudit = z.infer<typeof StoredAudit>;

export const RecordAuditMeta = z.object({
  command: z.string().describe('scan, audit, eval, ... (what produced the report)'),
  model: z.string().describe('The model name (see modelName)'),
  actor: z.string().optional().describe('Who ran it; default ASSAY_ACTOR or the OS user'),
  metrics: z.record(z.string(), z.number()).optional().describe('Numbers to trend, on top of the summary counts'),
  auditId: z.string().optional().describe('Finish this audit, begun by startAudit, instead of recording a new one'),
});
export type RecordAuditMeta = z.input<typeof RecordAuditMeta>;

export const ModelSummary = z.object({
  name: z.string(),
  audits: z.number().int(),
  latest: AuditSummary.nullable().describe('The most recent audit (any status)'),
});
export type ModelSummary = z.infer<typeof ModelSummary>;

export const FindingTrendPoint = z.object({
  auditId: z.string(),
  at: z.string(),
  modelDigest: z.string().nullable(),
  verdict: z.enum(['pass', 'fail']).nullable(),
  findings: z.record(Severity, z.number().int()),
  newRules: z.array(z.string()).describe('Rules with unsuppressed findings here but not in the audit before'),
  resolvedRules: z.array(z.string()).describe('Rules with unsuppressed findings in the audit before but not here'),
});
export type FindingTrendPoint = z.infer<typeof FindingTrendPoint>;

export const MetricPoint = z.object({ auditId: z.string(), at: z.string(), value: z.number() });
export type MetricPoint = z.infer<typeof MetricPoint>;

export const StoredFinding = z.object({
  auditId: z.string(),
  model: z.string(),
  ruleId: z.string(),
  severity: Severity,
  pillar: z.string(),
  title: z.string(),
  file: z.string().nullable(),
  member: z.string().nullable(),
  suppressed: z.boolean(),
  at: z.string(),
});
export type StoredFinding = z.infer<typeof StoredFinding>;

export const FindingQuery = z.object({
  model: z.string().optional(),
  auditId: z.string().optional(),
  ruleId: z.string().optional(),
  severity: Severity.optional(),
  pillar: z.string().optional(),
  includeSuppressed: z.boolean().optional(),
  limit: z.number().int().positive().optional(),
});
export type FindingQuery = z.infer<typeof FindingQuery>;

/** A baseline or a profile: a named JSON document, optionally tied to a model; each save is a new version. */
export const StoredDocument = z.object({
  id: z.string(),
  name: z.string(),
  model: z.string().nullable(),
  kind: z.string().describe('What the document is, e.g. drift-profile; readers check it before parsing data'),
  digest: z.string(),
  data: z.unknown(),
  createdAt: z.string(),
});
export type StoredDocument = z.infer<typeof StoredDocument>;

export const SaveDocument = z.object({
  name: z.string().min(1),
  model: z.string().optional(),
  kind: z.string().min(1),
  data: z.unknown(),
  actor: z.string().optional(),
});
export type SaveDocument = z.input<typeof SaveDocument>;

export const ApiTokenScope = z.enum(['read', 'write', 'admin']);
export type ApiTokenScope = z.infer<typeof ApiTokenScope>;
export const ApiToken = z.object({
  id: z.string(),
  name: z.string(),
  scopes: z.array(ApiTokenScope),
  createdAt: z.string(),
  lastUsedAt: z.string().nullable(),
  revokedAt: z.string().nullable(),
});
export type ApiToken = z.infer<typeof ApiToken>;

export const LogAppend = z.object({
  action: z.string().min(1),
  target: z.string(),
  subjectId: z.string().optional(),
  reportDigest: z.string().optional(),
  actor: z.string().optional(),
});
export type LogAppend = z.input<typeof LogAppend>;

export const AlertOutcome = z.object({
  sent: z.boolean().describe('False when held back by the cool-down'),
  deliveries: z.array(
    z.object({ url: z.string(), ok: z.boolean(), status: z.number().optional(), error: z.string().optional() }),
  ),
});
export type AlertOutcome = z.infer<typeof AlertOutcome>;

export const StoredAlert = z.object({
  id: z.string(),
  alert: Alert,
  sent: z.boolean(),
  deliveredAt: z.string().nullable(),
  deliveryError: z.string().nullable(),
});
export type StoredAlert = z.infer<typeof StoredAlert>;

/** A live monitor as stored: its model and its configuration (validated by the monitor module, not the store). */
export const StoredMonitor = z.object({
  id: z.string(),
  name: z.string(),
  model: z.string(),
  config: z.unknown(),
  createdAt: z.string(),
});
export type StoredMonitor = z.infer<typeof StoredMonitor>;

export const StoredMonitorResult = z.object({
  id: z.string(),
  monitor: z.string(),
  at: z.string(),
  alarming: z.boolean(),
  result: z.unknown(),
});
export type StoredMonitorResult = z.infer<typeof StoredMonitorResult>;

/** Evaluations kept per monitor (one per batch adds up): the dashboard's history, bounded. */
export const MONITOR_HISTORY = 10_000;

/** A production observation; rows with the key of a stored one (a late label) merge into it. */
export interface Observation {
  key?: string;
  values: Record<string, unknown>;
  /** Only completes a stored row (a late label): dropped when no row with its key is kept any more. */
  mergeOnly?: boolean;
}

/**
 * Audit history, baselines, profiles, tokens and the tamper-evident log, on SQLite or PostgreSQL. Every write runs
 * in one transaction together with the log entry that describes it: both land, or neither does.
 */
export interface Store {
  readonly kind: 'sqlite' | 'postgres';
  /** Where the data lives: a file path, or the PostgreSQL URL without its password. */
  readonly location: string;

  /** Records a finished audit: model, target digest, report, findings, metrics and a log entry, atomically. */
  recordAudit(report: Report, meta: RecordAuditMeta): Promise<AuditSummary>;
  /** An audit that is running (for services that report progress); finish it with recordAudit({auditId}). */
  startAudit(meta: Pick<RecordAuditMeta, 'command' | 'model' | 'actor'>): Promise<AuditSummary>;
  failAudit(id: string, error: string, actor?: string): Promise<AuditSummary>;
  /** By id, or by a unique prefix of at least 6 characters; throws on an ambiguous prefix. */
  getAudit(idOrPrefix: string): Promise<StoredAudit | undefined>;
  /** Most recent first. */
  listAudits(filter?: {
    model?: string;
    status?: z.infer<typeof AuditStatus>;
    limit?: number;
  }): Promise<AuditSummary[]>;
  listModels(): Promise<ModelSummary[]>;
  /** The latest finished audit of exactly these bytes: what the deploy gate answers from. */
  latestAuditForDigest(model: string, digest: string): Promise<AuditSummary | undefined>;
  /** Oldest first: finding counts per finished audit, with the rules that appeared and disappeared. */
  findingTrend(model: string): Promise<FindingTrendPoint[]>;
  /** Oldest first. */
  metricTrend(model: string, metric: string): Promise<MetricPoint[]>;
  metricNames(model: string): Promise<string[]>;
  findings(query?: FindingQuery): Promise<StoredFinding[]>;

  saveBaseline(document: SaveDocument): Promise<StoredDocument>;
  /** The latest version of the named baseline (for that model, when given). */
  getBaseline(name: string, model?: string): Promise<StoredDocument | undefined>;
  saveProfile(document: SaveDocument): Promise<StoredDocument>;
  getProfile(name: string, model?: string): Promise<StoredDocument | undefined>;

  /** Creates a bearer token; only its sha256 is stored, so the token is returned once, here. */
  createApiToken(name: string, scopes: ApiTokenScope[], actor?: string): Promise<{ token: string; record: ApiToken }>;
  /** The token's record when it exists and is not revoked (and marks it used). */
  authenticateApiToken(token: string): Promise<ApiToken | undefined>;
  revokeApiToken(id: string, actor?: string): Promise<ApiToken | undefined>;
  listApiTokens(): Promise<ApiToken[]>;

  /** Claims one scheduled slot; true for exactly one caller per (key, due time) across every process. */
  claimScheduledRun(key: string, dueAt: string): Promise<boolean>;
  /** Due time of the latest claimed slot of this key. */
  lastScheduledRun(key: string): Promise<string | undefined>;

  /** Remembers an alert: raised, delivered (or why not), for cool-downs and the dashboard. */
  recordAlert(alert: Alert, outcome: AlertOutcome): Promise<StoredAlert>;
  /** When this alert (model + dedup key) was last sent; held-back repeats do not count. */
  lastAlertSent(model: string, dedupKey: string): Promise<string | undefined>;
  /** Most recent first. */
  listAlerts(filter?: { model?: string; limit?: number }): Promise<StoredAlert[]>;

  /** Creates the monitor, or replaces its configuration; a name belongs to one model. */
  saveMonitor(monitor: { name: string; model: string; config: unknown; actor?: string }): Promise<StoredMonitor>;
  getMonitor(name: string): Promise<StoredMonitor | undefined>;
  listMonitors(): Promise<StoredMonitor[]>;
  /**
   * Appends observations (merging keyed rows into the stored row with the same key) and keeps only the latest
   * `retain` rows of the monitor: its storage stays bounded however long it runs.
   */
  appendObservations(
    monitor: string,
    observations: readonly Observation[],
    retain: number,
    actor?: string,
  ): Promise<{ appended: number; merged: number; unmatched: number; kept: number }>;
  /** The latest `rows` observations (received at or after `since`, when given), oldest first. */
  windowObservations(monitor: string, window: { rows: number; since?: string }): Promise<Record<string, unknown>[]>;
  /** Records an evaluation and keeps only the latest `keep` (default MONITOR_HISTORY) of the monitor. */
  recordMonitorResult(
    monitor: string,
    at: string,
    alarming: boolean,
    result: unknown,
    keep?: number,
  ): Promise<StoredMonitorResult>;
  /** Most recent first. */
  monitorResults(monitor: string, limit?: number): Promise<StoredMonitorResult[]>;

  /** Appends an entry for something that happened outside the store's own writes (e.g. a report was signed). */
  appendLog(entry: LogAppend): Promise<LogEntry>;
  /** Oldest first. */
  listLog(options?: { afterSeq?: number; limit?: number }): Promise<LogEntry[]>;
  verifyLog(): Promise<LogVerification>;

  close(): Promise<void>;
}
