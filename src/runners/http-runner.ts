import { failed, runThroughBackend } from './execute.js';
import { postJson } from './http.js';
import type {
  InputKind,
  RunCase,
  RunInput,
  Runner,
  RunnerDescription,
  RunnerSettings,
  RunOutput,
  RunResult,
  TokenCounts,
} from './types.js';

/** How one HTTP API differs from another: where to send a case, what to send, where the answer is. */
export interface HttpApi {
  description: RunnerDescription;
  accepts: readonly InputKind[];
  url: string;
  headers?: Record<string, string>;
  /** Extra identity for the cache beyond the description (e.g. generation parameters in the body). */
  cacheExtra?: unknown;
  request(input: RunInput): unknown;
  /** The output and token counts, or a message saying what is missing from the answer. */
  answer(body: unknown): { output: RunOutput; tokens?: TokenCounts } | string;
}

/** A Runner over one JSON-over-HTTP API, one request per case, `concurrency` requests in flight. */
export function httpRunner(api: HttpApi): Runner {
  const { settings } = api.description;
  const execute = async ([{ id, input }]: readonly RunCase[], signal?: AbortSignal): Promise<RunResult[]> => {
    const reply = await postJson(api.url, api.request(input), { settings, headers: api.headers, signal });
    if (!reply.ok) return [failed(id, reply.error, reply.latencyMs, reply.attempts)];
    const answer = api.answer(reply.body);
    if (typeof answer === 'string') {
      const error = { kind: 'malformed' as const, message: `${api.url}: ${answer}` };
      return [failed(id, error, reply.latencyMs, reply.attempts)];
    }
    return [{ id, ...answer, latencyMs: reply.latencyMs, attempts: reply.attempts, cached: false }];
  };
  const { endpoint, model, kind } = api.description;
  return {
    accepts: api.accepts,
    describe: () => api.description,
    run: (cases, options) =>
      runThroughBackend(
        {
          accepts: api.accepts,
          settings,
          cacheScope: JSON.stringify([kind, endpoint, model, api.cacheExtra ?? null]),
          batchSize: 1,
          concurrency: settings.concurrency,
          execute,
        },
        cases,
        options,
      ),
    close: async () => {},
  };
}

/** A chat input as messages; a text input becomes one user message. */
export function asMessages(input: RunInput) {
  if (input.kind === 'chat') return input.messages;
  if (input.kind === 'text') return [{ role: 'user' as const, content: input.text }];
  throw new Error('tensor inputs have no messages');
}

/** A text input as a prompt; a chat input is flattened "role: content" per line (for completion APIs). */
export function asPrompt(input: RunInput): string {
  if (input.kind === 'text') return input.text;
  if (input.kind === 'chat') return input.messages.map((message) => `${message.role}: ${message.content}`).join('\n');
  throw new Error('tensor inputs have no prompt');
}

export function nonNegativeInteger(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 ? value : undefined;
}

export type { RunnerSettings };
