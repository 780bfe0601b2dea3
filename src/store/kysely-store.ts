import { randomBytes, randomUUID } from 'node:crypto';
import { userInfo } from 'node:os';
import { type Kysely, type Selectable, sql, type Transaction } from 'kysely';
import { Alert } from '../alerts/alert.js';
import type { Finding } from '../core/finding.js';
import { Report } from '../core/report.js';
import { SEVERITIES, type Severity } from '../core/severity.js';
import { type LogEntry, logEntryHash, verifyChain } from './audit-log.js';
import { canonicalDigest, canonicalJson, sha256Hex } from './canonical-json.js';
import { reportMetrics } from './metrics.js';
import { modelDigest } from './model-digest.js';
import type { AuditRow, Database, DocumentRow } from './schema.js';
import {
  type AlertOutcome,
  type ApiToken,
  type ApiTokenScope,
  type AuditSummary,
  type FindingQuery,
  type FindingTrendPoint,
  LogAppend,
  type MetricPoint,
  MONITOR_HISTORY,
  type ModelSummary,
  type Observation,
  RecordAuditMeta,
  SaveDocument,
  type Store,
  type StoredAlert,
  type StoredAudit,
  type StoredDocument,
  type StoredFinding,
  type StoredMonitor,
  type StoredMonitorResult,
} from './store.js';

/** Who is acting: `ASSAY_ACTOR`, else the OS user. */
export function defaultActor(): string {
  if (process.env.ASSAY_ACTOR) return process.env.ASSAY_ACTOR;
  try {
    return userInfo().username;
  } catch {
    return 'unknown';
  }
}

/** Rows per multi-row insert: well under SQLite's bound-parameter limit. */
const INSERT_CHUNK = 200;
/** How stale a token's `last_used_at` may get: it is for spotting unused tokens, not an access log. */
const LAST_USED_RESOLUTION_MS = 60_000;
/** delivery_error of an alert the cool-down held back (it was raised, not sent). */
const HELD_BACK = 'held back by the cool-down';

class SlotTaken extends Error {}
const MIN_ID_PREFIX = 6;

type LogWriter = (entry: LogAppend) => Promise<LogEntry>;
type AuditWithModel = Selectable<AuditRow> & { model: string };

