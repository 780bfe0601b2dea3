import type { Report } from '../../core/report.js';
import type { ResponsesSection } from '../../core/sections/responses.js';
import { escapeHtml as h } from '../html.js';
import { escapeMarkdown as md } from '../markdown.js';
import type { SectionRenderer } from '../sections.js';

type RuleResult = ResponsesSection['rules'][number];

const clip = (text: string, length = 200) => (text.length > length ? `${text.slice(0, length)}…` : text);
const oneLine = (text: string) => clip(text).replace(/\s+/g, ' ');

function verdict(rule: RuleResult): string {
  return rule.violations === 0
    ? `pass ${rule.id} (${rule.kind}): 0 of ${rule.applicable} outputs broke it`
    : `FAIL ${rule.id} (${rule.kind}): ${rule.violations} of ${rule.applicable} outputs broke it`;
}

export const responsesSectionRenderer: SectionRenderer = {
  title: 'Acceptable-response policy',
  id: 'responses',
  present: (report: Report) => report.responses !== undefined,
  text: (report) => {
    const section = report.responses as ResponsesSection;
    return [
      `${section.outputs} outputs checked against ${section.rules.length} rule(s).`,
      ...section.rules.flatMap((rule) => [
        verdict(rule),
        ...rule.examples.map(
          (example) => `    ${example.caseId}: ${example.detail}; output: ${oneLine(example.output)}`,
        ),
      ]),
    ];
  },
  markdown: (report) => {
    const section = report.responses as ResponsesSection;
    return [
      `${section.outputs} outputs checked against ${section.rules.length} rule(s).`,
      '',
      '| Rule | Kind | Applied to | Violations | First example |',
      '| --- | --- | ---: | ---: | --- |',
      ...section.rules.map((rule) => {
        const example = rule.examples[0];
        const first = example ? `${md(example.caseId)}: ${md(example.detail)} — ${md(oneLine(example.output))}` : '';
        return `| ${md(rule.id)} | ${rule.kind} | ${rule.applicable} | ${rule.violations} | ${first} |`;
      }),
    ];
  },
  html: (report) => {
    const section = report.responses as ResponsesSection;
    const rows = section.rules.map(
      (rule) =>
        `<tr><td><code>${h(rule.id)}</code>${rule.description ? `<div class="muted">${h(rule.description)}</div>` : ''}</td>` +
        `<td>${rule.kind}</td><td class="num">${rule.applicable}</td><td class="num">${rule.violations}</td><td>` +
        rule.examples
          .map(
            (example) =>
              `<div><span class="mono">${h(example.caseId)}</span>: ${h(example.detail)}<pre>${h(clip(example.output, 500))}</pre></div>`,
          )
          .join('') +
        '</td></tr>',
    );
    return (
      `<p>${section.outputs} outputs checked against ${section.rules.length} rule(s).</p>` +
      '<table><thead><tr><th>Rule</th><th>Kind</th><th class="num">Applied to</th><th class="num">Violations</th>' +
      `<th>Examples</th></tr></thead><tbody>${rows.join('')}</tbody></table>`
    );
  },
};
