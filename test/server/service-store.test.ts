import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Alert } from '../../src/alerts/alert.js';
import { alertNotifier } from '../../src/server/notify.js';
import { openStore } from '../../src/store/open.js';
import type { Store } from '../../src/store/store.js';
import { BACKENDS } from '../store/backends.js';

const ALERT: Alert = {
  kind: 'gate-flipped',
  model: 'team/model',
  severity: 'high',
  title: 'team/model: the gate now FAILS',
  message: 'The gate flipped from pass to fail',
  dedupKey: 'gate-flipped:fail',
  details: {},
  at: '2026-11-27T10:00:00.000Z',
};

describe.each(BACKENDS)('service tables on $name', (backend) => {
  let store: Store;
  beforeAll(async () => {
    store = await openStore(await backend.fresh());
  });
  afterAll(() => store.close());

  it('a scheduled slot is claimed once, even by concurrent claimants', async () => {
    const claims = await Promise.all(
      Array.from({ length: 6 }, () => store.claimScheduledRun('audit:m', '2026-11-27T03:00:00.000Z')),
    );
    expect(claims.filter(Boolean)).toHaveLength(1);
    expect(await store.claimScheduledRun('audit:m', '2026-11-28T03:00:00.000Z')).toBe(true);
    expect(await store.lastScheduledRun('audit:m')).toBe('2026-11-28T03:00:00.000Z');
    expect(await store.lastScheduledRun('audit:other')).toBeUndefined();
    expect((await store.verifyLog()).ok).toBe(true);
  });

  it('alerts are recorded; a repeat within the cool-down is held back and does not restart the cool-down', async () => {
    const notifier = alertNotifier({ webhooks: [], cooldownMinutes: 60 }, store);
    await notifier.raise(ALERT);
    await notifier.raise({ ...ALERT, at: '2026-11-27T10:30:00.000Z' });
    await notifier.raise({ ...ALERT, at: '2026-11-27T11:05:00.000Z' });
    const listed = await store.listAlerts({ model: 'team/model' });
    expect(listed.map((stored) => [stored.alert.at, stored.sent])).toEqual([
      ['2026-11-27T11:05:00.000Z', true],
      ['2026-11-27T10:30:00.000Z', false],
      ['2026-11-27T10:00:00.000Z', true],
    ]);
    expect(await store.lastAlertSent('team/model', 'gate-flipped:fail')).toBe('2026-11-27T11:05:00.000Z');
  });
});
