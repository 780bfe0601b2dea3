import type { Report } from '../../core/report.js';
import type { ModelSection } from '../../core/sections/model.js';
import { escapeHtml } from '../html.js';
import { escapeMarkdown } from '../markdown.js';
import type { SectionRenderer } from '../sections.js';

/** The card's claims as label/value rows, in reading order; empty fields are left out. */
function rows(model: ModelSection): [string, string][] {
  const out: [string, string][] = [];
  const add = (label: string, value: string | readonly string[] | undefined) => {
    const text = typeof value === 'string' ? value : value?.join(', ');
    if (text) out.push([label, text]);
  };
  const { card } = model;
  if (!card) add('Card', 'none (no README.md at the top of the model)');
  else if (card.status === 'no-front-matter') add('Card', `${card.file} (no front matter: it claims nothing)`);
  else if (card.status === 'malformed') {
    const line = card.problem?.line === undefined ? '' : ` at line ${card.problem.line}`;
    add('Card', `${card.file} (front matter unreadable${line}: ${card.problem?.detail ?? 'invalid YAML'})`);
  } else add('Card', card.file);
  add('Name', model.name);
  add('Licence', model.license);
  add('Licence name', model.licenseName);
  add('Licence link', model.licenseLink);
  add('Base models', model.baseModels);
  add('Relation to base', model.baseModelRelation);
  add('Datasets', model.datasets);
  add('Library', model.libraryName);
  add('Task', model.pipelineTag);
  add('Languages', model.languages);
  add('Tags', model.tags);
  return out;
}

export const modelSectionRenderer: SectionRenderer = {
  title: 'Model card',
  id: 'model',
  present: (report: Report) => report.model !== undefined,
  text: (report) => rows(report.model!).map(([label, value]) => `${`${label}:`.padEnd(18)}${value}`),
  markdown: (report) => [
    '| | |',
    '|---|---|',
    ...rows(report.model!).map(([label, value]) => `| ${label} | ${escapeMarkdown(value)} |`),
  ],
  html: (report) =>
    `<table class="model">${rows(report.model!)
      .map(([label, value]) => `<tr><th scope="row">${escapeHtml(label)}</th><td>${escapeHtml(value)}</td></tr>`)
      .join('')}</table>`,
};
