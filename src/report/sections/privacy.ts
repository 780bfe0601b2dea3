import type { Report } from '../../core/report.js';
import type { PersonalDataFile, PrivacyDataset, PrivacySection } from '../../core/sections/privacy.js';
import { KIND_LABELS, type PersonalDataKind } from '../../knowledge/privacy-pii.js';
import { escapeHtml } from '../html.js';
import { escapeMarkdown } from '../markdown.js';
import type { SectionRenderer } from '../sections.js';

function datasetLine(dataset: PrivacyDataset): string {
  if (!dataset.known) return `${dataset.id}: unknown data set (privacy properties not known, not assumed clean)`;
  const special =
    dataset.specialCategories.length > 0 ? `; special categories: ${dataset.specialCategories.join(', ')}` : '';
  const children = dataset.children === 'no' ? '' : `; children's data: ${dataset.children}`;
  return (
    `${dataset.id} [${dataset.source.join(', ')}]: personal data ${dataset.personalData}${special}${children}; ` +
    `licence: ${dataset.licence} — ${dataset.reason}`
  );
}

function countsText(counts: PersonalDataFile['counts']): string {
  const entries = (Object.entries(counts) as [PersonalDataKind, number][]).filter(([, count]) => count > 0);
  if (entries.length === 0) return 'none found';
  return entries
    .map(([kind, count]) => `${count} ${count === 1 ? KIND_LABELS[kind].one : KIND_LABELS[kind].many}`)
    .join(', ');
}

function fileName(file: PersonalDataFile): string {
  return file.member ? `${file.file}!${file.member}` : file.file;
}

function examplesText(file: PersonalDataFile): string {
  return file.examples.map((example) => `${example.masked} (${example.where})`).join('; ');
}

function fileLines(file: PersonalDataFile): string[] {
  return [
    `${fileName(file)} (${file.layout}; sampled: ${file.sample.description}): ${countsText(file.counts)}`,
    ...(file.examples.length > 0 ? [`    examples (masked): ${examplesText(file)}`] : []),
    ...(file.readAsText ? [`    ${file.readAsText}`] : []),
  ];
}

function scope(section: PrivacySection): string {
  return section.gdprInScope
    ? 'The intended use includes the EU/EEA: GDPR points weigh more.'
    : 'The policy names no EU/EEA region in intendedUse.regions.';
}

function privacyOf(report: Report): PrivacySection {
  return report.privacy as PrivacySection;
}

