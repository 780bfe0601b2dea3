import { openStore } from '../store/open.js';
import { shortTime, table } from './table.js';

/** `assay log`: the audit log, oldest first (or the last --limit entries). */
export async function runLog(options: { format: 'text' | 'json'; limit?: number }): Promise<number> {
  const store = await openStore(undefined, { create: false });
  try {
    let entries = await store.listLog();
    if (options.limit !== undefined) entries = entries.slice(-options.limit);
    process.stdout.write(
      options.format === 'json'
        ? `${JSON.stringify({ store: store.location, entries }, null, 2)}\n`
        : entries.length === 0
          ? `the audit log in ${store.location} is empty\n`
          : table([
              ['SEQ', 'TIME (UTC)', 'ACTOR', 'ACTION', 'REPORT DIGEST', 'TARGET'],
              ...entries.map((entry) => [
                String(entry.seq),
                shortTime(entry.at),
                entry.actor,
                entry.action,
                entry.reportDigest ? `${entry.reportDigest.slice(0, 19)}…` : '-',
                entry.target,
              ]),
            ]),
    );
    return 0;
  } finally {
    await store.close();
  }
}

/** `assay log verify`: 0 when the chain holds, 1 naming the first bad entry when it does not. */
export async function runLogVerify(options: { format: 'text' | 'json'; quiet?: boolean }): Promise<number> {
  const store = await openStore(undefined, { create: false });
  try {
    const result = await store.verifyLog();
    if (!options.quiet)
      process.stdout.write(
        options.format === 'json'
          ? `${JSON.stringify({ store: store.location, ...result }, null, 2)}\n`
          : result.ok
            ? `audit log intact: ${result.entries} entries, head ${result.headHash} (${store.location})\n`
            : `audit log BROKEN at entry ${result.firstBadSeq}: ${result.problem} (${store.location})\n`,
      );
    return result.ok ? 0 : 1;
  } finally {
    await store.close();
  }
}
