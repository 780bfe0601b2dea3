import { readFile } from 'node:fs/promises';
import type { ZodType } from 'zod';

/**
 * Reads a YAML or JSON file people write (policy, config, suite) and validates it; every error names the file and
 * the offending key, and is thrown as `makeError(message)` so each caller keeps its own error class.
 */
export async function loadYamlFile<T>(
  path: string,
  schema: ZodType<T>,
  what: string,
  makeError: (message: string) => Error,
): Promise<T> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw makeError(`cannot read ${what} ${path}: ${(error as Error).message}`);
  }
  let raw: unknown;
  try {
    // Loaded on demand: the YAML parser costs ~90 ms of start-up that most runs do not need.
    const { parse } = await import('yaml');
    raw = parse(text) ?? {};
  } catch (error) {
    throw makeError(`${what} ${path} is not valid YAML or JSON: ${(error as Error).message}`);
  }
  const result = schema.safeParse(raw);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`);
    throw makeError(`${what} ${path} is invalid:\n  ${problems.join('\n  ')}`);
  }
  return result.data;
}
