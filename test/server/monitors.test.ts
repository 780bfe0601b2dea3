import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SIGNATURE_HEADER, TIMESTAMP_HEADER, verifyWebhook } from '../../src/alerts/webhook.js';
import { DRIFT_PROFILE_KIND } from '../../src/cli/drift.js';
import { profileFiles } from '../../src/monitor/profile.js';
import { createApp } from '../../src/server/app.js';
import { InProcessQueue, type ProgressBoard } from '../../src/server/jobs.js';
import type { MonitorResult } from '../../src/server/monitors.js';
import { alertNotifier } from '../../src/server/notify.js';
import { openStore } from '../../src/store/open.js';
import type { Store } from '../../src/store/store.js';
import { tempFolder } from '../helpers.js';
import { BACKENDS } from '../store/backends.js';

const SECRET_ENV = 'ASSAY_TEST_MONITOR_WEBHOOK_SECRET';
const SECRET = 'monitor-test-secret';
const CATEGORIES = ['north', 'south', 'east'];

/** Deterministic normal draws (Box–Muller over a small LCG), so every run sees the same rows. */
function generator(seed: number) {
  let state = seed >>> 0;
  const uniform = () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return (state + 0.5) / 2 ** 32;
  };
  const normal = () => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
  return { uniform, normal };
}

/** Traffic rows: age ~ N(40 + shift·10, 10), region skewed when shifted, prediction from age. */
function traffic(count: number, seed: number, shift: number, idPrefix: string) {
  const random = generator(seed);
  return Array.from({ length: count }, (_, index) => {
    const age = 40 + shift * 10 + 10 * random.normal();
    const region = shift > 0 && random.uniform() < 0.7 ? 'east' : CATEGORIES[Math.floor(random.uniform() * 3)];
    return { id: `${idPrefix}${index}`, age: Number(age.toFixed(3)), region, prediction: age > 40 ? 'yes' : 'no' };
  });
}

function csv(rows: ReturnType<typeof traffic>): string {
  return `age,region,prediction\n${rows.map((row) => `${row.age},${row.region},${row.prediction}`).join('\n')}\n`;
}

