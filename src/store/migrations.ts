import { type Kysely, type Migration, type MigrationProvider, sql } from 'kysely';

/** A new migration is a new entry at the end, never an edit of an old one: stores in the field have run them. */
const MIGRATIONS: Record<string, Migration> = {
  '0001-initial': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('models')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull().unique())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('targets')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('model_id', 'text', (c) => c.notNull().references('models.id'))
        .addColumn('digest', 'text', (c) => c.notNull())
        .addColumn('files', 'integer', (c) => c.notNull())
        .addColumn('bytes', 'bigint', (c) => c.notNull())
        .addColumn('first_seen_at', 'text', (c) => c.notNull())
        .addUniqueConstraint('targets_model_digest', ['model_id', 'digest'])
        .execute();
      await db.schema
        .createTable('audits')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('model_id', 'text', (c) => c.notNull().references('models.id'))
        .addColumn('target_id', 'text', (c) => c.references('targets.id'))
        .addColumn('model_digest', 'text')
        .addColumn('command', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('verdict', 'text')
        .addColumn('exit_code', 'integer')
        .addColumn('report_digest', 'text')
        .addColumn('critical', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('high', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('medium', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('low', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('info', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('suppressed', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('not_analysed', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('actor', 'text', (c) => c.notNull())
        .addColumn('error', 'text')
        .addColumn('started_at', 'text', (c) => c.notNull())
        .addColumn('finished_at', 'text')
        .execute();
      await db.schema.createIndex('audits_model_time').on('audits').columns(['model_id', 'started_at']).execute();
      await db.schema
        .createIndex('audits_model_digest')
        .on('audits')
        .columns(['model_id', 'model_digest', 'finished_at'])
        .execute();
      await db.schema
        .createTable('reports')
        .addColumn('audit_id', 'text', (c) => c.primaryKey().references('audits.id'))
        .addColumn('digest', 'text', (c) => c.notNull())
        .addColumn('json', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('findings')
        .addColumn('audit_id', 'text', (c) => c.notNull().references('audits.id'))
        .addColumn('ordinal', 'integer', (c) => c.notNull())
        .addColumn('rule_id', 'text', (c) => c.notNull())
        .addColumn('severity', 'text', (c) => c.notNull())
        .addColumn('pillar', 'text', (c) => c.notNull())
        .addColumn('title', 'text', (c) => c.notNull())
        .addColumn('file', 'text')
        .addColumn('member', 'text')
        .addColumn('suppressed', 'integer', (c) => c.notNull())
        .addPrimaryKeyConstraint('findings_pk', ['audit_id', 'ordinal'])
        .execute();
      await db.schema.createIndex('findings_rule').on('findings').columns(['rule_id', 'severity']).execute();
      await db.schema
        .createTable('metrics')
        .addColumn('audit_id', 'text', (c) => c.notNull().references('audits.id'))
        .addColumn('model_id', 'text', (c) => c.notNull().references('models.id'))
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('value', 'double precision', (c) => c.notNull())
        .addColumn('recorded_at', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('metrics_pk', ['audit_id', 'name'])
        .execute();
      await db.schema.createIndex('metrics_trend').on('metrics').columns(['model_id', 'name', 'recorded_at']).execute();
      for (const table of ['baselines', 'profiles']) {
        await db.schema
          .createTable(table)
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('model_id', 'text', (c) => c.references('models.id'))
          .addColumn('name', 'text', (c) => c.notNull())
          .addColumn('kind', 'text', (c) => c.notNull())
          .addColumn('digest', 'text', (c) => c.notNull())
          .addColumn('json', 'text', (c) => c.notNull())
          .addColumn('created_at', 'text', (c) => c.notNull())
          .execute();
        await db.schema.createIndex(`${table}_name`).on(table).columns(['name', 'created_at']).execute();
      }
      await db.schema
        .createTable('monitors')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('model_id', 'text', (c) => c.notNull().references('models.id'))
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('baseline_id', 'text', (c) => c.references('baselines.id'))
        .addColumn('config', 'text', (c) => c.notNull())
        .addColumn('enabled', 'integer', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addUniqueConstraint('monitors_model_name', ['model_id', 'name'])
        .execute();
      await db.schema
        .createTable('schedules')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('model_id', 'text', (c) => c.notNull().references('models.id'))
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('cron', 'text', (c) => c.notNull())
        .addColumn('config', 'text', (c) => c.notNull())
        .addColumn('enabled', 'integer', (c) => c.notNull())
        .addColumn('next_run_at', 'text')
        .addColumn('last_run_at', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('alerts')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('model_id', 'text', (c) => c.references('models.id'))
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('severity', 'text', (c) => c.notNull())
        .addColumn('message', 'text', (c) => c.notNull())
        .addColumn('payload', 'text', (c) => c.notNull())
        .addColumn('dedup_key', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('delivered_at', 'text')
        .addColumn('delivery_error', 'text')
        .execute();
      await db.schema.createIndex('alerts_dedup').on('alerts').columns(['dedup_key', 'created_at']).execute();
      await db.schema
        .createTable('audit_log')
        .addColumn('seq', 'integer', (c) => c.primaryKey())
        .addColumn('actor', 'text', (c) => c.notNull())
        .addColumn('action', 'text', (c) => c.notNull())
        .addColumn('target', 'text', (c) => c.notNull())
        .addColumn('subject_id', 'text')
        .addColumn('report_digest', 'text')
        .addColumn('at', 'text', (c) => c.notNull())
        .addColumn('prev_hash', 'text', (c) => c.notNull())
        .addColumn('hash', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('audit_log_head')
        .addColumn('id', 'integer', (c) => c.primaryKey())
        .addColumn('seq', 'integer', (c) => c.notNull())
        .addColumn('hash', 'text', (c) => c.notNull())
        .execute();
      await sql`insert into audit_log_head (id, seq, hash) values (1, 0, ${GENESIS_HASH})`.execute(db);
      await db.schema
        .createTable('api_tokens')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('hash', 'text', (c) => c.notNull().unique())
        .addColumn('scopes', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('last_used_at', 'text')
        .addColumn('revoked_at', 'text')
        .execute();
    },
  },
  '0002-schedule-runs': {
    async up(db: Kysely<unknown>) {
      // One row per (task, due time): the primary key is what lets only one process claim a scheduled slot.
      await db.schema
        .createTable('schedule_runs')
        .addColumn('key', 'text', (c) => c.notNull())
        .addColumn('due_at', 'text', (c) => c.notNull())
        .addColumn('claimed_at', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('schedule_runs_pk', ['key', 'due_at'])
        .execute();
    },
  },
  '0003-monitor-observations': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('monitor_observations')
        .addColumn('monitor_id', 'text', (c) => c.notNull().references('monitors.id'))
        .addColumn('seq', 'integer', (c) => c.notNull())
        .addColumn('row_key', 'text')
        .addColumn('received_at', 'text', (c) => c.notNull())
        .addColumn('json', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('monitor_observations_pk', ['monitor_id', 'seq'])
        .execute();
      await db.schema
        .createIndex('monitor_observations_key')
        .on('monitor_observations')
        .columns(['monitor_id', 'row_key'])
        .execute();
      await db.schema
        .createTable('monitor_results')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('monitor_id', 'text', (c) => c.notNull().references('monitors.id'))
        .addColumn('at', 'text', (c) => c.notNull())
        .addColumn('alarming', 'integer', (c) => c.notNull())
        .addColumn('json', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('monitor_results_at').on('monitor_results').columns(['monitor_id', 'at']).execute();
    },
  },
};

/** The `prev_hash` of the first log entry. */
export const GENESIS_HASH = '0'.repeat(64);

export const migrationProvider: MigrationProvider = {
  getMigrations: async () => MIGRATIONS,
};

export const MIGRATION_NAMES = Object.keys(MIGRATIONS);
