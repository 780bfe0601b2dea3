import { writeFile } from 'node:fs/promises';
import { builtInRuleMetas } from '../assay.js';
import { type OutputFormat, render } from '../report/index.js';
import { openStore } from '../store/open.js';

/** `assay show <id>`: a stored report, rendered again in any report format. */
export async function runShow(id: string, options: { format: OutputFormat; output?: string }): Promise<number> {
  const store = await openStore(undefined, { create: false });
  try {
    const audit = await store.getAudit(id);
    if (!audit) {
      process.stderr.write(`assay: no audit ${id} in ${store.location} (\`assay history\` lists them)\n`);
      return 2;
    }
    if (!audit.report) {
      process.stderr.write(
        `assay: audit ${audit.id} has no report: it is ${audit.status}${audit.error ? ` (${audit.error})` : ''}\n`,
      );
      return 2;
    }
    const rendered = render(options.format, audit.report, builtInRuleMetas(), {
      color: !options.output && options.format === 'text' && process.stdout.isTTY,
    });
    if (options.output) await writeFile(options.output, rendered);
    else process.stdout.write(rendered);
    return 0;
  } finally {
    await store.close();
  }
}
