import { Cron } from 'croner';

/** Something to do on a cron schedule: a model's re-audit, a monitor's drift check. */
export interface ScheduledTask {
  /** Stable key, e.g. `audit:<model>`: one run per key and due time, whichever process claims it first. */
  key: string;
  cron: string;
  run(dueAt: Date): Promise<void>;
}

export interface SchedulerDependencies {
  /** True for exactly one caller per (key, due time), across every process sharing the store. */
  claim(key: string, dueAt: string): Promise<boolean>;
  /** The due time of the latest claimed run of this key. */
  lastRun(key: string): Promise<string | undefined>;
  now?: () => Date;
  onError?: (task: ScheduledTask, error: Error) => void;
}

export class ScheduleError extends Error {}

/**
 * Runs tasks on their cron schedules (UTC). A run missed while no scheduler was up (a restart, a deploy) is caught
 * up once at start — not once per missed slot — and every run is claimed in the store first, so several servers or
 * workers with the same config never run the same slot twice.
 */
export class Scheduler {
  private readonly timers = new Map<string, Cron>();
  private readonly running = new Set<Promise<void>>();

  constructor(private readonly dependencies: SchedulerDependencies) {}

  /** Validates every expression before starting any, so a typo fails `assay serve` at start-up with its key. */
  async start(tasks: readonly ScheduledTask[]): Promise<void> {
    const crons = tasks.map((task) => {
      try {
        return { task, cron: new Cron(task.cron, { timezone: 'UTC', paused: true }) };
      } catch (error) {
        throw new ScheduleError(
          `schedule of ${task.key} ("${task.cron}") is not a cron expression: ${(error as Error).message}`,
        );
      }
    });
    for (const { task, cron } of crons) {
      const now = this.now();
      const due = cron.previousRuns(1, now)[0];
      const last = await this.dependencies.lastRun(task.key);
      if (due && (!last || Date.parse(last) < due.getTime())) this.fire(task, due);
      const timer = new Cron(task.cron, { timezone: 'UTC', protect: true }, (self: Cron) => {
        const scheduled = self.currentRun() ?? this.now();
        this.fire(task, scheduled);
      });
      this.timers.set(task.key, timer);
      cron.stop();
    }
  }

  /** Stops the timers and waits for runs in progress. */
  async stop(): Promise<void> {
    for (const timer of this.timers.values()) timer.stop();
    this.timers.clear();
    await Promise.allSettled([...this.running]);
  }

  private fire(task: ScheduledTask, due: Date): void {
    // Seconds are the finest cron unit: two processes firing the same slot agree on the key to the second.
    const dueAt = new Date(Math.floor(due.getTime() / 1000) * 1000).toISOString();
    const run = (async () => {
      if (!(await this.dependencies.claim(task.key, dueAt))) return;
      await task.run(new Date(dueAt));
    })().catch((error: Error) => this.dependencies.onError?.(task, error));
    this.running.add(run);
    void run.finally(() => this.running.delete(run));
  }

  private now(): Date {
    return this.dependencies.now?.() ?? new Date();
  }
}
