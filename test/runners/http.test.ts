import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { genericHttpRunner } from '../../src/runners/generic-http.js';
import { retryAfterMs } from '../../src/runners/http.js';
import { parseJsonPath, valueAt } from '../../src/runners/json-path.js';
import { ollamaRunner } from '../../src/runners/ollama.js';
import { openAiRunner } from '../../src/runners/openai.js';
import type { RunCase } from '../../src/runners/types.js';
import { type LlmServer, startLlmServer } from '../fixtures/llm-server.js';
import { tempFolder } from '../helpers.js';

let server: LlmServer;
beforeAll(async () => {
  server = await startLlmServer();
  // Each test file gets its own response cache.
  process.env.ASSAY_HOME = await tempFolder({});
});
afterAll(() => server.close());

const fast = { timeoutMs: 10_000, retries: 2, backoffMs: 10, cache: false };
const chat = (id: string, content: string): RunCase => ({
  id,
  input: { kind: 'chat', messages: [{ role: 'user', content }] },
});

describe('OpenAI-compatible runner against a real server on 127.0.0.1', () => {
  it('answers chat cases in order with token counts', async () => {
    const runner = openAiRunner({ baseUrl: `${server.url}/v1`, model: 'tiny', api: 'chat', settings: fast });
    const results = await runner.run([chat('a', 'a great film'), chat('b', 'a dull film')]);
    expect(results.map((result) => result.output)).toEqual([
      { kind: 'text', text: 'POSITIVE' },
      { kind: 'text', text: 'NEGATIVE' },
    ]);
    expect(results[0].tokens).toEqual({ prompt: 3, completion: 1 });
    expect(results[0].attempts).toBe(1);
    expect(runner.describe()).toMatchObject({ kind: 'openai-chat', endpoint: `${server.url}/v1`, model: 'tiny' });
  });

  it('waits for Retry-After on a 429, then succeeds', async () => {
    const runner = openAiRunner({ baseUrl: server.url, model: 'tiny', api: 'completions', settings: fast });
    const [result] = await runner.run([{ id: 'r', input: { kind: 'text', text: 'rate-limit' } }]);
    expect(result.output).toEqual({ kind: 'text', text: 'NEGATIVE' });
    expect(result.attempts).toBe(2);
    const [first, second] = server.requests.get('rate-limit') ?? [];
    // The backoff alone would have retried after 10 ms; the server asked for 1 s.
    expect(second - first).toBeGreaterThanOrEqual(950);
  });

  it('retries a 500 and succeeds; reports an endpoint that keeps failing with its status', async () => {
    const runner = openAiRunner({ baseUrl: server.url, model: 'tiny', api: 'chat', settings: fast });
    const [flaky, down] = await runner.run([chat('f', 'flaky'), chat('d', 'always-500')]);
    expect(flaky.output).toEqual({ kind: 'text', text: 'NEGATIVE' });
    expect(flaky.attempts).toBe(2);
    expect(down.output).toBeUndefined();
    expect(down.error).toMatchObject({ kind: 'http', status: 500 });
    expect(down.attempts).toBe(3);
  });

  it('times out a slow answer, and records malformed answers without retrying them', async () => {
    const runner = openAiRunner({
      baseUrl: server.url,
      model: 'tiny',
      api: 'chat',
      settings: { ...fast, timeoutMs: 800, retries: 1 },
    });
    const [slow, garbage, empty] = await runner.run([chat('s', 'slow'), chat('g', 'garbage'), chat('e', 'no-choices')]);
    expect(slow.error).toMatchObject({ kind: 'timeout' });
    expect(slow.error?.message).toContain('did not answer within 800 ms');
    expect(slow.attempts).toBe(2);
    expect(garbage.error).toMatchObject({ kind: 'malformed' });
    expect(garbage.error?.message).toContain('not JSON');
    expect(garbage.attempts).toBe(1);
    expect(empty.error?.message).toContain('choices[0].message.content');
  });

  it('keeps at most `concurrency` requests in flight', async () => {
    const runner = openAiRunner({
      baseUrl: server.url,
      model: 'tiny',
      api: 'chat',
      settings: { ...fast, concurrency: 3 },
    });
    await server.resetInFlight();
    const results = await runner.run(Array.from({ length: 12 }, (_, i) => chat(`c${i}`, `concurrent ${i}`)));
    expect(results.every((result) => result.output)).toBe(true);
    expect(server.maxInFlight).toBe(3);
  });

  it('answers a repeated case from the on-disk cache without a request', async () => {
    const runner = openAiRunner({
      baseUrl: server.url,
      model: 'tiny',
      api: 'chat',
      settings: { ...fast, cache: true },
    });
    const [first] = await runner.run([chat('x', 'cache me, good')]);
    const [second] = await runner.run([chat('x', 'cache me, good')]);
    expect(first.cached).toBe(false);
    expect(second).toMatchObject({ cached: true, attempts: 0, output: first.output, tokens: first.tokens });
    expect(server.requests.get('cache me, good')).toHaveLength(1);
    // Another model name is another cache entry.
    const other = openAiRunner({
      baseUrl: server.url,
      model: 'other',
      api: 'chat',
      settings: { ...fast, cache: true },
    });
    const [third] = await other.run([chat('x', 'cache me, good')]);
    expect(third.cached).toBe(false);
  });

  it('reports a refused connection per case', async () => {
    const runner = openAiRunner({
      baseUrl: 'http://127.0.0.1:9',
      model: 'tiny',
      api: 'chat',
      settings: { ...fast, retries: 0 },
    });
    const [result] = await runner.run([chat('x', 'hello')]);
    expect(result.error?.kind).toBe('connection');
  });
});

