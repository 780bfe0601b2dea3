import { type CacheStatus, cacheStatus, importAdvisories, osvCacheDir } from '../supply-chain/advisory-db.js';

function describe(status: CacheStatus, only?: readonly string[]): string {
  const names = Object.keys(status.ecosystems)
    .filter((name) => !only || only.includes(name))
    .sort();
  const lines = names.map((name) => {
    const entry = status.ecosystems[name]!;
    const extra = [
      entry.withdrawn > 0 ? `${entry.withdrawn} withdrawn left out` : '',
      entry.rejected > 0 ? `${entry.rejected} unreadable file(s) skipped` : '',
    ].filter((part) => part !== '');
    return `  ${name.padEnd(12)} ${String(entry.records).padStart(7)} records, newest modified ${entry.newestModified ?? 'unknown'}${extra.length > 0 ? ` (${extra.join(', ')})` : ''}; imported ${entry.importedAt} from ${entry.from}`;
  });
  return `${lines.join('\n')}\n`;
}

/** `assay db update --from <all.zip | folder>`: imports OSV records into the local advisory cache. */
export async function runDbUpdate(options: { from: string; quiet?: boolean }): Promise<number> {
  try {
    const status = await importAdvisories(options.from);
    if (!options.quiet) {
      process.stdout.write(`assay: advisory cache ${status.folder} updated:\n${describe(status, status.updated)}`);
    }
    return 0;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const detail = code === 'ENOENT' ? `${options.from} does not exist` : (error as Error).message;
    process.stderr.write(`assay: db update failed: ${detail}\n`);
    return 2;
  }
}

/** `assay db status`: what the local advisory cache holds and which source the next audit will use. */
export async function runDbStatus(): Promise<number> {
  const status = await cacheStatus();
  const env = process.env.ASSAY_OSV_DB;
  if (env) process.stdout.write(`assay: ASSAY_OSV_DB is set: audits use ${env}, not the cache below\n`);
  if (Object.keys(status.ecosystems).length === 0) {
    process.stdout.write(
      `assay: the advisory cache ${osvCacheDir()} is empty; import osv.dev exports with ` +
        '`assay db update --from <Ecosystem>/all.zip` (https://osv-vulnerabilities.storage.googleapis.com/<Ecosystem>/all.zip)\n',
    );
    return 0;
  }
  process.stdout.write(`assay: advisory cache ${status.folder}\n${describe(status)}`);
  return 0;
}
