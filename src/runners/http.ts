import type { RunError, RunnerSettings } from './types.js';

export type HttpAnswer =
  | { ok: true; body: unknown; status: number; latencyMs: number; attempts: number }
  | { ok: false; error: RunError; latencyMs: number; attempts: number };

export interface PostOptions {
  settings: Pick<RunnerSettings, 'timeoutMs' | 'retries' | 'backoffMs' | 'maxRetryAfterMs'>;
  headers?: Record<string, string>;
  signal?: AbortSignal;
  method?: 'POST' | 'PUT';
}

/** Statuses worth another attempt: rate limiting, and server errors that are often transient. */
const RETRYABLE_STATUS = new Set([408, 425, 429, 500, 502, 503, 504]);

/**
 * Sends one JSON request to the endpoint the user named and parses the JSON answer. Retries 408/425/429/5xx,
 * timeouts and connection failures up to `retries` times, waiting `backoffMs · 2^attempt` or the server's
 * Retry-After (seconds or an HTTP date) when it sends one, capped at `maxRetryAfterMs`. A malformed JSON body is not
 * retried: the endpoint answered, and what it said is the result. Latency is the wall time of the last attempt.
 */
export async function postJson(url: string, body: unknown, options: PostOptions): Promise<HttpAnswer> {
  const { settings } = options;
  let last: HttpAnswer | undefined;
  for (let attempt = 0; attempt <= settings.retries; attempt++) {
    if (options.signal?.aborted) break;
    const started = performance.now();
    const attempts = attempt + 1;
    let wait = settings.backoffMs * 2 ** attempt;
    try {
      const response = await fetch(url, {
        method: options.method ?? 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json', ...options.headers },
        body: JSON.stringify(body),
        signal: withTimeout(settings.timeoutMs, options.signal),
        redirect: 'error',
      });
      const text = await response.text();
      const latencyMs = performance.now() - started;
      if (!response.ok) {
        const snippet = text.slice(0, 200);
        last = {
          ok: false,
          error: {
            kind: 'http',
            status: response.status,
            message: `${url} answered HTTP ${response.status}: ${snippet}`,
          },
          latencyMs,
          attempts,
        };
        if (!RETRYABLE_STATUS.has(response.status)) return last;
        const retryAfter = retryAfterMs(response.headers.get('retry-after'));
        if (retryAfter !== undefined) wait = retryAfter;
      } else {
        try {
          return { ok: true, body: JSON.parse(text), status: response.status, latencyMs, attempts };
        } catch {
          const message = `${url} answered HTTP ${response.status} with a body that is not JSON: ${JSON.stringify(text.slice(0, 120))}`;
          return { ok: false, error: { kind: 'malformed', message }, latencyMs, attempts };
        }
      }
    } catch (error) {
      const latencyMs = performance.now() - started;
      const timedOut = (error as Error).name === 'TimeoutError';
      if (options.signal?.aborted) {
        return { ok: false, error: { kind: 'timeout', message: 'the run was interrupted' }, latencyMs, attempts };
      }
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      last = {
        ok: false,
        error: timedOut
          ? { kind: 'timeout', message: `${url} did not answer within ${settings.timeoutMs} ms` }
          : {
              kind: 'connection',
              message: `${url} could not be reached: ${cause?.code ?? cause?.message ?? (error as Error).message}`,
            },
        latencyMs,
        attempts,
      };
    }
    if (attempt < settings.retries) await sleep(Math.min(wait, settings.maxRetryAfterMs), options.signal);
  }
  return (
    last ?? { ok: false, error: { kind: 'timeout', message: 'the run was interrupted' }, latencyMs: 0, attempts: 0 }
  );
}

/** Retry-After as milliseconds: delta-seconds or an HTTP date (RFC 9110 §10.2.3); undefined when absent or invalid. */
export function retryAfterMs(header: string | null, now = Date.now()): number | undefined {
  if (!header) return undefined;
  const trimmed = header.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

function withTimeout(timeoutMs: number, signal?: AbortSignal): AbortSignal {
  const timeout = AbortSignal.timeout(timeoutMs);
  return signal ? AbortSignal.any([timeout, signal]) : timeout;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** Joins a base URL the user gave (with or without a trailing slash) and an API path. */
export function endpointUrl(base: string, path: string): string {
  return `${base.replace(/\/+$/, '')}/${path.replace(/^\/+/, '')}`;
}
