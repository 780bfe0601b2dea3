import type { RuleMeta } from '../core/rule.js';

/** Lists rule metadata: a table for people, JSON for tools, Markdown for the documentation pages. */
export function runRules(rules: readonly RuleMeta[], format: 'text' | 'json' | 'md'): string {
  const sorted = [...rules].sort((a, b) => a.id.localeCompare(b.id));
  if (format === 'json') return `${JSON.stringify(sorted, null, 2)}\n`;
  if (format === 'md') return sorted.map(ruleDoc).join('\n');
  const width = Math.max(...sorted.map((rule) => rule.id.length));
  return sorted.map((rule) => `${rule.id.padEnd(width)}  ${rule.severity.padEnd(8)}  ${rule.title}\n`).join('');
}

/** One rule's documentation page, generated from its metadata. */
export function ruleDoc(rule: RuleMeta): string {
  const references = rule.references.map((ref) => `- ${ref.url ? `[${ref.id}](${ref.url})` : ref.id}`).join('\n');
  return [
    `# ${rule.id}`,
    '',
    `**${rule.title}** — pillar: ${rule.pillar}, default severity: ${rule.severity}`,
    '',
    rule.description,
    '',
    '## What to do',
    '',
    rule.remediation,
    ...(references ? ['', '## References', '', references] : []),
    '',
  ].join('\n');
}
