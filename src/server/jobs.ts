import { realpathSync } from 'node:fs';
import { isAbsolute, relative, resolve } from 'node:path';
import { auditPlan, NOT_ANALYSED_RULE_ID, VERSION } from '../assay.js';
import { audit } from '../core/audit.js';
import { DEFAULT_POLICY, loadPolicy } from '../core/policy.js';
import { DEFAULT_LIMITS } from '../formats/analyse.js';
import type { Store } from '../store/store.js';
import type { Progress } from '../targets/local.js';
import { HUB_PREFIX, resolveTarget } from '../targets/resolve.js';
import type { AlertNotifier } from './notify.js';

/** One audit to run: recorded as `running` in the store before it is queued, so it is never lost. */
export interface AuditJob {
  auditId: string;
  model: string;
  target: string;
  command: 'audit' | 'scan';
  policy?: string;
}

/** Where audits wait for a worker: in this process (SQLite), or in PostgreSQL for any number of workers. */
export interface JobQueue {
  submit(job: AuditJob): Promise<void>;
  /** Starts taking jobs; `handle` runs one. */
  start(handle: (job: AuditJob) => Promise<void>): Promise<void>;
  stop(): Promise<void>;
}

/** Live progress of the audits this process is running, for the dashboard's live page. */
export type ProgressBoard = Map<string, Progress & { at: string }>;

export class TargetNotAllowedError extends Error {}

/**
 * The service reads only what its operator allowed: paths under `roots` (and Hub targets unless offline). An API
 * user must not be able to point the server at /etc or at another tenant's folder.
 */
export function checkTargetAllowed(target: string, roots: readonly string[], allowHub: boolean): void {
  if (target.startsWith(HUB_PREFIX)) {
    if (!allowHub) throw new TargetNotAllowedError('Hub targets are disabled on this server (--offline)');
    return;
  }
  const absolute = realPath(target);
  const inside = roots.some((root) => {
    const path = relative(realPath(root), absolute);
    return path === '' || (!path.startsWith('..') && !isAbsolute(path));
  });
  if (!inside)
    throw new TargetNotAllowedError(
      `target ${target} is outside the folders this server may read (${roots.join(', ') || 'none'}); ` +
        'start assay serve with --root <folder>',
    );
}

/** Symbolic links resolved, so a link inside a root cannot lead outside it; a path that does not exist stays as given. */
function realPath(path: string): string {
  try {
    return realpathSync(resolve(path));
  } catch {
    return resolve(path);
  }
}

export interface RunJobDependencies {
  store: Store;
  notifier?: AlertNotifier;
  progress?: ProgressBoard;
}

/**
 * Runs one audit job exactly once: a job whose audit is no longer `running` (another worker finished it before
 * this one was retried) is skipped; a failure is recorded on the audit, never lost.
 */
export async function runAuditJob(job: AuditJob, { store, notifier, progress }: RunJobDependencies): Promise<void> {
  const stored = await store.getAudit(job.auditId);
  if (stored?.status !== 'running') return;
  try {
    const previous = (await store.listAudits({ model: job.model, status: 'finished', limit: 1 }))[0];
    const policy = job.policy ? await loadPolicy(job.policy) : DEFAULT_POLICY;
    const resolved = await resolveTarget(job.target);
    const report = await audit(resolved.path, {
      ...auditPlan(job.command),
      policy,
      limits: DEFAULT_LIMITS,
      notAnalysedRuleId: NOT_ANALYSED_RULE_ID,
      toolVersion: VERSION,
      displayTarget: job.target,
      extraArtifacts: resolved.extraArtifacts,
      onProgress: progress && ((update) => progress.set(job.auditId, { ...update, at: new Date().toISOString() })),
    });
    const summary = await store.recordAudit(report, { auditId: job.auditId, model: job.model, command: job.command });
    const before = previous && (await store.getAudit(previous.id))?.report;
    await notifier?.afterAudit(before ? { id: previous.id, model: job.model, report: before } : undefined, {
      id: summary.id,
      model: job.model,
      report,
    });
  } catch (error) {
    // Another worker may have finished the same job meanwhile (a retry after a stall): then its result stands.
    const again = await store.getAudit(job.auditId);
    if (again?.status === 'running') await store.failAudit(job.auditId, (error as Error).message);
  } finally {
    progress?.delete(job.auditId);
  }
}

/** Audits in this process, at most `concurrency` at a time (the SQLite deployment: one server, one machine). */
export class InProcessQueue implements JobQueue {
  private readonly waiting: AuditJob[] = [];
  private running = 0;
  private handle?: (job: AuditJob) => Promise<void>;
  private readonly idle = new Set<() => void>();

  constructor(private readonly concurrency = 2) {}

  async submit(job: AuditJob): Promise<void> {
    this.waiting.push(job);
    this.pump();
  }

  async start(handle: (job: AuditJob) => Promise<void>): Promise<void> {
    this.handle = handle;
    this.pump();
  }

  /** Waits for the running jobs; waiting ones stay `running` in the store (see failInterruptedAudits). */
  async stop(): Promise<void> {
    this.handle = undefined;
    if (this.running === 0) return;
    await new Promise<void>((done) => this.idle.add(done));
  }

  private pump(): void {
    while (this.handle && this.running < this.concurrency && this.waiting.length > 0) {
      const job = this.waiting.shift() as AuditJob;
      const handle = this.handle;
      this.running++;
      handle(job)
        .catch(() => undefined)
        .finally(() => {
          this.running--;
          if (this.running === 0) for (const done of this.idle) done();
          this.idle.clear();
          this.pump();
        });
    }
  }
}

/**
 * An in-process queue lives in memory: audits left `running` by a previous server process will never run, so at
 * start-up they are marked failed with a message saying to submit them again, rather than shown as running forever.
 */
export async function failInterruptedAudits(store: Store): Promise<number> {
  const orphans = await store.listAudits({ status: 'running', limit: 10_000 });
  for (const orphan of orphans)
    await store.failAudit(orphan.id, 'the server stopped before this audit ran; submit it again');
  return orphans.length;
}