/** The one Store implementation: kysely over SQLite (better-sqlite3) or PostgreSQL (pg). */
export class KyselyStore implements Store {
  constructor(
    private readonly db: Kysely<Database>,
    readonly kind: 'sqlite' | 'postgres',
    readonly location: string,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /**
   * Runs a write in a transaction whose first statement takes the log head's row: on SQLite that takes the write
   * lock before anything is read (no stale snapshot to upgrade), on PostgreSQL it serialises writers on the chain.
   */
  private async write<T>(body: (tx: Transaction<Database>, log: LogWriter) => Promise<T>): Promise<T> {
    return this.db.transaction().execute(async (tx) => {
      const head = await tx
        .updateTable('audit_log_head')
        .set({ seq: sql`seq + 1` })
        .where('id', '=', 1)
        .returning(['seq', 'hash'])
        .executeTakeFirstOrThrow();
      let written = false;
      const log: LogWriter = async (append) => {
        if (written) throw new Error('one log entry per store write');
        written = true;
        const { action, target, subjectId, reportDigest, actor } = LogAppend.parse(append);
        const content = {
          seq: head.seq,
          actor: actor ?? defaultActor(),
          action,
          target,
          subjectId: subjectId ?? null,
          reportDigest: reportDigest ?? null,
          at: this.now().toISOString(),
          prevHash: head.hash,
        };
        const entry = { ...content, hash: logEntryHash(content) };
        await tx
          .insertInto('audit_log')
          .values({
            seq: entry.seq,
            actor: entry.actor,
            action: entry.action,
            target: entry.target,
            subject_id: entry.subjectId,
            report_digest: entry.reportDigest,
            at: entry.at,
            prev_hash: entry.prevHash,
            hash: entry.hash,
          })
          .execute();
        await tx.updateTable('audit_log_head').set({ hash: entry.hash }).where('id', '=', 1).execute();
        return entry;
      };
      const result = await body(tx, log);
      if (!written) throw new Error('every store write appends a log entry');
      return result;
    });
  }

  private async modelId(tx: Transaction<Database>, name: string): Promise<string> {
    const existing = await tx.selectFrom('models').select('id').where('name', '=', name).executeTakeFirst();
    if (existing) return existing.id;
    const id = randomUUID();
    await tx.insertInto('models').values({ id, name, created_at: this.now().toISOString() }).execute();
    return id;
  }

  async recordAudit(report: Report, meta: RecordAuditMeta): Promise<AuditSummary> {
    const { command, model, actor, metrics, auditId } = RecordAuditMeta.parse(meta);
    // Stored in the report's own key order, so re-rendering it gives the same bytes as the first time; the digest is
    // over the canonical form, so it does not depend on that order.
    const json = JSON.stringify(report);
    const reportDigest = canonicalDigest(report);
    const digest = modelDigest(report.files);
    const id = auditId ?? randomUUID();
    const active = report.findings.filter((finding) => !finding.suppressed);
    const counts = Object.fromEntries(
      SEVERITIES.map((severity) => [severity, active.filter((finding) => finding.severity === severity).length]),
    ) as Record<Severity, number>;
    await this.write(async (tx, log) => {
      const modelId = await this.modelId(tx, model);
      const targetId = await this.targetId(tx, modelId, digest, report);
      const row = {
        model_id: modelId,
        target_id: targetId,
        model_digest: digest,
        command,
        status: 'finished' as const,
        verdict: report.verdict,
        exit_code: report.gate.exitCode,
        report_digest: reportDigest,
        ...counts,
        suppressed: report.summary.suppressed,
        not_analysed: report.summary.notAnalysed,
        actor: actor ?? defaultActor(),
        error: null,
        started_at: report.startedAt,
        finished_at: report.finishedAt,
      };
      if (auditId) {
        const updated = await tx
          .updateTable('audits')
          .set(row)
          .where('id', '=', auditId)
          .where('status', '=', 'running')
          .executeTakeFirst();
        if (updated.numUpdatedRows !== 1n) throw new Error(`audit ${auditId} is not a running audit in this store`);
      } else {
        await tx
          .insertInto('audits')
          .values({ id, ...row })
          .execute();
      }
      await tx.insertInto('reports').values({ audit_id: id, digest: reportDigest, json }).execute();
      await insertChunked(tx, 'findings', report.findings.map(findingRow(id)));
      const recordedAt = report.finishedAt;
      await insertChunked(
        tx,
        'metrics',
        Object.entries({ ...reportMetrics(report), ...metrics }).map(([name, value]) => ({
          audit_id: id,
          model_id: modelId,
          name,
          value,
          recorded_at: recordedAt,
        })),
      );
      await log({ action: `${command}.record`, target: model, subjectId: id, reportDigest, actor });
    });
    return this.summaryById(id);
  }

  private async targetId(tx: Transaction<Database>, modelId: string, digest: string, report: Report) {
    const existing = await tx
      .selectFrom('targets')
      .select('id')
      .where('model_id', '=', modelId)
      .where('digest', '=', digest)
      .executeTakeFirst();
    if (existing) return existing.id;
    const id = randomUUID();
    await tx
      .insertInto('targets')
      .values({
        id,
        model_id: modelId,
        digest,
        files: report.summary.files,
        bytes: report.summary.bytes,
        first_seen_at: report.finishedAt,
      })
      .execute();
    return id;
  }

  async startAudit(meta: Pick<RecordAuditMeta, 'command' | 'model' | 'actor'>): Promise<AuditSummary> {
    const { command, model, actor } = RecordAuditMeta.pick({ command: true, model: true, actor: true }).parse(meta);
    const id = randomUUID();
    await this.write(async (tx, log) => {
      await tx
        .insertInto('audits')
        .values({
          id,
          model_id: await this.modelId(tx, model),
          target_id: null,
          model_digest: null,
          command,
          status: 'running',
          verdict: null,
          exit_code: null,
          report_digest: null,
          critical: 0,
          high: 0,
          medium: 0,
          low: 0,
          info: 0,
          suppressed: 0,
          not_analysed: 0,
          actor: actor ?? defaultActor(),
          error: null,
          started_at: this.now().toISOString(),
          finished_at: null,
        })
        .execute();
      await log({ action: `${command}.start`, target: model, subjectId: id, actor });
    });
    return this.summaryById(id);
  }

  async failAudit(id: string, error: string, actor?: string): Promise<AuditSummary> {
    await this.write(async (tx, log) => {
      const audit = await this.auditsWithModel(tx).where('audits.id', '=', id).executeTakeFirst();
      if (audit?.status !== 'running') throw new Error(`audit ${id} is not a running audit in this store`);
      await tx
        .updateTable('audits')
        .set({ status: 'failed', error, finished_at: this.now().toISOString() })
        .where('id', '=', id)
        .execute();
      await log({ action: `${audit.command}.fail`, target: audit.model, subjectId: id, actor });
    });
    return this.summaryById(id);
  }

  private auditsWithModel(db: Kysely<Database> = this.db) {
    return db
      .selectFrom('audits')
      .innerJoin('models', 'models.id', 'audits.model_id')
      .selectAll('audits')
      .select('models.name as model');
  }

  private async summaryById(id: string): Promise<AuditSummary> {
    return toSummary(await this.auditsWithModel().where('audits.id', '=', id).executeTakeFirstOrThrow());
  }

  async getAudit(idOrPrefix: string): Promise<StoredAudit | undefined> {
    let rows = await this.auditsWithModel().where('audits.id', '=', idOrPrefix).execute();
    if (rows.length === 0 && idOrPrefix.length >= MIN_ID_PREFIX && /^[0-9a-f-]+$/i.test(idOrPrefix)) {
      rows = await this.auditsWithModel().where('audits.id', 'like', `${idOrPrefix.toLowerCase()}%`).limit(2).execute();
      if (rows.length > 1) throw new Error(`audit id prefix ${idOrPrefix} is ambiguous: give more characters`);
    }
    const [row] = rows;
    if (!row) return undefined;
    const stored = await this.db.selectFrom('reports').select('json').where('audit_id', '=', row.id).executeTakeFirst();
    return { ...toSummary(row), report: stored ? parseStoredReport(row.id, stored.json) : null };
  }

  async listAudits(filter: { model?: string; status?: AuditRow['status']; limit?: number } = {}) {
    let query = this.auditsWithModel();
    if (filter.model) query = query.where('models.name', '=', filter.model);
    if (filter.status) query = query.where('audits.status', '=', filter.status);
    const rows = await query
      .orderBy('audits.started_at', 'desc')
      .orderBy('audits.id')
      .limit(filter.limit ?? 50)
      .execute();
    return rows.map(toSummary);
  }

  async listModels(): Promise<ModelSummary[]> {
    const models = await this.db
      .selectFrom('models')
      .leftJoin('audits', 'audits.model_id', 'models.id')
      .select(['models.name', (eb) => eb.fn.count<number>('audits.id').as('audits')])
      .groupBy('models.name')
      .orderBy('models.name')
      .execute();
    return Promise.all(
      models.map(async ({ name, audits }) => {
        const [latest] = await this.listAudits({ model: name, limit: 1 });
        return { name, audits: Number(audits), latest: latest ?? null };
      }),
    );
  }

  async latestAuditForDigest(model: string, digest: string): Promise<AuditSummary | undefined> {
    const row = await this.auditsWithModel()
      .where('models.name', '=', model)
      .where('audits.model_digest', '=', digest)
      .where('audits.status', '=', 'finished')
      .orderBy('audits.finished_at', 'desc')
      .orderBy('audits.started_at', 'desc')
      .limit(1)
      .executeTakeFirst();
    return row && toSummary(row);
  }

  async findingTrend(model: string): Promise<FindingTrendPoint[]> {
    const audits = (
      await this.auditsWithModel()
        .where('models.name', '=', model)
        .where('audits.status', '=', 'finished')
        .orderBy('audits.started_at')
        .execute()
    ).map(toSummary);
    const ruleRows = await this.db
      .selectFrom('findings')
      .innerJoin('audits', 'audits.id', 'findings.audit_id')
      .innerJoin('models', 'models.id', 'audits.model_id')
      .select(['findings.audit_id', 'findings.rule_id'])
      .distinct()
      .where('models.name', '=', model)
      .where('findings.suppressed', '=', 0)
      .execute();
    const rulesByAudit = new Map<string, Set<string>>();
    for (const { audit_id, rule_id } of ruleRows) {
      const rules = rulesByAudit.get(audit_id) ?? new Set<string>();
      rules.add(rule_id);
      rulesByAudit.set(audit_id, rules);
    }
    let previous = new Set<string>();
    return audits.map((audit) => {
      const rules = rulesByAudit.get(audit.id) ?? new Set<string>();
      const point = {
        auditId: audit.id,
        at: audit.finishedAt ?? audit.startedAt,
        modelDigest: audit.modelDigest,
        verdict: audit.verdict,
        findings: audit.findings,
        newRules: [...rules].filter((rule) => !previous.has(rule)).sort(),
        resolvedRules: [...previous].filter((rule) => !rules.has(rule)).sort(),
      };
      previous = rules;
      return point;
    });
  }

  async metricTrend(model: string, metric: string): Promise<MetricPoint[]> {
    const rows = await this.db
      .selectFrom('metrics')
      .innerJoin('models', 'models.id', 'metrics.model_id')
      .select(['metrics.audit_id', 'metrics.recorded_at', 'metrics.value'])
      .where('models.name', '=', model)
      .where('metrics.name', '=', metric)
      .orderBy('metrics.recorded_at')
      .orderBy('metrics.audit_id')
      .execute();
    return rows.map((row) => ({ auditId: row.audit_id, at: row.recorded_at, value: Number(row.value) }));
  }

  async metricNames(model: string): Promise<string[]> {
    const rows = await this.db
      .selectFrom('metrics')
      .innerJoin('models', 'models.id', 'metrics.model_id')
      .select('metrics.name')
      .distinct()
      .where('models.name', '=', model)
      .orderBy('metrics.name')
      .execute();
    return rows.map((row) => row.name);
  }

  async findings(query: FindingQuery = {}): Promise<StoredFinding[]> {
    let select = this.db
      .selectFrom('findings')
      .innerJoin('audits', 'audits.id', 'findings.audit_id')
      .innerJoin('models', 'models.id', 'audits.model_id')
      .selectAll('findings')
      .select(['models.name as model', 'audits.started_at']);
    if (query.model) select = select.where('models.name', '=', query.model);
    if (query.auditId) select = select.where('findings.audit_id', '=', query.auditId);
    if (query.ruleId) select = select.where('findings.rule_id', '=', query.ruleId);
    if (query.severity) select = select.where('findings.severity', '=', query.severity);
    if (query.pillar) select = select.where('findings.pillar', '=', query.pillar);
    if (!query.includeSuppressed) select = select.where('findings.suppressed', '=', 0);
    const rows = await select
      .orderBy('audits.started_at', 'desc')
      .orderBy('findings.audit_id')
      .orderBy('findings.ordinal')
      .limit(query.limit ?? 1000)
      .execute();
    return rows.map((row) => ({
      auditId: row.audit_id,
      model: row.model,
      ruleId: row.rule_id,
      severity: row.severity as Severity,
      pillar: row.pillar,
      title: row.title,
      file: row.file,
      member: row.member,
      suppressed: row.suppressed === 1,
      at: row.started_at,
    }));
  }

  saveBaseline(document: SaveDocument) {
    return this.saveDocument('baselines', document);
  }
  getBaseline(name: string, model?: string) {
    return this.getDocument('baselines', name, model);
  }
  saveProfile(document: SaveDocument) {
    return this.saveDocument('profiles', document);
  }
  getProfile(name: string, model?: string) {
    return this.getDocument('profiles', name, model);
  }

  private async saveDocument(table: 'baselines' | 'profiles', document: SaveDocument): Promise<StoredDocument> {
    const { name, model, kind, data, actor } = SaveDocument.parse(document);
    const json = canonicalJson(data);
    const row: DocumentRow = {
      id: randomUUID(),
      model_id: null,
      name,
      kind,
      digest: `sha256:${sha256Hex(json)}`,
      json,
      created_at: this.now().toISOString(),
    };
    await this.write(async (tx, log) => {
      if (model) row.model_id = await this.modelId(tx, model);
      await tx.insertInto(table).values(row).execute();
      await log({ action: `${table.slice(0, -1)}.save`, target: name, subjectId: row.id, actor });
    });
    return toDocument(row, model ?? null);
  }

  private async getDocument(table: 'baselines' | 'profiles', name: string, model?: string) {
    let query = this.db
      .selectFrom(table)
      .leftJoin('models', 'models.id', `${table}.model_id`)
      .selectAll(table)
      .select('models.name as model')
      .where(`${table}.name`, '=', name);
    query = model ? query.where('models.name', '=', model) : query.where(`${table}.model_id`, 'is', null);
    const row = await query.orderBy(`${table}.created_at`, 'desc').limit(1).executeTakeFirst();
    return row && toDocument(row, row.model);
  }

  async createApiToken(name: string, scopes: ApiTokenScope[], actor?: string) {
    const token = `assay_${randomBytes(32).toString('base64url')}`;
    const row = {
      id: randomUUID(),
      name,
      hash: sha256Hex(token),
      scopes: [...new Set(scopes)].sort().join(' '),
      created_at: this.now().toISOString(),
      last_used_at: null,
      revoked_at: null,
    };
    await this.write(async (tx, log) => {
      await tx.insertInto('api_tokens').values(row).execute();
      await log({ action: 'token.create', target: name, subjectId: row.id, actor });
    });
    return { token, record: toToken(row) };
  }

  async authenticateApiToken(token: string): Promise<ApiToken | undefined> {
    const row = await this.db
      .selectFrom('api_tokens')
      .selectAll()
      .where('hash', '=', sha256Hex(token))
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    if (!row) return undefined;
    // Last use is bookkeeping, not an event worth a log entry: updated outside the chained writes, and at most once
    // a minute, so the deploy gate under load reads instead of writing the same row on every request.
    const now = this.now();
    if (row.last_used_at && now.getTime() - Date.parse(row.last_used_at) < LAST_USED_RESOLUTION_MS) return toToken(row);
    const lastUsedAt = now.toISOString();
    await this.db.updateTable('api_tokens').set({ last_used_at: lastUsedAt }).where('id', '=', row.id).execute();
    return toToken({ ...row, last_used_at: lastUsedAt });
  }

  async revokeApiToken(id: string, actor?: string): Promise<ApiToken | undefined> {
    return this.write(async (tx, log) => {
      const row = await tx.selectFrom('api_tokens').selectAll().where('id', '=', id).executeTakeFirst();
      if (!row) throw new Error(`no API token with id ${id}`);
      const revokedAt = row.revoked_at ?? this.now().toISOString();
      await tx.updateTable('api_tokens').set({ revoked_at: revokedAt }).where('id', '=', id).execute();
      await log({ action: 'token.revoke', target: row.name, subjectId: id, actor });
      return toToken({ ...row, revoked_at: revokedAt });
    });
  }

  async listApiTokens(): Promise<ApiToken[]> {
    return (await this.db.selectFrom('api_tokens').selectAll().orderBy('created_at').execute()).map(toToken);
  }

  async claimScheduledRun(key: string, dueAt: string): Promise<boolean> {
    try {
      await this.write(async (tx, log) => {
        const inserted = await tx
          .insertInto('schedule_runs')
          .values({ key, due_at: dueAt, claimed_at: this.now().toISOString() })
          .onConflict((conflict) => conflict.columns(['key', 'due_at']).doNothing())
          .executeTakeFirst();
        // Rolls back the transaction (and its log entry): someone else claimed this slot.
        if (Number(inserted.numInsertedOrUpdatedRows ?? 0n) !== 1) throw new SlotTaken();
        await log({ action: 'schedule.claim', target: key, subjectId: dueAt });
      });
      return true;
    } catch (error) {
      if (error instanceof SlotTaken) return false;
      throw error;
    }
  }

  async lastScheduledRun(key: string): Promise<string | undefined> {
    const row = await this.db
      .selectFrom('schedule_runs')
      .select('due_at')
      .where('key', '=', key)
      .orderBy('due_at', 'desc')
      .limit(1)
      .executeTakeFirst();
    return row?.due_at;
  }

  async recordAlert(alert: Alert, outcome: AlertOutcome): Promise<StoredAlert> {
    const id = randomUUID();
    const failures = outcome.deliveries.filter((delivery) => !delivery.ok);
    const deliveryError = !outcome.sent
      ? HELD_BACK
      : failures.length > 0
        ? failures.map((delivery) => `${delivery.url}: ${delivery.error ?? `HTTP ${delivery.status}`}`).join('; ')
        : null;
    const deliveredAt = outcome.sent && outcome.deliveries.some((delivery) => delivery.ok) ? alert.at : null;
    await this.write(async (tx, log) => {
      const modelId = await this.modelId(tx, alert.model);
      await tx
        .insertInto('alerts')
        .values({
          id,
          model_id: modelId,
          kind: alert.kind,
          severity: alert.severity,
          message: alert.message,
          payload: canonicalJson(alert),
          dedup_key: alert.dedupKey,
          created_at: alert.at,
          delivered_at: deliveredAt,
          delivery_error: deliveryError,
        })
        .execute();
      await log({ action: 'alert.raise', target: alert.model, subjectId: id });
    });
    return { id, alert, sent: outcome.sent, deliveredAt, deliveryError };
  }

  async lastAlertSent(model: string, dedupKey: string): Promise<string | undefined> {
    const row = await this.db
      .selectFrom('alerts')
      .innerJoin('models', 'models.id', 'alerts.model_id')
      .select('alerts.created_at')
      .where('models.name', '=', model)
      .where('alerts.dedup_key', '=', dedupKey)
      .where((where) =>
        where.or([where('alerts.delivery_error', 'is', null), where('alerts.delivery_error', '!=', HELD_BACK)]),
      )
      .orderBy('alerts.created_at', 'desc')
      .limit(1)
      .executeTakeFirst();
    return row?.created_at;
  }

  async listAlerts(filter: { model?: string; limit?: number } = {}): Promise<StoredAlert[]> {
    let query = this.db
      .selectFrom('alerts')
      .leftJoin('models', 'models.id', 'alerts.model_id')
      .select(['alerts.id', 'alerts.payload', 'alerts.delivered_at', 'alerts.delivery_error'])
      .orderBy('alerts.created_at', 'desc')
      .limit(filter.limit ?? 100);
    if (filter.model) query = query.where('models.name', '=', filter.model);
    return (await query.execute()).map((row) => ({
      id: row.id,
      alert: Alert.parse(JSON.parse(row.payload)),
      sent: row.delivery_error !== HELD_BACK,
      deliveredAt: row.delivered_at,
      deliveryError: row.delivery_error,
    }));
  }

  async saveMonitor(monitor: { name: string; model: string; config: unknown; actor?: string }) {
    const config = canonicalJson(monitor.config);
    return this.write(async (tx, log) => {
      const existing = await tx
        .selectFrom('monitors')
        .innerJoin('models', 'models.id', 'monitors.model_id')
        .select(['monitors.id', 'monitors.created_at', 'models.name as model'])
        .where('monitors.name', '=', monitor.name)
        .executeTakeFirst();
      if (existing && existing.model !== monitor.model)
        throw new MonitorConflictError(`monitor "${monitor.name}" already watches model ${existing.model}`);
      const id = existing?.id ?? randomUUID();
      const createdAt = existing?.created_at ?? this.now().toISOString();
      if (existing) await tx.updateTable('monitors').set({ config }).where('id', '=', id).execute();
      else
        await tx
          .insertInto('monitors')
          .values({
            id,
            model_id: await this.modelId(tx, monitor.model),
            name: monitor.name,
            baseline_id: null,
            config,
            enabled: 1,
            created_at: createdAt,
          })
          .execute();
      await log({ action: 'monitor.save', target: monitor.name, subjectId: id, actor: monitor.actor });
      return { id, name: monitor.name, model: monitor.model, config: monitor.config, createdAt } as StoredMonitor;
    });
  }

  private monitorsWithModel() {
    return this.db
      .selectFrom('monitors')
      .innerJoin('models', 'models.id', 'monitors.model_id')
      .select(['monitors.id', 'monitors.name', 'monitors.config', 'monitors.created_at', 'models.name as model']);
  }

  async getMonitor(name: string): Promise<StoredMonitor | undefined> {
    const row = await this.monitorsWithModel().where('monitors.name', '=', name).executeTakeFirst();
    return row && toMonitor(row);
  }

  async listMonitors(): Promise<StoredMonitor[]> {
    return (await this.monitorsWithModel().orderBy('monitors.name').execute()).map(toMonitor);
  }

  private async monitorId(db: Kysely<Database>, name: string): Promise<string> {
    const row = await db.selectFrom('monitors').select('id').where('name', '=', name).executeTakeFirst();
    if (!row) throw new Error(`no monitor "${name}"`);
    return row.id;
  }

  async appendObservations(monitor: string, observations: readonly Observation[], retain: number, actor?: string) {
    const receivedAt = this.now().toISOString();
    return this.write(async (tx, log) => {
      const monitorId = await this.monitorId(tx, monitor);
      // Keyed rows already stored (or earlier in this batch) take the new values on top of theirs.
      const keys = [...new Set(observations.flatMap((o) => (o.key === undefined ? [] : [o.key])))];
      const stored = new Map<string, { seq: number; values: Record<string, unknown> }>();
      for (let i = 0; i < keys.length; i += INSERT_CHUNK) {
        const rows = await tx
          .selectFrom('monitor_observations')
          .select(['seq', 'row_key', 'json'])
          .where('monitor_id', '=', monitorId)
          .where('row_key', 'in', keys.slice(i, i + INSERT_CHUNK))
          .execute();
        for (const row of rows) stored.set(row.row_key as string, { seq: row.seq, values: JSON.parse(row.json) });
      }
      const top = await tx
        .selectFrom('monitor_observations')
        .select((eb) => eb.fn.max('seq').as('seq'))
        .where('monitor_id', '=', monitorId)
        .executeTakeFirst();
      let seq = Number(top?.seq ?? 0);
      const fresh = new Map<number, { key: string | null; values: Record<string, unknown> }>();
      const updated = new Set<number>();
      let merged = 0;
      let unmatched = 0;
      for (const observation of observations) {
        const previous = observation.key === undefined ? undefined : stored.get(observation.key);
        if (previous) {
          Object.assign(previous.values, withoutNulls(observation.values));
          if (!fresh.has(previous.seq)) updated.add(previous.seq);
          merged += 1;
          continue;
        }
        if (observation.mergeOnly) {
          unmatched += 1;
          continue;
        }
        seq += 1;
        const values = { ...observation.values };
        fresh.set(seq, { key: observation.key ?? null, values });
        if (observation.key !== undefined) stored.set(observation.key, { seq, values });
      }
      for (const entry of stored.values()) {
        if (!updated.has(entry.seq)) continue;
        await tx
          .updateTable('monitor_observations')
          .set({ json: JSON.stringify(entry.values) })
          .where('monitor_id', '=', monitorId)
          .where('seq', '=', entry.seq)
          .execute();
      }
      const rows = [...fresh].map(([rowSeq, row]) => ({
        monitor_id: monitorId,
        seq: rowSeq,
        row_key: row.key,
        received_at: receivedAt,
        json: JSON.stringify(row.values),
      }));
      for (let i = 0; i < rows.length; i += INSERT_CHUNK)
        await tx
          .insertInto('monitor_observations')
          .values(rows.slice(i, i + INSERT_CHUNK))
          .execute();
      await tx
        .deleteFrom('monitor_observations')
        .where('monitor_id', '=', monitorId)
        .where('seq', '<=', seq - retain)
        .execute();
      await log({
        action: 'monitor.ingest',
        target: monitor,
        subjectId: `appended ${rows.length}, merged ${updated.size}`,
        actor,
      });
      return { appended: rows.length, merged, unmatched, kept: Math.min(seq, retain) };
    });
  }

  async windowObservations(monitor: string, window: { rows: number; since?: string }) {
    const monitorId = await this.monitorId(this.db, monitor);
    let query = this.db
      .selectFrom('monitor_observations')
      .select('json')
      .where('monitor_id', '=', monitorId)
      .orderBy('seq', 'desc')
      .limit(window.rows);
    if (window.since) query = query.where('received_at', '>=', window.since);
    const rows = await query.execute();
    return rows.reverse().map((row) => JSON.parse(row.json) as Record<string, unknown>);
  }

  async recordMonitorResult(monitor: string, at: string, alarming: boolean, result: unknown, keep = MONITOR_HISTORY) {
    const id = randomUUID();
    await this.write(async (tx, log) => {
      const monitorId = await this.monitorId(tx, monitor);
      await tx
        .insertInto('monitor_results')
        .values({ id, monitor_id: monitorId, at, alarming: alarming ? 1 : 0, json: canonicalJson(result) })
        .execute();
      const oldestKept = await tx
        .selectFrom('monitor_results')
        .select('at')
        .where('monitor_id', '=', monitorId)
        .orderBy('at', 'desc')
        .offset(keep - 1)
        .limit(1)
        .executeTakeFirst();
      if (oldestKept)
        await tx
          .deleteFrom('monitor_results')
          .where('monitor_id', '=', monitorId)
          .where('at', '<', oldestKept.at)
          .execute();
      await log({ action: 'monitor.evaluate', target: monitor, subjectId: id, actor: 'monitor' });
    });
    return { id, monitor, at, alarming, result } satisfies StoredMonitorResult;
  }

  async monitorResults(monitor: string, limit = 100): Promise<StoredMonitorResult[]> {
    const rows = await this.db
      .selectFrom('monitor_results')
      .innerJoin('monitors', 'monitors.id', 'monitor_results.monitor_id')
      .select(['monitor_results.id', 'monitor_results.at', 'monitor_results.alarming', 'monitor_results.json'])
      .where('monitors.name', '=', monitor)
      .orderBy('monitor_results.at', 'desc')
      .limit(limit)
      .execute();
    return rows.map((row) => ({
      id: row.id,
      monitor,
      at: row.at,
      alarming: row.alarming === 1,
      result: JSON.parse(row.json),
    }));
  }

  appendLog(entry: LogAppend): Promise<LogEntry> {
    return this.write((_tx, log) => log(entry));
  }

  async listLog(options: { afterSeq?: number; limit?: number } = {}): Promise<LogEntry[]> {
    let query = this.db.selectFrom('audit_log').selectAll().orderBy('seq');
    if (options.afterSeq !== undefined) query = query.where('seq', '>', options.afterSeq);
    if (options.limit !== undefined) query = query.limit(options.limit);
    return (await query.execute()).map(toLogEntry);
  }

  async verifyLog() {
    const head = await this.db
      .selectFrom('audit_log_head')
      .select(['seq', 'hash'])
      .where('id', '=', 1)
      .executeTakeFirstOrThrow();
    const chain = await verifyChain(this.logPages(), head);
    if (!chain.ok) return chain;
    const record = await this.firstRecordMismatch();
    return record ? { ok: false as const, entries: chain.entries, ...record } : chain;
  }

  /**
   * The chain covers each report's digest; this ties the rows the gate and history read to it: the stored report
   * must still hash to the logged digest, and the audit row must still carry that digest and the report's verdict.
   */
  private async firstRecordMismatch(): Promise<{ firstBadSeq: number; problem: string } | undefined> {
    let afterSeq = 0;
    for (;;) {
      const page = await this.db
        .selectFrom('audit_log')
        .leftJoin('audits', 'audits.id', 'audit_log.subject_id')
        .leftJoin('reports', 'reports.audit_id', 'audit_log.subject_id')
        .select([
          'audit_log.seq',
          'audit_log.subject_id',
          'audit_log.report_digest as logged',
          'audits.id as audit_id',
          'audits.report_digest as audit_digest',
          'audits.verdict',
          'audits.exit_code',
          'reports.json',
        ])
        .where('audit_log.action', 'like', '%.record')
        .where('audit_log.seq', '>', afterSeq)
        .orderBy('audit_log.seq')
        .limit(200)
        .execute();
      for (const row of page) {
        const seq = Number(row.seq);
        const audit = `audit ${row.subject_id} (log entry ${seq})`;
        if (!row.audit_id || row.json === null)
          return { firstBadSeq: seq, problem: `${audit} or its report was removed` };
        const report = JSON.parse(row.json) as Report;
        if (canonicalDigest(report) !== row.logged)
          return { firstBadSeq: seq, problem: `the stored report of ${audit} was changed after it was recorded` };
        if (row.audit_digest !== row.logged || row.verdict !== report.verdict || row.exit_code !== report.gate.exitCode)
          return { firstBadSeq: seq, problem: `the verdict or digest of ${audit} no longer matches its report` };
      }
      if (page.length < 200) return undefined;
      afterSeq = Number(page[page.length - 1]?.seq);
    }
  }

  /** The whole log, read in pages so verification memory stays bounded. */
  private async *logPages(): AsyncIterable<LogEntry> {
    let afterSeq = 0;
    for (;;) {
      const page = await this.listLog({ afterSeq, limit: 1000 });
      yield* page;
      if (page.length < 1000) return;
      afterSeq = page[page.length - 1]?.seq ?? afterSeq;
    }
  }

  async close(): Promise<void> {
    await this.db.destroy();
  }
}

async function insertChunked<T extends 'findings' | 'metrics'>(
  tx: Transaction<Database>,
  table: T,
  rows: Database[T][],
) {
  for (let start = 0; start < rows.length; start += INSERT_CHUNK) {
    await tx
      .insertInto(table)
      .values(rows.slice(start, start + INSERT_CHUNK) as never)
      .execute();
  }
}

function findingRow(auditId: string) {
  return (finding: Finding, ordinal: number) => ({
    audit_id: auditId,
    ordinal,
    rule_id: finding.ruleId,
    severity: finding.severity,
    pillar: finding.pillar,
    title: finding.title,
    file: finding.file ?? null,
    member: finding.location?.member ?? null,
    suppressed: finding.suppressed ? 1 : 0,
  });
}

function toSummary(row: AuditWithModel): AuditSummary {
  return {
    id: row.id,
    model: row.model,
    modelDigest: row.model_digest,
    command: row.command,
    status: row.status,
    verdict: row.verdict,
    exitCode: row.exit_code,
    reportDigest: row.report_digest,
    findings: Object.fromEntries(SEVERITIES.map((severity) => [severity, Number(row[severity])])) as Record<
      Severity,
      number
    >,
    suppressed: Number(row.suppressed),
    notAnalysed: Number(row.not_analysed),
    actor: row.actor,
    error: row.error,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
  };
}

/**
 * A stored report, checked against this version's schema before anything renders it. The object returned is the
 * one stored, not zod's copy, so keys keep the order the report was written in and renderers give the same bytes.
 */
function parseStoredReport(auditId: string, json: string): Report {
  const stored: unknown = JSON.parse(json);
  const checked = Report.safeParse(stored);
  if (!checked.success)
    throw new Error(
      `the stored report of audit ${auditId} does not match this version's report schema ` +
        `(${checked.error.issues[0]?.path.join('.')}: ${checked.error.issues[0]?.message}); render it with the version that wrote it`,
    );
  return stored as Report;
}

function toDocument(row: DocumentRow, model: string | null): StoredDocument {
  return {
    id: row.id,
    name: row.name,
    model,
    kind: row.kind,
    digest: row.digest,
    data: JSON.parse(row.json),
    createdAt: row.created_at,
  };
}

function toMonitor(row: { id: string; name: string; config: string; created_at: string; model: string }) {
  return { id: row.id, name: row.name, model: row.model, config: JSON.parse(row.config), createdAt: row.created_at };
}

function withoutNulls(values: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(values).filter(([, value]) => value !== null && value !== undefined));
}

/** A monitor name is already taken by another model's monitor. */
export class MonitorConflictError extends Error {}

function toToken(row: Selectable<Database['api_tokens']>): ApiToken {
  return {
    id: row.id,
    name: row.name,
    scopes: row.scopes.split(' ').filter(Boolean) as ApiTokenScope[],
    createdAt: row.created_at,
    lastUsedAt: row.last_used_at,
    revokedAt: row.revoked_at,
  };
}

function toLogEntry(row: Selectable<Database['audit_log']>): LogEntry {
  return {
    seq: Number(row.seq),
    actor: row.actor,
    action: row.action,
    target: row.target,
    subjectId: row.subject_id,
    reportDigest: row.report_digest,
    at: row.at,
    prevHash: row.prev_hash,
    hash: row.hash,
  };
}