export const privacySectionRenderer: SectionRenderer = {
  title: 'Privacy (GDPR / CCPA)',
  id: 'privacy',
  present: (report) => report.privacy !== undefined,
  text(report) {
    const section = privacyOf(report);
    return [
      section.disclaimer,
      scope(section),
      'Training data (from the model card):',
      ...(section.datasets.length > 0
        ? section.datasets.map((dataset) => `  ${datasetLine(dataset)}`)
        : ['  none declared']),
      ...(section.signals.length > 0
        ? ['Card signals:', ...section.signals.map((signal) => `  ${signal.value}: ${signal.meaning}`)]
        : []),
      'Flags (not legal advice):',
      ...(section.flags.length > 0
        ? section.flags.flatMap((flag) => [
            `  ${flag.law} ${flag.article} — ${flag.title}`,
            `    because: ${flag.because.join('; ')}`,
            `    ${flag.explanation}`,
          ])
        : ['  none']),
      'Personal data in shipped data files:',
      ...(section.files.length > 0
        ? section.files.flatMap((file) => fileLines(file).map((line) => `  ${line}`))
        : ['  no CSV, JSON, JSONL, text or Parquet data files']),
    ];
  },
  markdown(report) {
    const section = privacyOf(report);
    return [
      `*${escapeMarkdown(section.disclaimer)}* ${escapeMarkdown(scope(section))}`,
      '',
      '| Data set | Source | Personal data | Special categories | Children | Licence | Why |',
      '|---|---|---|---|---|---|---|',
      ...section.datasets.map((dataset) =>
        dataset.known
          ? `| ${escapeMarkdown(dataset.id)} | ${dataset.source.join(', ')} | ${dataset.personalData} | ${dataset.specialCategories.join(', ') || '—'} | ${dataset.children} | ${escapeMarkdown(dataset.licence ?? '')} | ${escapeMarkdown(dataset.reason ?? '')} |`
          : `| ${escapeMarkdown(dataset.id)} | unknown | unknown | unknown | unknown | unknown | not in the knowledge table: not assumed clean |`,
      ),
      ...(section.datasets.length === 0 ? ['| none declared | | | | | | |'] : []),
      '',
      ...section.signals.map(
        (signal) => `- Card signal \`${escapeMarkdown(signal.value)}\`: ${escapeMarkdown(signal.meaning)}`,
      ),
      ...(section.signals.length > 0 ? [''] : []),
      '**Flags (not legal advice)**',
      '',
      ...(section.flags.length > 0
        ? section.flags.map(
            (flag) =>
              `- **${flag.law} ${escapeMarkdown(flag.article)}: ${escapeMarkdown(flag.title)}** — because ${escapeMarkdown(flag.because.join('; '))}. ${escapeMarkdown(flag.explanation)}`,
          )
        : ['- none']),
      '',
      '**Personal data in shipped data files**',
      '',
      ...(section.files.length > 0
        ? [
            '| File | Sampled | Found | Examples (masked) |',
            '|---|---|---|---|',
            ...section.files.map(
              (file) =>
                `| ${escapeMarkdown(fileName(file))} | ${escapeMarkdown(file.sample.description)} | ${escapeMarkdown(countsText(file.counts))} | ${escapeMarkdown(examplesText(file)) || '—'} |`,
            ),
          ]
        : ['No CSV, JSON, JSONL, text or Parquet data files.']),
    ];
  },
  html(report) {
    const section = privacyOf(report);
    const datasets = section.datasets
      .map((dataset) =>
        dataset.known
          ? `<tr><td>${escapeHtml(dataset.id)}</td><td>${escapeHtml(dataset.source.join(', '))}</td><td>${escapeHtml(dataset.personalData)}</td><td>${escapeHtml(dataset.specialCategories.join(', ') || '—')}</td><td>${escapeHtml(dataset.children)}</td><td>${escapeHtml(dataset.licence ?? '')}</td><td>${escapeHtml(dataset.reason ?? '')}</td></tr>`
          : `<tr class="unknown"><td>${escapeHtml(dataset.id)}</td><td colspan="6">unknown data set: privacy properties not known, not assumed clean</td></tr>`,
      )
      .join('');
    const signals = section.signals
      .map((signal) => `<li><code>${escapeHtml(signal.value)}</code>: ${escapeHtml(signal.meaning)}</li>`)
      .join('');
    const flags = section.flags
      .map(
        (flag) =>
          `<li><strong>${escapeHtml(`${flag.law} ${flag.article}: ${flag.title}`)}</strong> — because ${escapeHtml(flag.because.join('; '))}. ${escapeHtml(flag.explanation)}</li>`,
      )
      .join('');
    const files = section.files
      .map(
        (file) =>
          `<tr><td>${escapeHtml(fileName(file))}</td><td>${escapeHtml(file.sample.description)}</td><td>${escapeHtml(countsText(file.counts))}</td><td>${escapeHtml(examplesText(file) || '—')}</td></tr>`,
      )
      .join('');
    return (
      `<p><em>${escapeHtml(section.disclaimer)}</em> ${escapeHtml(scope(section))}</p>` +
      `<table class="privacy-datasets"><thead><tr><th>Data set</th><th>Source</th><th>Personal data</th><th>Special categories</th><th>Children</th><th>Licence</th><th>Why</th></tr></thead><tbody>${datasets || '<tr><td colspan="7">none declared</td></tr>'}</tbody></table>` +
      (signals ? `<ul class="privacy-signals">${signals}</ul>` : '') +
      `<h3>Flags (not legal advice)</h3><ul class="privacy-flags">${flags || '<li>none</li>'}</ul>` +
      `<h3>Personal data in shipped data files</h3>` +
      (files
        ? `<table class="privacy-files"><thead><tr><th>File</th><th>Sampled</th><th>Found</th><th>Examples (masked)</th></tr></thead><tbody>${files}</tbody></table>`
        : '<p>No CSV, JSON, JSONL, text or Parquet data files.</p>')
    );
  },
};
