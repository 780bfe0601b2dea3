import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Alert, alertsBetween } from '../../src/alerts/alert.js';
import { deliverAlert, shouldSend, verifyWebhook } from '../../src/alerts/webhook.js';
import { buildReport, finding, SAMPLE_FILES } from '../report/sample-report.js';

interface Received {
  headers: IncomingMessage['headers'];
  body: string;
}

const received: Received[] = [];
let failuresLeft = 0;
let base = '';
const server = createServer((request, response) => {
  let body = '';
  request.on('data', (chunk) => {
    body += chunk;
  });
  request.on('end', () => {
    if (failuresLeft > 0) {
      failuresLeft--;
      response.writeHead(503).end();
      return;
    }
    received.push({ headers: request.headers, body });
    response.writeHead(204).end();
  });
});

beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const clean = buildReport({ files: SAMPLE_FILES, findings: [] });
const malicious = buildReport({
  files: SAMPLE_FILES,
  findings: [finding('security/pickle-dangerous-global', { message: 'imports posix.system', file: 'model.pkl' })],
});
const AT = '2026-11-27T10:00:00.000Z';

function alert(): Alert {
  return alertsBetween(
    { id: 'a1', model: 'm', report: clean },
    { id: 'a2', model: 'm', report: malicious },
    AT,
  )[0] as Alert;
}

describe('alerts from one audit to the next', () => {
  it('a malicious file flips the gate and raises a new critical finding; the same audit again raises nothing', () => {
    const alerts = alertsBetween(
      { id: 'a1', model: 'm', report: clean },
      { id: 'a2', model: 'm', report: malicious },
      AT,
    );
    expect(alerts.map((item) => item.kind)).toEqual(['gate-flipped', 'new-critical-finding']);
    expect(alerts[0]?.title).toBe('m: the gate now FAILS');
    expect(
      alertsBetween({ id: 'a2', model: 'm', report: malicious }, { id: 'a3', model: 'm', report: malicious }, AT),
    ).toEqual([]);
  });

  it('a Hub target resolving to another commit is an upstream change', () => {
    const at = (commit: string) => ({ ...clean, target: { kind: 'directory' as const, path: `hf://o/m@${commit}` } });
    const alerts = alertsBetween(
      { id: 'a1', model: 'o/m', report: at('a'.repeat(40)) },
      { id: 'a2', model: 'o/m', report: at('b'.repeat(40)) },
      AT,
    );
    expect(alerts.map((item) => item.kind)).toEqual(['upstream-changed']);
  });
});

describe('webhook delivery', () => {
  it('signs JSON alerts with HMAC-SHA256 over timestamp and raw body; the receiver verifies them', async () => {
    received.length = 0;
    const result = await deliverAlert({ url: `${base}/hook`, kind: 'json', secretEnv: 'HOOK_SECRET' }, alert(), {
      env: { HOOK_SECRET: 's3cret' },
    });
    expect(result).toMatchObject({ ok: true, status: 204, attempts: 1 });
    const [delivery] = received as [Received];
    const headers = {
      signature: delivery.headers['x-assay-signature'] as string,
      timestamp: delivery.headers['x-assay-timestamp'] as string,
    };
    expect(verifyWebhook(delivery.body, headers, 's3cret')).toBe(true);
    expect(verifyWebhook(delivery.body, headers, 'wrong')).toBe(false);
    expect(verifyWebhook(delivery.body.replace('FAILS', 'passes'), headers, 's3cret')).toBe(false);
    expect(verifyWebhook(delivery.body, headers, 's3cret', Date.now() + 3_600_000)).toBe(false);
    expect(JSON.parse(delivery.body)).toMatchObject({ type: 'assay.alert', alert: { kind: 'gate-flipped' } });
  });

  it('retries 503 with backoff, and sends Slack-shaped bodies with markup escaped', async () => {
    received.length = 0;
    failuresLeft = 2;
    const hostile = { ...alert(), message: '<!channel> & <https://evil.example|click>' };
    const result = await deliverAlert({ url: `${base}/slack`, kind: 'slack' }, hostile, { retryDelayMs: 5 });
    expect(result).toMatchObject({ ok: true, attempts: 3 });
    const body = JSON.parse((received[0] as Received).body);
    expect(body.text).toContain('&lt;!channel&gt; &amp; &lt;https://evil.example|click&gt;');
    expect(body.blocks[0].text.type).toBe('mrkdwn');
  });

  it('never sends a signed webhook unsigned when its secret is missing', async () => {
    received.length = 0;
    const result = await deliverAlert({ url: `${base}/hook`, kind: 'json', secretEnv: 'MISSING_SECRET' }, alert(), {
      env: {},
    });
    expect(result.ok).toBe(false);
    expect(result.error).toContain('MISSING_SECRET is not set');
    expect(received).toHaveLength(0);
  });

  it('holds back the same alert within the cool-down', async () => {
    const sent = new Map([['m|gate-flipped:fail', '2026-11-27T09:30:00.000Z']]);
    const lastSent = async (model: string, key: string) => sent.get(`${model}|${key}`);
    expect(await shouldSend(alert(), 60, lastSent)).toBe(false);
    expect(await shouldSend(alert(), 20, lastSent)).toBe(true);
    expect(await shouldSend({ ...alert(), dedupKey: 'other' }, 60, lastSent)).toBe(true);
  });
});
