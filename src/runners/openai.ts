import { endpointUrl } from './http.js';
import { asMessages, asPrompt, httpRunner, nonNegativeInteger } from './http-runner.js';
import { type Runner, RunnerSettings } from './types.js';

export interface OpenAiOptions {
  /** Base URL, e.g. http://127.0.0.1:8000 or http://127.0.0.1:8000/v1 (vLLM, llama.cpp server, TGI). */
  baseUrl: string;
  model: string;
  /** `chat` → /v1/chat/completions; `completions` → /v1/completions. */
  api: 'chat' | 'completions';
  /** Sent as `Authorization: Bearer`; never written to the report or the cache key. */
  apiKey?: string;
  temperature?: number;
  maxTokens?: number;
  settings?: Partial<RunnerSettings>;
}

/** An OpenAI-compatible endpoint. Temperature defaults to 0 so reruns are comparable. */
export function openAiRunner(options: OpenAiOptions): Runner {
  const settings = RunnerSettings.parse(options.settings ?? {});
  const base = options.baseUrl.replace(/\/+$/, '');
  const root = base.endsWith('/v1') ? base : endpointUrl(base, 'v1');
  const generation = {
    temperature: options.temperature ?? 0,
    ...(options.maxTokens ? { max_tokens: options.maxTokens } : {}),
  };
  const usage = (body: Record<string, unknown>) => {
    const counts = body.usage as Record<string, unknown> | undefined;
    if (!counts || typeof counts !== 'object') return undefined;
    return {
      prompt: nonNegativeInteger(counts.prompt_tokens),
      completion: nonNegativeInteger(counts.completion_tokens),
    };
  };
  const chat = options.api === 'chat';
  return httpRunner({
    description: {
      kind: chat ? 'openai-chat' : 'openai-completions',
      model: options.model,
      endpoint: root,
      settings,
    },
    accepts: chat ? ['chat', 'text'] : ['text', 'chat'],
    url: endpointUrl(root, chat ? 'chat/completions' : 'completions'),
    headers: options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : undefined,
    cacheExtra: generation,
    request: (input) =>
      chat
        ? { model: options.model, messages: asMessages(input), ...generation }
        : { model: options.model, prompt: asPrompt(input), ...generation },
    answer: (body) => {
      const choice = (body as { choices?: unknown[] } | null)?.choices?.[0] as Record<string, unknown> | undefined;
      const text = chat ? (choice?.message as { content?: unknown } | undefined)?.content : choice?.text;
      if (typeof text !== 'string')
        return `the answer has no ${chat ? 'choices[0].message.content' : 'choices[0].text'} string`;
      return { output: { kind: 'text', text }, tokens: usage(body as Record<string, unknown>) };
    },
  });
}
