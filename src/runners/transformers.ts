import { existsSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { hashFile } from '../provenance/signing-digests.js';
import { assayHome } from './cache.js';
import { RunnerConfigError } from './errors.js';
import { failed, runThroughBackend } from './execute.js';
import { type RunCase, type Runner, RunnerSettings, type RunResult } from './types.js';

export interface TransformersOptions {
  /** A local model folder (config.json, tokenizer.json, onnx/model.onnx). Never a Hub id: nothing is downloaded. */
  path: string;
  /** `text-classification` (default) → scores per label; `text-generation` → text. */
  task?: string;
  settings?: Partial<RunnerSettings>;
}

const TASKS = ['text-classification', 'text-generation'] as const;

/**
 * A Transformers.js pipeline over a local folder, strictly offline: remote models are disabled before the library
 * loads anything, the folder must exist, and the library's cache goes under Assay's home rather than node_modules.
 */
export async function transformersRunner(options: TransformersOptions): Promise<Runner> {
  const folder = resolve(options.path);
  const task = options.task ?? 'text-classification';
  if (!(TASKS as readonly string[]).includes(task))
    throw new RunnerConfigError(`transformers task "${task}" is not supported; use ${TASKS.join(' or ')}`);
  for (const required of ['config.json', 'tokenizer.json']) {
    if (!existsSync(join(folder, required)))
      throw new RunnerConfigError(
        `${folder} is not a local Transformers.js model folder: ${required} is missing (remote models are never downloaded)`,
      );
  }
  const settings = RunnerSettings.parse({ cache: false, ...options.settings });
  const transformers = await import('@huggingface/transformers');
  const { env } = transformers;
  env.allowRemoteModels = false;
  env.allowLocalModels = true;
  env.localModelPath = dirname(folder);
  env.cacheDir = join(assayHome(), 'cache', 'transformers');
  const pipe = (await transformers.pipeline(task as 'text-classification', basename(folder), {
    dtype: 'fp32',
  })) as unknown as (texts: string[], options?: Record<string, unknown>) => Promise<unknown>;
  const model = (pipe as unknown as { model?: { config?: { id2label?: Record<string, string> } } }).model;
  const labelOrder = Object.entries(model?.config?.id2label ?? {})
    .sort(([a], [b]) => Number(a) - Number(b))
    .map(([, label]) => label);
  const onnxFile = join(folder, 'onnx', 'model.onnx');
  const digest = existsSync(onnxFile) ? await hashFile(onnxFile) : undefined;
  const version = (transformers as { env: { version?: string } }).env.version;

  const execute = async (batch: readonly RunCase[]): Promise<RunResult[]> =>
    Promise.all(
      batch.map(async ({ id, input }) => {
        const text = input.kind === 'text' ? input.text : '';
        const started = performance.now();
        try {
          if (task === 'text-classification') {
            const [scored] = (await pipe([text], { top_k: null })) as { label: string; score: number }[][];
            const byLabel = new Map(scored.map((entry) => [entry.label, entry.score]));
            const labels = labelOrder.length > 0 ? labelOrder : scored.map((entry) => entry.label);
            const values = labels.map((label) => byLabel.get(label) ?? 0);
            return {
              id,
              output: { kind: 'scores' as const, values, labels },
              latencyMs: performance.now() - started,
              attempts: 1,
              cached: false,
            };
          }
          const [generated] = (await pipe([text], {})) as { generated_text: string }[][];
          const output = { kind: 'text' as const, text: String(generated?.[0]?.generated_text ?? '') };
          return { id, output, latencyMs: performance.now() - started, attempts: 1, cached: false };
        } catch (error) {
          return failed(
            id,
            { kind: 'runtime', message: `transformers.js: ${(error as Error).message}` },
            performance.now() - started,
            1,
          );
        }
      }),
    );

  return {
    accepts: ['text'],
    describe: () => ({
      kind: 'transformers',
      model: folder,
      modelDigest: digest,
      runtime: `@huggingface/transformers ${version ?? ''}`.trim(),
      settings,
    }),
    run: (cases, runOptions) =>
      runThroughBackend(
        {
          accepts: ['text'],
          settings,
          cacheScope: JSON.stringify(['transformers', folder, digest, task]),
          batchSize: settings.batchSize,
          concurrency: 1,
          execute,
        },
        cases,
        runOptions,
      ),
    close: async () => {
      await (pipe as unknown as { dispose?: () => Promise<void> }).dispose?.();
    },
  };
}
