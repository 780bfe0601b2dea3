import type { Report } from '../../core/report.js';
import type { EvaluationSection, MetricResult } from '../../core/sections/evaluation.js';
import { escapeHtml } from '../html.js';
import { escapeMarkdown } from '../markdown.js';
import type { SectionRenderer } from '../sections.js';

const number = (value: number | null | undefined) =>
  value === null || value === undefined ? '—' : Number(value.toPrecision(4)).toString();

/** One table row per metric: name, value, interval, threshold, baseline. */
function metricCells(metric: MetricResult): string[] {
  const threshold = metric.threshold
    ? [
        metric.threshold.min !== undefined ? `≥ ${metric.threshold.min}` : '',
        metric.threshold.max !== undefined ? `≤ ${metric.threshold.max}` : '',
      ]
        .filter(Boolean)
        .join(', ')
    : '';
  return [
    metric.name,
    number(metric.value),
    metric.interval ? `${number(metric.interval.lower)}–${number(metric.interval.upper)}` : '',
    threshold,
    metric.baseline ? number(metric.baseline.value) : '',
  ];
}

const HEADER = ['metric', 'value', 'interval', 'threshold', 'baseline'];

/** The highlights in sentences: what ran, on what, how many cases, probes. */
function summary(section: EvaluationSection): string[] {
  const { cases, runner } = section;
  const probeErrors = section.edgeCases.filter((group) => group.errors > 0).map((group) => group.name);
  return [
    `Suite ${section.suite.name}; ${section.task}; runner ${runner.kind} on ${runner.model}${runner.runtime ? ` (${runner.runtime})` : ''}`,
    `Cases: ${cases.total} (${cases.succeeded} answered, ${cases.failed} failed, ${cases.cached} from cache); ${number(section.throughput)} cases/s`,
    `Bootstrap: ${section.bootstrap.resamples} resamples, ${Math.round(section.bootstrap.confidence * 100)}% percentile intervals, seed ${section.bootstrap.seed}`,
    ...(section.baseline ? [`Baseline: ${section.baseline.source}`] : []),
    ...(section.edgeCases.length > 0
      ? [
          `Edge cases: ${section.edgeCases.length} families${probeErrors.length > 0 ? `, failed on ${probeErrors.join(', ')}` : ', none failed'}`,
        ]
      : []),
    ...section.robustness.map(
      (group) => `Robustness ${group.name}: ${group.changed ?? 0} of ${group.cases} outputs changed`,
    ),
  ];
}

function sliceRows(section: EvaluationSection): string[][] {
  return section.slices.flatMap((slice) =>
    slice.metrics.map((metric) => [`${slice.column}=${slice.value} (${slice.cases})`, ...metricCells(metric)]),
  );
}

export const evaluationSectionRenderer: SectionRenderer = {
  title: 'Evaluation',
  id: 'evaluation',
  present: (report: Report) => report.evaluation !== undefined,
  text(report) {
    const section = report.evaluation as EvaluationSection;
    const rows = section.metrics.map(metricCells);
    const widths = HEADER.map((title, k) => Math.max(title.length, ...rows.map((row) => row[k].length)));
    const line = (cells: string[]) =>
      cells
        .map((cell, k) => cell.padEnd(widths[k]))
        .join('  ')
        .trimEnd();
    return [
      ...summary(section),
      '',
      line(HEADER),
      ...rows.map(line),
      ...(section.confusionMatrix
        ? [
            '',
            `Confusion matrix (rows expected, columns predicted: ${section.confusionMatrix.labels.join(', ')})`,
            ...section.confusionMatrix.counts.map(
              (row, i) => `  ${section.confusionMatrix?.labels[i]}: ${row.join(' ')}`,
            ),
          ]
        : []),
      ...(section.slices.length > 0
        ? ['', 'Slices', ...sliceRows(section).map((row) => `  ${row.filter(Boolean).join('  ')}`)]
        : []),
      ...(section.failures.length > 0
        ? [
            '',
            `Failures (${section.failures.length + section.failuresOmitted})`,
            ...section.failures.slice(0, 10).map((failure) => `  ${failure.id} [${failure.kind}] ${failure.message}`),
          ]
        : []),
    ];
  },
  markdown(report) {
    const section = report.evaluation as EvaluationSection;
    const table = (header: string[], rows: string[][]) => [
      `| ${header.join(' | ')} |`,
      `|${header.map(() => '---').join('|')}|`,
      ...rows.map((row) => `| ${row.map(escapeMarkdown).join(' | ')} |`),
    ];
    return [
      ...summary(section).map((sentence) => `- ${escapeMarkdown(sentence)}`),
      '',
      ...table(HEADER, section.metrics.map(metricCells)),
      ...(section.slices.length > 0 ? ['', '### Slices', '', ...table(['slice', ...HEADER], sliceRows(section))] : []),
      ...(section.failures.length > 0
        ? [
            '',
            '### Failures',
            '',
            ...table(
              ['case', 'kind', 'message'],
              section.failures.map((f) => [f.id, f.kind, f.message]),
            ),
          ]
        : []),
    ];
  },
  html(report) {
    const section = report.evaluation as EvaluationSection;
    const table = (header: string[], rows: string[][]) =>
      `<table><thead><tr>${header.map((cell) => `<th>${escapeHtml(cell)}</th>`).join('')}</tr></thead><tbody>${rows
        .map((row) => `<tr>${row.map((cell) => `<td>${escapeHtml(cell)}</td>`).join('')}</tr>`)
        .join('')}</tbody></table>`;
    const matrix = section.confusionMatrix;
    return [
      `<ul>${summary(section)
        .map((sentence) => `<li>${escapeHtml(sentence)}</li>`)
        .join('')}</ul>`,
      table(HEADER, section.metrics.map(metricCells)),
      matrix
        ? `<h3>Confusion matrix</h3>${table(
            ['expected \\ predicted', ...matrix.labels],
            matrix.counts.map((row, i) => [matrix.labels[i], ...row.map(String)]),
          )}`
        : '',
      section.slices.length > 0 ? `<h3>Slices</h3>${table(['slice', ...HEADER], sliceRows(section))}` : '',
      section.failures.length > 0
        ? `<h3>Failures</h3>${table(
            ['case', 'kind', 'message', 'input'],
            section.failures.map((f) => [f.id, f.kind, f.message, JSON.stringify(f.input) ?? '']),
          )}`
        : '',
    ].join('');
  },
};
