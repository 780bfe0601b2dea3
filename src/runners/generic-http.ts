import { asPrompt, httpRunner } from './http-runner.js';
import { parseJsonPath, valueAt } from './json-path.js';
import { type RunInput, type Runner, RunnerSettings } from './types.js';

export interface GenericHttpOptions {
  url: string;
  /**
   * The JSON body, with placeholders in string values: `{{text}}` (the text, or the chat flattened), and, as a whole
   * value only, `{{messages}}` (the chat as [{role, content}]) and `{{values}}` (a tensor input's numbers). Placeholders
   * are substituted as data, never evaluated as a template.
   */
  body: unknown;
  /** Where the output is in the answer, e.g. `$.data[0].generated_text`. A number or array of numbers → scores. */
  outputPath: string;
  headers?: Record<string, string>;
  /** Name the report uses for the model (defaults to the URL). */
  model?: string;
  settings?: Partial<RunnerSettings>;
}

/** Any JSON API: a request template and a JSON path to the output. */
export function genericHttpRunner(options: GenericHttpOptions): Runner {
  const settings = RunnerSettings.parse(options.settings ?? {});
  const path = parseJsonPath(options.outputPath);
  return httpRunner({
    description: { kind: 'http', model: options.model ?? options.url, endpoint: options.url, settings },
    accepts: ['text', 'chat', 'tensor'],
    url: options.url,
    headers: options.headers,
    cacheExtra: [options.body, options.outputPath],
    request: (input) => fillTemplate(options.body, input),
    answer: (body) => {
      const value = valueAt(body, path);
      if (typeof value === 'string') return { output: { kind: 'text', text: value } };
      if (typeof value === 'number') return { output: { kind: 'scores', values: [value] } };
      if (Array.isArray(value) && value.every((item) => typeof item === 'number'))
        return { output: { kind: 'scores', values: value } };
      return value === undefined
        ? `the answer has nothing at ${options.outputPath}`
        : `the value at ${options.outputPath} is neither text nor numbers`;
    },
  });
}

/** Copies the template, replacing placeholders with the input's parts. */
export function fillTemplate(template: unknown, input: RunInput): unknown {
  if (typeof template === 'string') {
    if (template === '{{messages}}')
      return input.kind === 'chat' ? input.messages : [{ role: 'user', content: textOf(input) }];
    if (template === '{{values}}') return input.kind === 'tensor' ? input.values : [];
    return template.replaceAll('{{text}}', textOf(input));
  }
  if (Array.isArray(template)) return template.map((item) => fillTemplate(item, input));
  if (template && typeof template === 'object')
    return Object.fromEntries(Object.entries(template).map(([key, value]) => [key, fillTemplate(value, input)]));
  return template;
}

function textOf(input: RunInput): string {
  return input.kind === 'tensor' ? input.values.join(',') : asPrompt(input);
}