describe.each(BACKENDS)('live monitors on $name', (backend) => {
  let store: Store;
  let app: ReturnType<typeof createApp>;
  let receiver: Server;
  const received: { body: string; signature?: string; timestamp?: string }[] = [];
  const tokens = { read: '', write: '', admin: '' };
  const location = backend.fresh();

  const monitor = {
    name: 'credit-traffic',
    model: 'team/credit',
    baseline: 'credit-reference',
    features: ['age', 'region'],
    prediction: 'prediction',
    label: 'label',
    id: 'id',
    window: { rows: 300 },
    minRows: 50,
    metrics: { task: 'classification', baseline: { accuracy: 0.9 }, tolerance: 0.2, minLabels: 50 },
  };

  beforeAll(async () => {
    process.env[SECRET_ENV] = SECRET;
    store = await openStore(await location);
    const folder = await tempFolder({ 'reference.csv': csv(traffic(1000, 1, 0, 'r')) });
    const profile = await profileFiles([{ path: join(folder, 'reference.csv') }]);
    await store.saveProfile({ name: 'credit-reference', kind: DRIFT_PROFILE_KIND, data: profile });
    receiver = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk) => {
        body += chunk;
      });
      request.on('end', () => {
        received.push({
          body,
          signature: request.headers[SIGNATURE_HEADER] as string | undefined,
          timestamp: request.headers[TIMESTAMP_HEADER] as string | undefined,
        });
        response.writeHead(204).end();
      });
    });
    await new Promise<void>((ready) => receiver.listen(0, '127.0.0.1', ready));
    const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
    const notifier = alertNotifier(
      { webhooks: [{ url, kind: 'json', secretEnv: SECRET_ENV }], cooldownMinutes: 60 },
      store,
    );
    const progress: ProgressBoard = new Map();
    app = createApp({
      store,
      queue: new InProcessQueue(1),
      progress,
      roots: [folder],
      allowHub: false,
      maxBodyBytes: 64 * 1024,
      notifier,
    });
    for (const scope of ['read', 'write', 'admin'] as const)
      tokens[scope] = (await store.createApiToken(`${scope}-token`, [scope])).token;
  });
  afterAll(async () => {
    await new Promise((closed) => receiver.close(closed));
    await store.close();
  });

  const call = (path: string, init: { method?: string; body?: unknown; raw?: string; token?: string } = {}) =>
    app.request(path, {
      method: init.method ?? (init.body !== undefined || init.raw !== undefined ? 'POST' : 'GET'),
      body: init.raw ?? (init.body === undefined ? undefined : JSON.stringify(init.body)),
      headers: {
        'content-type': 'application/json',
        ...(init.token ? { authorization: `Bearer ${init.token}` } : {}),
      },
    });
  const ingestRows = async (rows: unknown[]) => {
    const response = await call(`/api/monitors/${monitor.name}/observations`, { body: { rows }, token: tokens.write });
    expect(response.status).toBe(202);
    return (await response.json()) as { appended: number; merged: number; evaluation: MonitorResult };
  };
  const storedRows = async () =>
    (await backend.rows(await location, 'select count(*) as n from monitor_observations')) as { n: number | string }[];

  it('defines a monitor only with the admin scope and an existing baseline holding the watched columns', async () => {
    expect((await call('/api/monitors', { body: monitor })).status).toBe(401);
    expect((await call('/api/monitors', { body: monitor, token: tokens.write })).status).toBe(403);
    const missing = await call('/api/monitors', { body: { ...monitor, baseline: 'nope' }, token: tokens.admin });
    expect(missing.status).toBe(400);
    expect(((await missing.json()) as { error: string }).error).toContain('--save-baseline nope');
    const unknownColumn = await call('/api/monitors', {
      body: { ...monitor, features: ['age', 'income'] },
      token: tokens.admin,
    });
    expect(unknownColumn.status).toBe(400);
    expect(((await unknownColumn.json()) as { error: string }).error).toContain('"income"');
    const created = await call('/api/monitors', { body: monitor, token: tokens.admin });
    expect(created.status).toBe(201);
    expect(await store.listMonitors()).toMatchObject([{ name: monitor.name, model: monitor.model }]);
  });

  it('refuses ingest without a token, with a read token, oversized or malformed; writes nothing', async () => {
    const path = `/api/monitors/${monitor.name}/observations`;
    const rows = traffic(10, 2, 0, 'x');
    expect((await call(path, { body: { rows } })).status).toBe(401);
    expect((await call(path, { body: { rows }, token: tokens.read })).status).toBe(403);
    expect((await call(path, { body: { rows: traffic(2000, 3, 0, 'y') }, token: tokens.write })).status).toBe(413);
    expect((await call(path, { raw: '{"rows": [', token: tokens.write })).status).toBe(400);
    const invalid = await call(path, { body: { rows: [], extra: 1 }, token: tokens.write });
    expect(invalid.status).toBe(400);
    expect(((await invalid.json()) as { error: string }).error).toMatch(/rows/);
    expect((await call(path, { body: { rows: [{ age: { nested: 1 } }] }, token: tokens.write })).status).toBe(400);
    expect((await call('/api/monitors/unknown/observations', { body: { rows }, token: tokens.write })).status).toBe(
      404,
    );
    expect(Number((await storedRows())[0].n)).toBe(0);
    expect(await store.monitorResults(monitor.name)).toEqual([]);
  });

  it('a batch from the reference distribution: evaluated, no drift, no alert', async () => {
    const first = await ingestRows(traffic(30, 4, 0, 's'));
    expect(first.evaluation.status).toBe('waiting');
    const answer = await ingestRows(traffic(270, 5, 0, 's30-'));
    expect(answer.appended).toBe(270);
    const evaluation = answer.evaluation;
    expect(evaluation.status).toBe('ok');
    expect(evaluation.rows).toBe(300);
    expect(evaluation.drift?.dataset).toMatchObject({ testedColumns: 3, driftedColumns: 0, drifted: false });
    expect(evaluation.drift?.columns.map((column) => column.method)).toEqual(['ks', 'chisquare', 'z']);
    expect(evaluation.alerts).toEqual([]);
    expect(await store.listAlerts({ model: monitor.model })).toEqual([]);
  });

  it('labels arriving later merge into their rows and give metrics against the baseline', async () => {
    // Labels for the 270 rows of the last batch: 95% agree with the prediction.
    const rows = traffic(270, 5, 0, 's30-').map((row, index) => ({
      id: row.id,
      label: index % 20 === 0 ? (row.prediction === 'yes' ? 'no' : 'yes') : row.prediction,
    }));
    const answer = await ingestRows(rows);
    expect(answer).toMatchObject({ appended: 0, merged: 270, unmatched: 0 });
    expect(Number((await storedRows())[0].n)).toBe(300);
    expect(answer.evaluation.labelled).toBe(270);
    const accuracy = answer.evaluation.metrics?.find((metric) => metric.name === 'accuracy');
    expect(accuracy?.value).toBeCloseTo(256 / 270, 12);
    expect(accuracy?.regressed).toBe(false);
    expect(answer.evaluation.drift?.dataset.drifted).toBe(false);
  });

  it('a shifted batch: drift detected, alerts stored and delivered signed; the window stays bounded', async () => {
    const shifted = traffic(300, 6, 1, 'd');
    const answer = await ingestRows(shifted);
    expect(Number((await storedRows())[0].n)).toBe(300);
    const evaluation = answer.evaluation;
    expect(evaluation.drift?.dataset.drifted).toBe(true);
    const drifted = evaluation.drift?.columns.filter((column) => column.drifted).map((column) => column.column);
    expect(drifted).toEqual(expect.arrayContaining(['age', 'region']));
    const alerts = await store.listAlerts({ model: monitor.model });
    expect(alerts.map((stored) => stored.alert.dedupKey)).toEqual(
      expect.arrayContaining([`drift-detected:${monitor.name}:age`, `drift-detected:${monitor.name}:region`]),
    );
    expect(alerts.every((stored) => stored.alert.kind === 'drift-detected' && stored.deliveredAt)).toBe(true);
    const deliveries = received.map((delivery) => JSON.parse(delivery.body) as { alert: { dedupKey: string } });
    expect(deliveries.map((delivery) => delivery.alert.dedupKey)).toContain(`drift-detected:${monitor.name}:age`);
    for (const delivery of received)
      expect(
        verifyWebhook(delivery.body, { signature: delivery.signature, timestamp: delivery.timestamp }, SECRET),
      ).toBe(true);
    expect((await store.verifyLog()).ok).toBe(true);
  });

  it('labels that disagree with the predictions raise a metric regression; repeats are held back', async () => {
    const labels = traffic(300, 6, 1, 'd').map((row, index) => ({
      id: row.id,
      label: index % 2 === 0 ? row.prediction : row.prediction === 'yes' ? 'no' : 'yes',
    }));
    const before = received.length;
    // The first batch's rows left the window with the shifted batch: a label for one of them is dropped.
    const answer = await ingestRows([...labels, { id: 's5', label: 'yes' }]);
    expect(answer).toMatchObject({ appended: 0, merged: 300, unmatched: 1 });
    expect(Number((await storedRows())[0].n)).toBe(300);
    const accuracy = answer.evaluation.metrics?.find((metric) => metric.name === 'accuracy');
    expect(accuracy).toMatchObject({ value: 0.5, baseline: 0.9, regressed: true });
    expect(accuracy?.limit).toBeCloseTo(0.72, 12);
    const alerts = await store.listAlerts({ model: monitor.model });
    const regression = alerts.find((stored) => stored.alert.kind === 'metric-regression');
    expect(regression?.alert.dedupKey).toBe(`metric-regression:${monitor.name}:accuracy`);
    // The drift alerts fired again in this evaluation but were within the cool-down: only the regression went out.
    const sent = received.slice(before).map((delivery) => JSON.parse(delivery.body).alert.kind);
    expect(sent).toEqual(['metric-regression']);
    const history = await store.monitorResults(monitor.name);
    expect(history.map((result) => result.alarming)).toEqual([true, true, false, false, false]);
  });

  it('the API and the dashboard show the verdict, the share history and per-column charts', async () => {
    const listed = (await (await call('/api/monitors', { token: tokens.read })).json()) as {
      name: string;
      latest: { alarming: boolean };
    }[];
    expect(listed).toMatchObject([{ name: monitor.name, latest: { alarming: true } }]);
    const history = await call(`/api/monitors/${monitor.name}/results?limit=2`, { token: tokens.read });
    expect(((await history.json()) as unknown[]).length).toBe(2);

    const list = await call('/drift', { token: tokens.read });
    expect(list.status).toBe(200);
    const listHtml = await list.text();
    expect(listHtml).toContain(`data-monitor="${monitor.name}"`);
    expect(listHtml).toContain('DRIFT');
    expect(listHtml).toContain('REGRESSED');

    const detail = await call(`/drift/monitor?name=${monitor.name}`, { token: tokens.read });
    const html = await detail.text();
    expect(html).not.toMatch(/<script/i);
    expect(html).toContain("default-src 'none'");
    for (const column of ['age', 'region', 'prediction']) expect(html).toContain(`data-column="${column}"`);
    expect(html).toContain('aria-label="Share of drifted columns per evaluation"');
    expect(html.match(/<svg/g)?.length).toBe(4);
    expect((await call('/drift/monitor?name=nope', { token: tokens.read })).status).toBe(404);
    expect((await call('/drift')).status).toBe(303);
  });
});
