/**
 * The results journal of an evaluation: JSON Lines, a header then one line per finished case, appended as cases
 * finish. It is how a long run survives an interruption (`assay eval --resume` reuses every finished case) and how
 * a user gets per-case results (`--results file.jsonl`). Append-only, so a crash loses at most the last second of
 * results; lines may come in any order, and a line that cannot be read (torn by a crash) only means that its case
 * runs again.
 */
import { closeSync, createReadStream, existsSync, openSync, writeSync } from 'node:fs';
import { mkdir, open } from 'node:fs/promises';
import { dirname } from 'node:path';
import { createInterface } from 'node:readline';
import { z } from 'zod';
import { UserError } from '../core/user-error.js';
import { RunError, RunOutput, type RunResult, TokenCounts } from '../runners/types.js';

export const JOURNAL_FORMAT = 'assay-eval-results/1';

export const JournalHeader = z.object({
  format: z.literal(JOURNAL_FORMAT),
  runKey: z.string().describe('Digest of what decides the outputs: model, dataset, input mapping'),
  suite: z.string(),
  cases: z.number().int().nonnegative(),
  startedAt: z.string(),
});
export type JournalHeader = z.infer<typeof JournalHeader>;

export const JournalEntry = z.object({
  index: z.number().int().nonnegative().describe('Row of the case in the dataset, from 0'),
  id: z.string(),
  expected: z.union([z.string(), z.number()]).optional(),
  predicted: z.union([z.string(), z.number()]).optional(),
  slices: z.record(z.string(), z.string()).optional(),
  prompt: z.string().optional().describe('Text inputs: what the model was asked'),
  input: z.unknown().optional().describe('Failed cases: the input (truncated)'),
  output: RunOutput.optional(),
  error: RunError.optional(),
  latencyMs: z.number().nonnegative(),
  attempts: z.number().int().nonnegative(),
  cached: z.boolean(),
  tokens: TokenCounts.optional(),
});
export type JournalEntry = z.infer<typeof JournalEntry>;

/** Results an interruption or an overloaded endpoint caused: run again on resume rather than reused. */
export function isTransient(result: Pick<RunResult, 'error'>): boolean {
  const error = result.error;
  if (!error) return false;
  if (error.kind === 'timeout' || error.kind === 'connection') return true;
  return error.kind === 'http' && (error.status === 429 || (error.status ?? 0) >= 500);
}

export class JournalError extends UserError {}

const FLUSH_BYTES = 64 * 1024;
const FLUSH_MS = 1000;

/** Buffered appends: written when 64 KiB are waiting, at most a second after a write, and on close. */
export class JournalWriter {
  private pending: string[] = [];
  private pendingBytes = 0;
  private lastFlush = Date.now();
  private timer: NodeJS.Timeout | undefined;

  private constructor(
    readonly path: string,
    private fd: number | undefined,
  ) {}

  /** A new journal (an existing file is replaced), or one to append to when resuming. */
  static async open(path: string, header: JournalHeader, append: boolean): Promise<JournalWriter> {
    await mkdir(dirname(path), { recursive: true });
    const tornLine = append && (await endsWithoutNewline(path));
    const writer = new JournalWriter(path, openSync(path, append ? 'a' : 'w'));
    if (tornLine) writer.pending.push('\n'); // a crash cut the last line: keep the next entry off it
    if (!append) writer.write(header);
    return writer;
  }

  write(record: JournalHeader | JournalEntry): void {
    const line = `${JSON.stringify(record)}\n`;
    this.pending.push(line);
    this.pendingBytes += line.length;
    if (this.pendingBytes >= FLUSH_BYTES || Date.now() - this.lastFlush >= FLUSH_MS) this.flush();
    // A slow endpoint may not write again for minutes: what waits is written within a second regardless.
    else this.timer ??= setTimeout(() => this.flush(), FLUSH_MS).unref();
  }

  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.fd === undefined || this.pending.length === 0) return;
    writeSync(this.fd, this.pending.join(''));
    this.pending = [];
    this.pendingBytes = 0;
    this.lastFlush = Date.now();
  }

  close(): void {
    this.flush();
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}

async function endsWithoutNewline(path: string): Promise<boolean> {
  const handle = await open(path, 'r');
  try {
    const { size } = await handle.stat();
    if (size === 0) return false;
    const last = Buffer.alloc(1);
    await handle.read(last, 0, 1, size - 1);
    return last[0] !== 0x0a;
  } finally {
    await handle.close();
  }
}

/** The header of a journal, or undefined when the file is missing or empty. */
export async function readJournalHeader(path: string): Promise<JournalHeader | undefined> {
  if (!existsSync(path)) return undefined;
  for await (const line of lines(path)) {
    const parsed = JournalHeader.safeParse(parseLine(line));
    if (!parsed.success)
      throw new JournalError(`${path}: line 1 is not an Assay results journal header (${JOURNAL_FORMAT})`);
    return parsed.data;
  }
  return undefined;
}

/** Every readable entry of a journal, streamed; unreadable lines are skipped (their cases run again). */
export async function* readJournalEntries(path: string): AsyncGenerator<JournalEntry> {
  let first = true;
  for await (const line of lines(path)) {
    if (first) {
      first = false;
      continue;
    }
    const parsed = JournalEntry.safeParse(parseLine(line));
    if (parsed.success) yield parsed.data;
  }
}

function lines(path: string): AsyncIterable<string> {
  return createInterface({ input: createReadStream(path, 'utf8'), crlfDelay: Number.POSITIVE_INFINITY });
}

function parseLine(line: string): unknown {
  try {
    return JSON.parse(line);
  } catch {
    return undefined;
  }
}