describe('Ollama runner', () => {
  it('speaks /api/chat and /api/generate with token counts', async () => {
    const chatRunner = ollamaRunner({ baseUrl: server.url, model: 'llama', api: 'chat', settings: fast });
    const generate = ollamaRunner({ baseUrl: server.url, model: 'llama', api: 'generate', settings: fast });
    const [viaChat] = await chatRunner.run([chat('a', 'so good')]);
    const [viaGenerate] = await generate.run([{ id: 'b', input: { kind: 'text', text: 'flaky' } }]);
    expect(viaChat).toMatchObject({ output: { kind: 'text', text: 'POSITIVE' }, tokens: { prompt: 2, completion: 1 } });
    expect(viaGenerate).toMatchObject({ output: { kind: 'text', text: 'NEGATIVE' } });
  });
});

describe('generic HTTP runner', () => {
  it('fills the request template as data and reads the output at the JSON path', async () => {
    const runner = genericHttpRunner({
      url: `${server.url}/custom`,
      body: { input: { text: '{{text}}' }, options: { mode: 'fast' } },
      outputPath: '$.result.labels[0]',
      settings: fast,
    });
    const scores = genericHttpRunner({
      url: `${server.url}/custom`,
      body: { input: { text: '{{text}}' } },
      outputPath: "$['result'].score",
      settings: fast,
    });
    const [label] = await runner.run([{ id: 'a', input: { kind: 'text', text: 'great {{text}} "quoted"' } }]);
    const [score] = await scores.run([{ id: 'b', input: { kind: 'text', text: 'good' } }]);
    const [missing] = await genericHttpRunner({
      url: `${server.url}/custom`,
      body: { input: { text: '{{text}}' } },
      outputPath: '$.nope',
      settings: fast,
    }).run([{ id: 'c', input: { kind: 'text', text: 'x' } }]);
    expect(label.output).toEqual({ kind: 'text', text: 'POSITIVE' });
    expect(score.output).toEqual({ kind: 'scores', values: [0.9] });
    expect(missing.error).toMatchObject({ kind: 'malformed' });
    expect(missing.error?.message).toContain('nothing at $.nope');
  });

  it('parses the JSON path subset and rejects anything else', () => {
    expect(parseJsonPath('$.choices[0].message.content')).toEqual(['choices', 0, 'message', 'content']);
    expect(valueAt({ a: [{ b: 'x' }] }, parseJsonPath('a[0].b'))).toBe('x');
    expect(() => parseJsonPath('$..a')).toThrow(/not supported/);
  });
});

describe('Retry-After', () => {
  it('reads delta-seconds and HTTP dates', () => {
    expect(retryAfterMs('3')).toBe(3000);
    expect(retryAfterMs('Fri, 27 Nov 2026 10:00:05 GMT', Date.parse('Fri, 27 Nov 2026 10:00:00 GMT'))).toBe(5000);
    expect(retryAfterMs('soon')).toBeUndefined();
    expect(retryAfterMs(null)).toBeUndefined();
  });
});
