import { createHmac, timingSafeEqual } from 'node:crypto';
import type { z } from 'zod';
import type { WebhookConfig } from '../core/config.js';
import type { Alert } from './alert.js';

type Webhook = z.infer<typeof WebhookConfig>;

/**
 * Webhook signatures: `X-Assay-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<body>">` with the timestamp in
 * `X-Assay-Timestamp` (Unix seconds), the Stripe/GitHub scheme: the receiver recomputes it over the raw body and
 * rejects stale timestamps, so a captured delivery cannot be replayed later.
 */
export const SIGNATURE_HEADER = 'x-assay-signature';
export const TIMESTAMP_HEADER = 'x-assay-timestamp';

export function signWebhook(body: string, timestamp: number, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/** For receivers (and tests): constant-time comparison, and a timestamp no older than `toleranceSeconds`. */
export function verifyWebhook(
  body: string,
  headers: { signature?: string; timestamp?: string },
  secret: string,
  now = Date.now(),
  toleranceSeconds = 300,
): boolean {
  const timestamp = Number(headers.timestamp);
  if (!headers.signature || !Number.isInteger(timestamp)) return false;
  if (Math.abs(now / 1000 - timestamp) > toleranceSeconds) return false;
  const expected = Buffer.from(signWebhook(body, timestamp, secret));
  const given = Buffer.from(headers.signature);
  return expected.length === given.length && timingSafeEqual(expected, given);
}

/** The body for a webhook: Assay's JSON alert, or Slack's incoming-webhook shape (text plus a mrkdwn block). */
export function webhookBody(webhook: Webhook, alert: Alert): string {
  if (webhook.kind === 'slack') {
    const text = `*${slackEscape(alert.title)}* (${alert.severity})\n${slackEscape(alert.message)}`;
    return JSON.stringify({ text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }] });
  }
  return JSON.stringify({ type: 'assay.alert', version: 1, alert });
}

/** Slack reads &, < and > as markup; model files choose the text, so they are escaped. */
function slackEscape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export interface DeliveryResult {
  url: string;
  ok: boolean;
  status?: number;
  attempts: number;
  error?: string;
}

/**
 * POSTs one alert, retrying network errors, 429 and 5xx with backoff (3 attempts). A json webhook whose secret
 * variable is named but unset is not sent unsigned: it fails with a message naming the variable.
 */
export async function deliverAlert(
  webhook: Webhook,
  alert: Alert,
  options: { env?: NodeJS.ProcessEnv; timeoutMs?: number; retryDelayMs?: number } = {},
): Promise<DeliveryResult> {
  const env = options.env ?? process.env;
  const body = webhookBody(webhook, alert);
  const headers: Record<string, string> = { 'content-type': 'application/json', 'user-agent': 'assay-alerts' };
  if (webhook.kind === 'json' && webhook.secretEnv) {
    const secret = env[webhook.secretEnv];
    if (!secret) {
      return {
        url: webhook.url,
        ok: false,
        attempts: 0,
        error: `not sent: ${webhook.secretEnv} is not set, and a signed webhook is never sent unsigned`,
      };
    }
    const timestamp = Math.floor(Date.now() / 1000);
    headers[TIMESTAMP_HEADER] = String(timestamp);
    headers[SIGNATURE_HEADER] = signWebhook(body, timestamp, secret);
  }
  let last: DeliveryResult = { url: webhook.url, ok: false, attempts: 0 };
  for (let attempt = 1; attempt <= 3; attempt++) {
    try {
      const response = await fetch(webhook.url, {
        method: 'POST',
        headers,
        body,
        signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
      });
      await response.arrayBuffer();
      last = { url: webhook.url, ok: response.ok, status: response.status, attempts: attempt };
      if (response.ok || (response.status !== 429 && response.status < 500)) return last;
    } catch (error) {
      last = { url: webhook.url, ok: false, attempts: attempt, error: (error as Error).message };
    }
    await new Promise((resolve) => setTimeout(resolve, (options.retryDelayMs ?? 500) * 2 ** (attempt - 1)));
  }
  return last;
}

/**
 * Deduplication and cool-down: an alert whose model and dedup key were sent within `cooldownMinutes` is held back.
 * `lastSent` answers from the alert history (the store).
 */
export async function shouldSend(
  alert: Alert,
  cooldownMinutes: number,
  lastSent: (model: string, dedupKey: string) => Promise<string | undefined>,
): Promise<boolean> {
  const previous = await lastSent(alert.model, alert.dedupKey);
  if (!previous) return true;
  return Date.parse(alert.at) - Date.parse(previous) >= cooldownMinutes * 60_000;
}
