/**
 * What makes a long `assay eval` survivable: the results journal (where it lives, when it is reused or removed), the
 * first Ctrl-C that stops after the cases in flight, and progress with an ETA.
 */
import { rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { assayHome } from '../runners/cache.js';
import type { RunnerDescription } from '../runners/types.js';
import { canonicalJson, sha256Hex } from '../store/canonical-json.js';
import type { DatasetSummary } from '../suites/dataset.js';
import {
  JOURNAL_FORMAT,
  type JournalEntry,
  JournalError,
  JournalWriter,
  readJournalEntries,
  readJournalHeader,
} from '../suites/journal.js';
import type { ModelSpec, Suite } from '../suites/schema.js';

export interface JournalRequest {
  /** Reuse the finished cases of an earlier run of the same cases. */
  resume?: boolean;
  /** Keep per-case results in this JSON Lines file (otherwise a journal under $ASSAY_HOME, removed when done). */
  results?: string;
  quiet?: boolean;
}

export interface OpenJournal {
  writer: JournalWriter;
  resumeFrom?: AsyncIterable<JournalEntry>;
  path: string;
  /** Finished successfully: the default journal is removed, a --results file kept. */
  complete(): Promise<void>;
  close(): void;
}

/**
 * Identifies the cases and the model that answer them: the same key means a journal's results are this run's.
 * Output-neutral settings (concurrency, thresholds, bootstrap) are left out, so they may change between resumes.
 */
export function runKey(suite: Suite, spec: ModelSpec, runner: RunnerDescription, dataset: DatasetSummary): string {
  const { settings: _settings, headers: _headers, apiKeyEnv: _key, path: _path, ...model } = spec;
  return sha256Hex(
    canonicalJson({
      format: JOURNAL_FORMAT,
      runner: { kind: runner.kind, model: runner.model, modelDigest: runner.modelDigest, endpoint: runner.endpoint },
      model,
      dataset: { sha256: dataset.sha256, format: suite.dataset.format, limit: suite.dataset.limit },
      cases: { input: suite.input, expected: suite.expected, id: suite.id, slices: suite.slices },
    }),
  );
}

export async function openJournal(
  request: JournalRequest,
  key: string,
  suite: Suite,
  cases: number,
): Promise<OpenJournal> {
  const path = request.results ? resolve(request.results) : join(assayHome(), 'runs', `eval-${key.slice(0, 16)}.jsonl`);
  const header = await readJournalHeader(path).catch((error: Error) => {
    if (request.resume) throw error;
    return undefined; // a file that is not a journal is replaced when not resuming
  });
  const note = (text: string) => {
    if (!request.quiet) process.stderr.write(`assay eval: ${text}\n`);
  };
  const matches = header?.runKey === key;
  if (request.resume && header && !matches)
    throw new JournalError(
      `${path} holds results of a different run (another model, dataset or input mapping); ` +
        'run without --resume to start over, or give another --results file',
    );
  if (request.resume && !header) note(`nothing to resume in ${path}; starting from the first case`);
  if (!request.resume && matches && !request.results)
    note(`an interrupted run of these cases left results in ${path}; starting over (--resume would reuse them)`);
  const resuming = Boolean(request.resume && matches);
  if (resuming) note(`resuming from ${path}`);
  const writer = await JournalWriter.open(
    path,
    { format: JOURNAL_FORMAT, runKey: key, suite: suite.name, cases, startedAt: new Date().toISOString() },
    resuming,
  );
  return {
    writer,
    // Read to the end before new entries are appended: the first pass over the journal happens before any case runs.
    resumeFrom: resuming ? readJournalEntries(path) : undefined,
    path,
    complete: async () => {
      writer.close();
      if (!request.results) await rm(path, { force: true });
    },
    close: () => writer.close(),
  };
}

/**
 * The first Ctrl-C (SIGINT) or a SIGTERM aborts the returned signal: no new cases start, those in flight are
 * journaled. A second Ctrl-C quits at once. `release` removes the handlers.
 */
export function interruptOnSignal(quiet: boolean | undefined): { signal: AbortSignal; release(): void } {
  const controller = new AbortController();
  const stop = () => {
    if (controller.signal.aborted) process.exit(130);
    if (!quiet) process.stderr.write('\nassay eval: stopping after the cases in flight (Ctrl-C again to quit now)\n');
    controller.abort();
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  return {
    signal: controller.signal,
    release: () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
    },
  };
}

const TTY_INTERVAL_MS = 250;
const LOG_INTERVAL_MS = 30_000;

/**
 * Progress with an ETA on standard error: redrawn in place on a terminal, a line every 30 s otherwise (CI logs);
 * nothing when quiet. The ETA counts only cases run in this session, so resumed ones do not make it optimistic.
 */
export function progressLine(
  options: { progress?: boolean; quiet?: boolean },
  total: number,
): ((reused: boolean) => void) | undefined {
  if (options.progress === false || options.quiet) return undefined;
  const tty = process.stderr.isTTY;
  const started = Date.now();
  let done = 0;
  let resumed = 0;
  let shown = started;
  return (reused) => {
    done++;
    if (reused) resumed++;
    const now = Date.now();
    if (now - shown < (tty ? TTY_INTERVAL_MS : LOG_INTERVAL_MS) && done < total) return;
    if (!tty && done >= total && now - started < LOG_INTERVAL_MS) return;
    shown = now;
    const ran = done - resumed;
    const rate = ran / Math.max((now - started) / 1000, 1e-3);
    const eta = rate > 0 ? (total - done) / rate : Number.POSITIVE_INFINITY;
    const text =
      `assay eval: ${done.toLocaleString('en')}/${total.toLocaleString('en')} cases` +
      `${resumed > 0 ? ` (${resumed.toLocaleString('en')} resumed)` : ''}, ${rate.toFixed(rate < 10 ? 1 : 0)}/s, ` +
      `ETA ${duration(eta)}`;
    if (!tty) process.stderr.write(`${text}\n`);
    else process.stderr.write(done >= total ? '\r\u001b[K' : `\r\u001b[K${text}`);
  };
}

function duration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const s = Math.ceil(seconds);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}
