import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DRIFT_PROFILE_KIND } from '../../src/cli/drift.js';
import { Config } from '../../src/core/config.js';
import { profileRecords } from '../../src/monitor/profile.js';
import { evaluateMonitor } from '../../src/server/monitors.js';
import { alertNotifier } from '../../src/server/notify.js';
import { type Service, startService } from '../../src/server/service.js';
import { openStore, type StoreLocation } from '../../src/store/open.js';
import { tempFolder } from '../helpers.js';
import { BACKENDS } from '../store/backends.js';

const ROWS = Array.from({ length: 400 }, (_, index) => ({ score: index % 97, segment: ['a', 'b', 'c'][index % 3] }));

describe.each(BACKENDS)('monitors in assay serve on $name', (backend) => {
  let location: StoreLocation;
  let service: Service;
  let token: string;
  let adminToken: string;

  beforeAll(async () => {
    location = await backend.fresh();
    const setup = await openStore(location);
    await setup.saveProfile({
      name: 'scores',
      model: 'team/scorer',
      kind: DRIFT_PROFILE_KIND,
      data: profileRecords(ROWS, ['score', 'segment'], 'reference'),
    });
    await setup.close();
    const config = Config.parse({
      monitors: [
        {
          name: 'scorer-hourly',
          model: 'team/scorer',
          baseline: 'scores',
          features: ['score', 'segment'],
          window: { rows: 200 },
          // Every second: the scheduler judges the window, not the ingest request.
          schedule: '* * * * * *',
        },
        {
          name: 'scorer-recent',
          model: 'team/scorer',
          baseline: 'scores',
          features: ['score'],
          window: { rows: 200, minutes: 60 },
        },
      ],
    });
    service = await startService({
      location,
      port: 0,
      host: '127.0.0.1',
      roots: [await tempFolder({})],
      allowHub: false,
      concurrency: 1,
      worker: false,
      config,
    });
    token = (await service.store.createApiToken('ingest', ['write'])).token;
    adminToken = (await service.store.createApiToken('ops', ['admin'])).token;
  });
  afterAll(() => service.stop());

  const post = (path: string, body: unknown, bearer = token) =>
    fetch(`${service.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${bearer}` },
      body: JSON.stringify(body),
    });
  /** The latest stored result once the scheduler has judged a window of `rows` rows. */
  async function judged(monitor: string, rows: number) {
    let latest: { rows: number; status: string } | undefined;
    for (let attempt = 0; attempt < 100 && latest?.rows !== rows; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      latest = (await service.store.monitorResults(monitor, 1))[0]?.result as typeof latest;
    }
    return latest;
  }

  it('config monitors are in the store; a scheduled one is judged by the scheduler over a real socket', async () => {
    expect((await service.store.listMonitors()).map((monitor) => monitor.name)).toEqual([
      'scorer-hourly',
      'scorer-recent',
    ]);
    const response = await post('/api/monitors/scorer-hourly/observations', { rows: ROWS.slice(0, 250) });
    expect(response.status).toBe(202);
    expect(await response.json()).toMatchObject({ appended: 250, kept: 200, evaluation: null });
    expect(await judged('scorer-hourly', 200)).toMatchObject({
      rows: 200,
      status: 'ok',
      drift: { dataset: { drifted: false } },
    });
  });

  it('a scheduled monitor saved through the API is scheduled without a restart; a bad cron is refused', async () => {
    const monitor = { name: 'scorer-api', model: 'team/scorer', baseline: 'scores', features: ['segment'] };
    const badCron = await post('/api/monitors', { ...monitor, schedule: 'every minute' }, adminToken);
    expect(badCron.status).toBe(400);
    expect(((await badCron.json()) as { error: string }).error).toContain('not a cron expression');
    expect(await service.store.getMonitor('scorer-api')).toBeUndefined();
    expect((await post('/api/monitors', { ...monitor, schedule: '* * * * * *' }, adminToken)).status).toBe(201);
    const response = await post('/api/monitors/scorer-api/observations', { rows: ROWS.slice(0, 90) });
    expect(await response.json()).toMatchObject({ appended: 90, evaluation: null });
    expect(await judged('scorer-api', 90)).toMatchObject({ rows: 90, status: 'ok' });
  });

  it('a time window only counts rows received within it', async () => {
    const response = await post('/api/monitors/scorer-recent/observations', { rows: ROWS.slice(0, 100) });
    const { evaluation } = (await response.json()) as { evaluation: { rows: number; status: string } };
    expect(evaluation).toMatchObject({ rows: 100, status: 'ok' });
    const stored = await service.store.getMonitor('scorer-recent');
    const later = new Date(Date.now() + 2 * 3600_000);
    const result = await evaluateMonitor(
      service.store,
      stored as NonNullable<typeof stored>,
      alertNotifier({ webhooks: [], cooldownMinutes: 60 }, service.store),
      later,
    );
    expect(result).toMatchObject({ rows: 0, status: 'waiting' });
  });

  it('keeps a bounded history of evaluations per monitor', async () => {
    await service.store.saveMonitor({ name: 'history', model: 'team/scorer', config: {} });
    for (const minute of [1, 2, 3, 4, 5])
      await service.store.recordMonitorResult('history', `2026-11-27T10:0${minute}:00.000Z`, false, { minute }, 3);
    const kept = await service.store.monitorResults('history');
    expect(kept.map((stored) => stored.result)).toEqual([{ minute: 5 }, { minute: 4 }, { minute: 3 }]);
  });

  it('a monitor name belongs to one model', async () => {
    await expect(service.store.saveMonitor({ name: 'scorer-recent', model: 'team/other', config: {} })).rejects.toThrow(
      /already watches model team\/scorer/,
    );
  });
});
