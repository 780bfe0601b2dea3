/** Writes docs/rules/<pillar>/<rule>.md, one page per rule, from the rules' metadata. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { builtInRuleMetas } from '../src/assay.js';
import { ruleDoc } from '../src/cli/rules.js';

const root = join(import.meta.dirname, '..', 'docs', 'rules');
for (const meta of builtInRuleMetas()) {
  const path = join(root, `${meta.id}.md`);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, ruleDoc(meta));
}
writeFileSync(
  join(root, 'README.md'),
  `# Rules\n\n${builtInRuleMetas()
    .map((meta) => `- [${meta.id}](${meta.id}.md) — ${meta.severity} — ${meta.title}`)
    .join('\n')}\n`,
);
console.log(`wrote ${builtInRuleMetas().length} rule pages under docs/rules`);
