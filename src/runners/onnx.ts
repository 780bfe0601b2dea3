import { createRequire } from 'node:module';
import * as ort from 'onnxruntime-node';
import { hashFile } from '../provenance/signing-digests.js';
import { RunnerConfigError } from './errors.js';
import { failed, runThroughBackend } from './execute.js';
import { type RunCase, type Runner, type RunnerDescription, RunnerSettings, type RunResult } from './types.js';

export interface OnnxOptions {
  path: string;
  settings?: Partial<RunnerSettings>;
}

export function onnxRuntimeVersion(): string {
  const require = createRequire(import.meta.url);
  return `onnxruntime-node ${(require('onnxruntime-node/package.json') as { version: string }).version}`;
}

/**
 * A tabular or tensor model in ONNX, run in-process by onnxruntime-node on the CPU. Each case is one row of float32
 * features fed to the model's first input as [batch, width]; the result is the first output's row, flattened. A batch
 * that onnxruntime rejects is rerun one case at a time so the error lands on the case that caused it.
 */
export async function onnxRunner(options: OnnxOptions): Promise<Runner> {
  // A local run is cheap and deterministic: caching every row on disk would cost more than it saves.
  const settings = RunnerSettings.parse({ cache: false, ...options.settings });
  const [session, digest] = await Promise.all([
    ort.InferenceSession.create(options.path, { executionProviders: ['cpu'], graphOptimizationLevel: 'all' }).catch(
      (error: Error) => {
        throw new RunnerConfigError(`${options.path}: onnxruntime could not load the model: ${error.message}`);
      },
    ),
    hashFile(options.path),
  ]);
  const inputName = session.inputNames[0];
  const outputName = session.outputNames[0];
  const metadata = session.inputMetadata[0];
  const shape = metadata?.isTensor ? metadata.shape : [];
  const width = typeof shape.at(-1) === 'number' ? (shape.at(-1) as number) : undefined;
  const fixedBatch = typeof shape[0] === 'number' ? shape[0] : undefined;
  const description: RunnerDescription = {
    kind: 'onnx',
    model: options.path,
    modelDigest: digest,
    runtime: onnxRuntimeVersion(),
    settings,
  };

  const runRows = async (batch: readonly RunCase[]): Promise<RunResult[]> => {
    const rows = batch.map(({ input }) => (input.kind === 'tensor' ? input.values : []));
    const columns = width ?? rows[0].length;
    const data = new Float32Array(rows.length * columns);
    for (const [index, row] of rows.entries()) data.set(row, index * columns);
    const started = performance.now();
    const outputs = await session.run({ [inputName]: new ort.Tensor('float32', data, [rows.length, columns]) });
    const latencyMs = (performance.now() - started) / rows.length;
    const output = outputs[outputName];
    const perRow = output.data.length / rows.length;
    return batch.map(({ id }, index) => ({
      id,
      output: {
        kind: 'scores' as const,
        values: Array.from(output.data as ArrayLike<number | bigint>, Number).slice(
          index * perRow,
          (index + 1) * perRow,
        ),
      },
      latencyMs,
      attempts: 1,
      cached: false,
    }));
  };

  const execute = async (batch: readonly RunCase[]): Promise<RunResult[]> => {
    const results: (RunResult | undefined)[] = batch.map(({ id, input }) => {
      if (input.kind !== 'tensor') return undefined;
      if (width !== undefined && input.values.length !== width) {
        const message = `the model's input "${inputName}" takes ${width} values per row, this case has ${input.values.length}`;
        return failed(id, { kind: 'input', message });
      }
      return undefined;
    });
    const runnable = batch.filter((_, index) => !results[index]);
    if (runnable.length === 0) return results as RunResult[];
    const answered = await runRows(runnable).catch(async () =>
      Promise.all(
        runnable.map(async (item) =>
          runRows([item])
            .then(([result]) => result)
            .catch((error: Error) => failed(item.id, { kind: 'runtime', message: `onnxruntime: ${error.message}` })),
        ),
      ),
    );
    let next = 0;
    return results.map((result) => result ?? answered[next++]);
  };

  return {
    accepts: ['tensor'],
    describe: () => description,
    run: (cases, runOptions) =>
      runThroughBackend(
        {
          accepts: ['tensor'],
          settings,
          cacheScope: JSON.stringify(['onnx', digest]),
          batchSize: fixedBatch ?? settings.batchSize,
          concurrency: 1,
          execute,
        },
        cases,
        runOptions,
      ),
    close: () => session.release(),
  };
}
