import { z } from 'zod';

/**
 * The one contract between Assay and a model it runs. Evaluation suites (`assay eval`), safety probes (`assay probe`)
 * and fairness runs all send inputs through a Runner and judge the outputs; they never know which backend answered.
 *
 * A Runner never throws for one bad case: every input gets exactly one RunResult, in input order, and a case that
 * failed (timeout, HTTP error, malformed answer, rejected input) carries an `error` and no `output`. `run` rejects only
 * when the runner itself cannot work at all (model file unreadable, endpoint refused every connection is NOT that: it
 * is a per-case error).
 */

export const ChatMessage = z.object({
  role: z.enum(['system', 'user', 'assistant']),
  content: z.string(),
});
export type ChatMessage = z.infer<typeof ChatMessage>;

/** A row of numbers: one sample for a tabular or tensor model (NaN and ±Infinity are legal values to test with). */
export const TensorInput = z.object({
  kind: z.literal('tensor'),
  values: z.array(z.number()).describe('Feature values in the model input order'),
});
/** One prompt for a text model (completion endpoints, text classifiers). */
export const TextInput = z.object({ kind: z.literal('text'), text: z.string() });
/** A conversation for a chat model. */
export const ChatInput = z.object({ kind: z.literal('chat'), messages: z.array(ChatMessage).min(1) });

export const RunInput = z.discriminatedUnion('kind', [TensorInput, TextInput, ChatInput]);
export type RunInput = z.infer<typeof RunInput>;
export type InputKind = RunInput['kind'];

/** One case to run: a caller-chosen id (stable across runs, used for resume and for failure logs) and the input. */
export interface RunCase {
  id: string;
  input: RunInput;
}

/** What the model produced: scores (probabilities, logits, regression values) or text. */
export const RunOutput = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('scores'),
    values: z.array(z.number()).describe('The first output tensor of the sample, flattened'),
    labels: z.array(z.string()).optional().describe('Class names for `values`, when the model declares them'),
  }),
  z.object({ kind: z.literal('text'), text: z.string() }),
]);
export type RunOutput = z.infer<typeof RunOutput>;

export const RunErrorKind = z.enum([
  'timeout', // no answer within the runner's timeout (after retries)
  'http', // the endpoint answered with a status that is not success (after retries)
  'connection', // the endpoint could not be reached
  'malformed', // the answer was not what the API promises (bad JSON, missing field)
  'input', // the runner refused the input (wrong kind, wrong width, beyond a limit)
  'runtime', // the local runtime (onnxruntime, transformers.js) raised
]);
export type RunErrorKind = z.infer<typeof RunErrorKind>;

export const RunError = z.object({
  kind: RunErrorKind,
  message: z.string(),
  status: z.number().int().optional().describe('HTTP status of the last attempt'),
});
export type RunError = z.infer<typeof RunError>;

export const TokenCounts = z.object({
  prompt: z.number().int().nonnegative().optional(),
  completion: z.number().int().nonnegative().optional(),
});
export type TokenCounts = z.infer<typeof TokenCounts>;

export const RunResult = z.object({
  id: z.string(),
  output: RunOutput.optional().describe('Absent exactly when `error` is present'),
  error: RunError.optional(),
  latencyMs: z.number().nonnegative().describe('Wall time of the successful (or last) attempt; 0 for cache hits'),
  attempts: z.number().int().nonnegative().describe('Requests made, retries included; 0 for cache hits'),
  cached: z.boolean().describe('Answered from the response cache'),
  tokens: TokenCounts.optional().describe('As the endpoint reported them; absent when it did not'),
});
export type RunResult = z.infer<typeof RunResult>;

const SETTING = {
  batchSize: z.number().int().positive().describe('Cases per call to a local runtime'),
  concurrency: z.number().int().positive().describe('Requests in flight at once (HTTP runners)'),
  timeoutMs: z.number().int().positive().describe('Per attempt'),
  retries: z.number().int().nonnegative().describe('Extra attempts on 429, 5xx, timeouts, resets'),
  backoffMs: z.number().int().nonnegative().describe('First backoff; doubles each retry'),
  maxRetryAfterMs: z.number().int().nonnegative().describe('Longest Retry-After honoured'),
  cache: z.boolean().describe('Reuse answers for the same model and input'),
};

/** Settings shared by every runner; each backend documents which ones it honours. */
export const RunnerSettings = z.object({
  batchSize: SETTING.batchSize.default(32),
  concurrency: SETTING.concurrency.default(4),
  timeoutMs: SETTING.timeoutMs.default(60_000),
  retries: SETTING.retries.default(3),
  backoffMs: SETTING.backoffMs.default(500),
  maxRetryAfterMs: SETTING.maxRetryAfterMs.default(60_000),
  cache: SETTING.cache.default(true),
});
/**
 * What a suite or command line overrides: no defaults here, so a runner's own defaults (local runners do not cache)
 * hold for every setting the user did not name.
 */
export const RunnerSettingsOverrides = z.object(SETTING).partial().strict();
export type RunnerSettings = z.infer<typeof RunnerSettings>;

/** What the report records about the runner (reproducibility): never secrets such as API keys. */
/** Every runner Assay has, as suites and reports name them. */
export const RunnerKind = z.enum([
  'onnx',
  'transformers',
  'lexicon',
  'openai-chat',
  'openai-completions',
  'ollama-chat',
  'ollama-generate',
  'http',
]);
export type RunnerKind = z.infer<typeof RunnerKind>;

export const RunnerDescription = z.object({
  kind: RunnerKind,
  model: z.string().describe('Model file, folder or name the runner addresses'),
  modelDigest: z.string().optional().describe('sha256 of the model file, for local runners'),
  endpoint: z.string().optional().describe('Base URL of the endpoint, for HTTP runners'),
  runtime: z.string().optional().describe('Runtime and version, e.g. onnxruntime-node 1.30.0'),
  settings: RunnerSettings,
  contextLimit: z.number().int().positive().optional().describe('Longest input in characters/tokens the model takes'),
});
export type RunnerDescription = z.infer<typeof RunnerDescription>;

export interface RunOptions {
  /** Called once per case as soon as it finishes (progress, streaming results to disk). */
  onResult?: (result: RunResult) => void;
  signal?: AbortSignal;
}

export interface Runner {
  /** Input kinds this runner takes; any other kind yields an `input` error for that case. */
  readonly accepts: readonly InputKind[];
  describe(): RunnerDescription;
  /** Runs every case; resolves to one result per case, in the order given. */
  run(cases: readonly RunCase[], options?: RunOptions): Promise<RunResult[]>;
  /** Releases sessions, sockets and the cache file handle. */
  close(): Promise<void>;
}
