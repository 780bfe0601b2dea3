/** Builds the runner a suite's `model` block (or the command line) names. */
import { isAbsolute, join } from 'node:path';
import type { ModelSpec } from '../suites/schema.js';
import { RunnerConfigError } from './errors.js';
import { genericHttpRunner } from './generic-http.js';
import { lexiconRunner } from './lexicon.js';
import { ollamaRunner } from './ollama.js';
import { onnxRunner } from './onnx.js';
import { openAiRunner } from './openai.js';
import type { Runner } from './types.js';

export { RunnerConfigError };

function required<T>(value: T | undefined, field: string, kind: string): T {
  if (value === undefined) throw new RunnerConfigError(`model.${field} is required for a ${kind} model`);
  return value;
}

/** `baseDir` resolves relative model paths (the suite file's folder). */
export async function createRunner(spec: ModelSpec, baseDir: string): Promise<Runner> {
  const resolve = (path: string) => (isAbsolute(path) ? path : join(baseDir, path));
  const { kind, settings } = spec;
  switch (kind) {
    case 'onnx':
      return onnxRunner({ path: resolve(required(spec.path, 'path', kind)), settings });
    case 'transformers': {
      const { transformersRunner } = await import('./transformers.js');
      return transformersRunner({ path: resolve(required(spec.path, 'path', kind)), task: spec.task, settings });
    }
    case 'lexicon':
      return lexiconRunner({ path: spec.path === undefined ? undefined : resolve(spec.path), settings });
    case 'openai-chat':
    case 'openai-completions': {
      const apiKey = spec.apiKeyEnv ? process.env[spec.apiKeyEnv] : undefined;
      if (spec.apiKeyEnv && !apiKey)
        throw new RunnerConfigError(`model.apiKeyEnv names ${spec.apiKeyEnv}, which is not set in the environment`);
      return openAiRunner({
        baseUrl: required(spec.url, 'url', kind),
        model: required(spec.model, 'model', kind),
        api: kind === 'openai-chat' ? 'chat' : 'completions',
        apiKey,
        temperature: spec.temperature,
        maxTokens: spec.maxTokens,
        settings,
      });
    }
    case 'ollama-chat':
    case 'ollama-generate':
      return ollamaRunner({
        baseUrl: required(spec.url, 'url', kind),
        model: required(spec.model, 'model', kind),
        api: kind === 'ollama-chat' ? 'chat' : 'generate',
        modelOptions: spec.temperature === undefined ? undefined : { temperature: spec.temperature },
        settings,
      });
    case 'http':
      return genericHttpRunner({
        url: required(spec.url, 'url', kind),
        body: required(spec.request, 'request', kind),
        outputPath: required(spec.outputPath, 'outputPath', kind),
        headers: spec.headers,
        model: spec.model,
        settings,
      });
  }
}
