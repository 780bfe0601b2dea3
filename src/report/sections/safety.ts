import type { Report } from '../../core/report.js';
import type { SafetySection } from '../../core/sections/safety.js';
import { escapeHtml } from '../html.js';
import { escapeMarkdown } from '../markdown.js';
import type { SectionRenderer } from '../sections.js';

type Rate = SafetySection['overall'];

const percent = (value: number) => `${(value * 100).toFixed(1)}%`;

function rate({ attackSuccessRate, hits, outputs, errors, interval }: Rate): string {
  if (attackSuccessRate === null) return `no outputs (${errors} errors)`;
  const range = interval ? ` [${percent(interval.lower)}–${percent(interval.upper)}]` : '';
  return `${percent(attackSuccessRate)}${range} (${hits}/${outputs}${errors > 0 ? `, ${errors} errors` : ''})`;
}

function header(safety: SafetySection): string {
  const packs = safety.packs.map((pack) => `${pack.name}@${pack.version}`).join(', ');
  const judge = safety.judge ? `; LLM judge ${safety.judge.model}` : '';
  return `${packs} against ${safety.runner.model} (${safety.runner.kind}), seed ${safety.seed}${judge}. Attack success rate ${rate(safety.overall)}.`;
}

const clip = (text: string, length = 300) => (text.length > length ? `${text.slice(0, length)}…` : text);

function hitLines(safety: SafetySection): { probe: string; prompt: string; output: string; decided: string }[] {
  return safety.hitLog.map((hit) => ({
    probe: hit.probe,
    prompt: clip(hit.prompt),
    output: clip(hit.output),
    decided: hit.verdicts
      .filter((verdict) => verdict.hit)
      .map((verdict) => verdict.decidedBy)
      .join(', '),
  }));
}

export const safetySectionRenderer: SectionRenderer = {
  title: 'Safety probes',
  id: 'safety',
  present: (report: Report) => report.safety !== undefined,
  text: (report) => {
    const safety = report.safety as SafetySection;
    return [
      header(safety),
      ...safety.categories.map(
        (category) =>
          `${category.passed ? 'pass' : 'FAIL'} ${category.category}: ${rate(category)}, limit ${percent(category.threshold)}`,
      ),
      ...hitLines(safety).flatMap((hit) => [
        `hit ${hit.probe} (${hit.decided})`,
        `    prompt: ${hit.prompt.replace(/\n/g, ' ')}`,
        `    output: ${hit.output.replace(/\n/g, ' ')}`,
      ]),
    ];
  },
  markdown: (report) => {
    const safety = report.safety as SafetySection;
    return [
      escapeMarkdown(header(safety)),
      '',
      '| Category | Attack success rate | Limit | Verdict |',
      '|---|---|---|---|',
      ...safety.categories.map(
        (category) =>
          `| ${escapeMarkdown(category.category)} | ${escapeMarkdown(rate(category))} | ${percent(category.threshold)} | ${category.passed ? 'pass' : '**fail**'} |`,
      ),
      ...(safety.hitLog.length > 0
        ? [
            '',
            '| Probe | Decided by | Prompt | Output |',
            '|---|---|---|---|',
            ...hitLines(safety).map(
              (hit) =>
                `| ${escapeMarkdown(hit.probe)} | ${escapeMarkdown(hit.decided)} | ${escapeMarkdown(hit.prompt)} | ${escapeMarkdown(hit.output)} |`,
            ),
          ]
        : []),
    ];
  },
  html: (report) => {
    const safety = report.safety as SafetySection;
    const h = escapeHtml;
    return [
      `<p>${h(header(safety))}</p>`,
      '<table><thead><tr><th>Category</th><th>Attack success rate</th><th>Limit</th><th>Verdict</th></tr></thead><tbody>',
      ...safety.categories.map(
        (category) =>
          `<tr><td>${h(category.category)}</td><td>${h(rate(category))}</td><td>${percent(category.threshold)}</td><td>${category.passed ? 'pass' : '<b>fail</b>'}</td></tr>`,
      ),
      '</tbody></table>',
      ...(safety.hitLog.length > 0
        ? [
            '<table><thead><tr><th>Probe</th><th>Decided by</th><th>Prompt</th><th>Output</th></tr></thead><tbody>',
            ...hitLines(safety).map(
              (hit) =>
                `<tr><td>${h(hit.probe)}</td><td>${h(hit.decided)}</td><td><pre>${h(hit.prompt)}</pre></td><td><pre>${h(hit.output)}</pre></td></tr>`,
            ),
            '</tbody></table>',
          ]
        : []),
    ].join('\n');
  },
};
