import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { type RunInput, RunOutput, TokenCounts } from './types.js';

/** Where Assay keeps state on this machine: `$ASSAY_HOME`, else `.assay` in the working directory. */
export function assayHome(): string {
  return process.env.ASSAY_HOME || join(process.cwd(), '.assay');
}

const CachedAnswer = z.object({ output: RunOutput, tokens: TokenCounts.optional() });
export type CachedAnswer = z.infer<typeof CachedAnswer>;

/**
 * Successful answers on disk, one small JSON file per (model, input), under `<home>/cache/responses`. The key hashes
 * the model's identity (runner kind, file digest or endpoint + model name + generation settings) with the input, so a
 * changed model or prompt never reuses an old answer. Files are written to a temporary name and renamed, so an
 * interrupted run never leaves a half-written entry; an unreadable entry is treated as a miss.
 */
export class ResponseCache {
  constructor(
    private readonly scope: string,
    private readonly folder = join(assayHome(), 'cache', 'responses'),
  ) {}

  private path(input: RunInput): string {
    const key = createHash('sha256')
      .update(JSON.stringify([this.scope, input]))
      .digest('hex');
    return join(this.folder, key.slice(0, 2), `${key}.json`);
  }

  async get(input: RunInput): Promise<CachedAnswer | undefined> {
    try {
      const parsed = CachedAnswer.safeParse(JSON.parse(await readFile(this.path(input), 'utf8')));
      return parsed.success ? parsed.data : undefined;
    } catch {
      return undefined;
    }
  }

  async set(input: RunInput, answer: CachedAnswer): Promise<void> {
    const path = this.path(input);
    await mkdir(join(path, '..'), { recursive: true });
    const temporary = `${path}.${process.pid}.tmp`;
    await writeFile(temporary, JSON.stringify(answer));
    await rename(temporary, path);
  }
}
