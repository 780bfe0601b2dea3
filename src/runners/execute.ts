import { ResponseCache } from './cache.js';
import type { InputKind, RunCase, RunError, RunnerSettings, RunOptions, RunResult } from './types.js';

/** What one backend does with the cases that were not answered from the cache. */
export interface Backend {
  accepts: readonly InputKind[];
  settings: RunnerSettings;
  /** Identity of the model for the response cache (never includes secrets). */
  cacheScope: string;
  /** Cases handed to `execute` at once (1 for HTTP endpoints, `batchSize` for local runtimes). */
  batchSize: number;
  /** Batches in flight at once. */
  concurrency: number;
  /** One result per case, in order, `cached: false`. Must not reject for a per-case failure. */
  execute(batch: readonly RunCase[], signal?: AbortSignal): Promise<RunResult[]>;
}

/**
 * The part every runner shares: input-kind checks, the response cache, batching and the concurrency limit. Results
 * are reported through `onResult` as they finish and returned in input order.
 */
export async function runThroughBackend(
  backend: Backend,
  cases: readonly RunCase[],
  options: RunOptions = {},
): Promise<RunResult[]> {
  const cache = backend.settings.cache ? new ResponseCache(backend.cacheScope) : undefined;
  const results = new Array<RunResult>(cases.length);
  const finish = (index: number, result: RunResult) => {
    results[index] = result;
    options.onResult?.(result);
  };
  const pending: number[] = [];
  for (const [index, { id, input }] of cases.entries()) {
    if (!backend.accepts.includes(input.kind)) {
      const message = `this runner takes ${backend.accepts.join(' or ')} inputs, not ${input.kind}`;
      finish(index, failed(id, { kind: 'input', message }));
      continue;
    }
    const hit = await cache?.get(input);
    if (hit) finish(index, { id, ...hit, latencyMs: 0, attempts: 0, cached: true });
    else pending.push(index);
  }
  const batches: number[][] = [];
  for (let start = 0; start < pending.length; start += backend.batchSize)
    batches.push(pending.slice(start, start + backend.batchSize));
  await forEachConcurrently(batches, backend.concurrency, async (batch) => {
    if (options.signal?.aborted) return;
    const answers = await backend.execute(
      batch.map((index) => cases[index]),
      options.signal,
    );
    for (const [position, index] of batch.entries()) {
      const answer = answers[position];
      if (cache && answer.output) await cache.set(cases[index].input, { output: answer.output, tokens: answer.tokens });
      finish(index, answer);
    }
  });
  for (const [index, { id }] of cases.entries())
    results[index] ??= failed(id, { kind: 'runtime', message: 'the run was interrupted before this case' });
  return results;
}

export function failed(id: string, error: RunError, latencyMs = 0, attempts = 0): RunResult {
  return { id, error, latencyMs, attempts, cached: false };
}

/** Runs `work` on every item with at most `limit` in flight. */
export async function forEachConcurrently<T>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await work(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
