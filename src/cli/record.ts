import type { Report } from '../core/report.js';
import { modelName } from '../store/model-name.js';
import { openStore } from '../store/open.js';

/**
 * Records finished reports in the store (ASSAY_DATABASE_URL, else $ASSAY_HOME/assay.db, else .assay/assay.db) and
 * says where on standard error. Returns 0, or 2 when the store could not take them: the reports were already
 * written, so the audit's own result is not lost, but a history with a hole in it is not passed off as complete.
 */
export async function recordReports(
  reports: readonly { report: Report; target: string }[],
  options: { command: string; quiet?: boolean },
): Promise<0 | 2> {
  if (reports.length === 0) return 0;
  try {
    const store = await openStore();
    try {
      for (const { report, target } of reports) {
        const audit = await store.recordAudit(report, { command: options.command, model: modelName(target) });
        if (!options.quiet)
          process.stderr.write(
            `assay: recorded audit ${audit.id} (model digest ${audit.modelDigest}) in ${store.location}\n`,
          );
      }
    } finally {
      await store.close();
    }
    return 0;
  } catch (error) {
    process.stderr.write(
      `assay: the report was not recorded in the store: ${(error as Error).message}\n` +
        '  (use --no-store to skip recording, or fix ASSAY_HOME / ASSAY_DATABASE_URL)\n',
    );
    return 2;
  }
}
