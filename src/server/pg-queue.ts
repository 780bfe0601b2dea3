import PgBoss from 'pg-boss';
import type { AuditJob, JobQueue } from './jobs.js';

const QUEUE = 'assay-audit';

export interface PostgresQueueOptions {
  url: string;
  /** pg-boss keeps its tables in this schema (default `assay_jobs`, or `<store schema>_jobs`). */
  schema: string;
  /**
   * A job still active after this long is taken to belong to a dead worker and is handed to another one.
   * Keep it above the longest audit; the store's status check makes a late second run harmless.
   */
  expireInSeconds?: number;
  /** How often pg-boss looks for expired jobs. */
  maintenanceIntervalSeconds?: number;
  concurrency?: number;
}

/**
 * Audit jobs in PostgreSQL through pg-boss: any number of `assay worker` processes on any machines share them.
 * The job id is the audit id, so submitting twice queues once; a worker killed mid-audit leaves its job active
 * until it expires, then it is retried elsewhere, and runAuditJob's status check makes the result land once.
 */
export class PostgresQueue implements JobQueue {
  private readonly boss: PgBoss;
  private started?: Promise<void>;

  constructor(private readonly options: PostgresQueueOptions) {
    this.boss = new PgBoss({
      connectionString: options.url,
      schema: options.schema,
      maintenanceIntervalSeconds: options.maintenanceIntervalSeconds ?? 30,
    });
    // pg-boss reports connection trouble as events; without a listener Node would crash the process on them.
    this.boss.on('error', (error) => process.stderr.write(`assay: job queue: ${error.message}\n`));
  }

  /** Creates pg-boss's tables and the queue once (every other method waits for it). */
  ready(): Promise<void> {
    this.started ??= (async () => {
      await this.boss.start();
      await this.boss.createQueue(QUEUE, {
        name: QUEUE,
        retryLimit: 5,
        retryDelay: 1,
        expireInSeconds: this.options.expireInSeconds ?? 3600,
      });
    })();
    return this.started;
  }

  async submit(job: AuditJob): Promise<void> {
    await this.ready();
    await this.boss.send(QUEUE, { ...job }, { id: job.auditId });
  }

  async start(handle: (job: AuditJob) => Promise<void>): Promise<void> {
    await this.ready();
    const workers = this.options.concurrency ?? 1;
    for (let index = 0; index < workers; index++) {
      await this.boss.work<AuditJob>(QUEUE, { batchSize: 1, pollingIntervalSeconds: 1 }, async (jobs) => {
        for (const job of jobs) await handle(job.data);
      });
    }
  }

  async stop(): Promise<void> {
    if (!this.started) return;
    await this.started;
    await this.boss.stop({ graceful: true, wait: true, timeout: 30_000 });
  }
}
