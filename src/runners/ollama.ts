import { endpointUrl } from './http.js';
import { asMessages, asPrompt, httpRunner, nonNegativeInteger } from './http-runner.js';
import { type Runner, RunnerSettings } from './types.js';

export interface OllamaOptions {
  /** e.g. http://127.0.0.1:11434 */
  baseUrl: string;
  model: string;
  /** `chat` → /api/chat; `generate` → /api/generate. */
  api: 'chat' | 'generate';
  /** Ollama `options` (temperature, num_ctx, seed, ...); temperature defaults to 0. */
  modelOptions?: Record<string, number | string | boolean>;
  settings?: Partial<RunnerSettings>;
}

/** An Ollama server, non-streaming. Token counts come from `prompt_eval_count` and `eval_count`. */
export function ollamaRunner(options: OllamaOptions): Runner {
  const settings = RunnerSettings.parse(options.settings ?? {});
  const chat = options.api === 'chat';
  const modelOptions = { temperature: 0, ...options.modelOptions };
  return httpRunner({
    description: {
      kind: chat ? 'ollama-chat' : 'ollama-generate',
      model: options.model,
      endpoint: options.baseUrl,
      settings,
    },
    accepts: chat ? ['chat', 'text'] : ['text', 'chat'],
    url: endpointUrl(options.baseUrl, chat ? 'api/chat' : 'api/generate'),
    cacheExtra: modelOptions,
    request: (input) =>
      chat
        ? { model: options.model, messages: asMessages(input), stream: false, options: modelOptions }
        : { model: options.model, prompt: asPrompt(input), stream: false, options: modelOptions },
    answer: (body) => {
      const answer = (body ?? {}) as Record<string, unknown>;
      const text = chat ? (answer.message as { content?: unknown } | undefined)?.content : answer.response;
      if (typeof text !== 'string') return `the answer has no ${chat ? 'message.content' : 'response'} string`;
      const tokens = {
        prompt: nonNegativeInteger(answer.prompt_eval_count),
        completion: nonNegativeInteger(answer.eval_count),
      };
      return { output: { kind: 'text', text }, tokens };
    },
  });
}
