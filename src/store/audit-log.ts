import { z } from 'zod';
import { canonicalJson, sha256Hex } from './canonical-json.js';
import { GENESIS_HASH } from './migrations.js';

/** One entry of the append-only audit log. `hash` covers every other field, `prevHash` chains it to the one before. */
export const LogEntry = z.object({
  seq: z.number().int().positive(),
  actor: z.string(),
  action: z.string().describe('What happened, e.g. audit.record, baseline.save, token.create'),
  target: z.string().describe('What it happened to: a model name, a baseline name, a token name'),
  subjectId: z.string().nullable().describe('Id of the stored row the entry describes (audit id, baseline id, ...)'),
  reportDigest: z.string().nullable(),
  at: z.string(),
  prevHash: z.string(),
  hash: z.string(),
});
export type LogEntry = z.infer<typeof LogEntry>;

export type LogEntryContent = Omit<LogEntry, 'hash'>;

/** sha256 over the canonical JSON of the entry without its own hash. */
export function logEntryHash(entry: LogEntryContent): string {
  const { seq, actor, action, target, subjectId, reportDigest, at, prevHash } = entry;
  return sha256Hex(canonicalJson({ seq, actor, action, target, subjectId, reportDigest, at, prevHash }));
}

export const LogVerification = z.discriminatedUnion('ok', [
  z.object({ ok: z.literal(true), entries: z.number().int(), headHash: z.string() }),
  z.object({
    ok: z.literal(false),
    entries: z.number().int(),
    firstBadSeq: z.number().int().describe('The first seq at which the chain does not hold'),
    problem: z.string(),
  }),
]);
export type LogVerification = z.infer<typeof LogVerification>;

/**
 * Walks the chain in seq order. An edited entry no longer matches its hash; a removed one leaves a gap in seq and
 * breaks the next entry's prevHash; a reordered one breaks both; a truncated tail no longer reaches the head.
 */
export async function verifyChain(
  entries: AsyncIterable<LogEntry> | Iterable<LogEntry>,
  head: { seq: number; hash: string },
): Promise<LogVerification> {
  let expectedSeq = 1;
  let prevHash = GENESIS_HASH;
  let count = 0;
  const broken = (firstBadSeq: number, problem: string): LogVerification => ({
    ok: false,
    entries: count,
    firstBadSeq,
    problem,
  });
  for await (const entry of entries) {
    count++;
    if (entry.seq !== expectedSeq)
      return broken(
        expectedSeq,
        entry.seq > expectedSeq
          ? `entries ${expectedSeq}..${entry.seq - 1} are missing (removed)`
          : `entry ${entry.seq} appears out of order`,
      );
    if (entry.prevHash !== prevHash)
      return broken(entry.seq, `entry ${entry.seq} does not follow entry ${entry.seq - 1} (removed or reordered)`);
    if (logEntryHash(entry) !== entry.hash)
      return broken(entry.seq, `entry ${entry.seq} was changed after it was written (its hash no longer matches)`);
    prevHash = entry.hash;
    expectedSeq++;
  }
  const lastSeq = expectedSeq - 1;
  if (head.seq > lastSeq)
    return broken(
      lastSeq + 1,
      `the log ends at entry ${lastSeq} but ${head.seq} were written (entries removed from the end)`,
    );
  if (head.seq < lastSeq)
    return broken(head.seq + 1, `entries after ${head.seq} were added outside the store (the log head ends there)`);
  if (head.hash !== prevHash)
    return broken(lastSeq, `entry ${lastSeq} is not the entry the log head recorded (rewritten)`);
  return { ok: true, entries: count, headHash: prevHash };
}
