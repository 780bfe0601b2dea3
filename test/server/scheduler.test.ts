import { describe, expect, it } from 'vitest';
import { type ScheduledTask, ScheduleError, Scheduler } from '../../src/server/scheduler.js';

/** The claims table a store keeps, in memory: the first claim of a (key, due time) wins. */
function claims() {
  const taken = new Map<string, string[]>();
  return {
    taken,
    claim: async (key: string, dueAt: string) => {
      const list = taken.get(key) ?? [];
      if (list.includes(dueAt)) return false;
      taken.set(key, [...list, dueAt]);
      return true;
    },
    lastRun: async (key: string) => taken.get(key)?.at(-1),
  };
}

function recorder(key: string, cron: string) {
  const runs: string[] = [];
  const task: ScheduledTask = {
    key,
    cron,
    run: async (dueAt) => {
      runs.push(dueAt.toISOString());
    },
  };
  return { task, runs };
}

const NOW = new Date('2026-11-27T10:00:00Z');

describe('scheduler', () => {
  it('catches up a run missed while it was down, once, not once per missed slot', async () => {
    const store = claims();
    store.taken.set('audit:m', ['2026-11-24T03:00:00.000Z']);
    const { task, runs } = recorder('audit:m', '0 3 * * *');
    const scheduler = new Scheduler({ ...store, now: () => NOW });
    await scheduler.start([task]);
    await scheduler.stop();
    expect(runs).toEqual(['2026-11-27T03:00:00.000Z']);
  });

  it('does not re-run a slot that already ran', async () => {
    const store = claims();
    store.taken.set('audit:m', ['2026-11-27T03:00:00.000Z']);
    const { task, runs } = recorder('audit:m', '0 3 * * *');
    const scheduler = new Scheduler({ ...store, now: () => NOW });
    await scheduler.start([task]);
    await scheduler.stop();
    expect(runs).toEqual([]);
  });

  it('two schedulers sharing one store run each slot once', async () => {
    const store = claims();
    const first = recorder('audit:m', '* * * * * *');
    const second = recorder('audit:m', '* * * * * *');
    const a = new Scheduler(store);
    const b = new Scheduler(store);
    await Promise.all([a.start([first.task]), b.start([second.task])]);
    await new Promise((resolve) => setTimeout(resolve, 2500));
    await Promise.all([a.stop(), b.stop()]);
    const all = [...first.runs, ...second.runs];
    expect(all.length).toBeGreaterThanOrEqual(2);
    expect(new Set(all).size).toBe(all.length);
  });

  it('refuses an invalid cron expression at start, naming the task', async () => {
    const scheduler = new Scheduler(claims());
    await expect(scheduler.start([recorder('audit:typo', '0 3 * *x *').task])).rejects.toThrow(ScheduleError);
    await expect(scheduler.start([recorder('audit:typo', 'every day').task])).rejects.toThrow(/audit:typo/);
  });
});
