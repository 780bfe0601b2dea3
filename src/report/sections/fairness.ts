import type { Report } from '../../core/report.js';
import type { CounterfactualFairness, FairnessSection, TabularFairness } from '../../core/sections/fairness.js';
import { escapeHtml } from '../html.js';
import { escapeMarkdown } from '../markdown.js';
import type { SectionRenderer } from '../sections.js';

interface Row {
  cells: string[];
  failed: boolean;
}

const number = (value: number | null) => (value === null ? 'n/a' : Number(value.toPrecision(4)).toString());

function estimate({ value, interval }: { value: number | null; interval?: { lower: number; upper: number } }): string {
  return interval ? `${number(value)} [${number(interval.lower)}, ${number(interval.upper)}]` : number(value);
}

/** One line per measure between groups, and per group the selection rate, TPR and FPR. */
function tabularRows(tabular: TabularFairness): { summary: string; measures: Row[]; groups: Row[] } {
  const metric = (name: string) => tabular.metrics.find((entry) => entry.name === name);
  const measures = tabular.measures
    .filter((measure) => measure.method === 'between_groups')
    .map((measure) => {
      const bound = measure.threshold
        ? [
            measure.threshold.min !== undefined ? `>= ${measure.threshold.min}` : '',
            measure.threshold.max !== undefined ? `<= ${measure.threshold.max}` : '',
          ]
            .filter(Boolean)
            .join(', ')
        : '';
      const verdict = measure.passed === undefined ? '' : measure.passed ? 'pass' : 'FAIL';
      return { cells: [measure.name, estimate(measure), bound, verdict], failed: measure.passed === false };
    });
  const groups = tabular.groups.map(({ group, count }) => {
    const at = (name: string) => metric(name)?.byGroup.find((entry) => entry.group === group);
    const below = tabular.fourFifths.groupsBelow.some((entry) => entry.group === group);
    return {
      cells: [
        group,
        String(count),
        ...['selection_rate', 'true_positive_rate', 'false_positive_rate'].map((name) => {
          const value = at(name);
          return value ? estimate(value) : 'n/a';
        }),
      ],
      failed: below,
    };
  });
  const summary =
    `${tabular.data.path} (${tabular.data.rows} rows): ${tabular.prediction} against ${tabular.label} by ` +
    `${tabular.sensitive.join(' × ')}; 95% bootstrap intervals (${tabular.bootstrap.resamples} resamples, seed ${tabular.bootstrap.seed}). ` +
    `Four-fifths rule: ${tabular.fourFifths.passed ? 'met' : `not met by ${tabular.fourFifths.groupsBelow.map((entry) => entry.group).join(', ')}`}.`;
  return { summary, measures, groups };
}

function counterfactualRows(counterfactual: CounterfactualFairness): { summary: string; pairs: Row[] } {
  const worst = counterfactual.pairs.slice(0, 10);
  return {
    summary:
      `${counterfactual.cases} counterfactual prompts (${counterfactual.templates} templates) to ${counterfactual.runner.model}; ` +
      `${counterfactual.pairs.filter((pair) => pair.significant).length} of ${counterfactual.pairs.length} group pairs differ ` +
      `significantly (Holm, alpha ${counterfactual.alpha}). Worst pairs:`,
    pairs: worst.map((pair) => ({
      cells: [
        pair.dimension,
        `${pair.groupA} vs ${pair.groupB}`,
        `${pair.measure} ${number(pair.valueA)} vs ${number(pair.valueB)}`,
        `${pair.flips}/${pair.templates}`,
        number(pair.adjustedPValue),
        pair.examples[0] ? `${pair.examples[0].outputA} / ${pair.examples[0].outputB}`.slice(0, 200) : '',
      ],
      failed: pair.significant,
    })),
  };
}

const MEASURE_HEAD = ['Measure', 'Value [95% interval]', 'Threshold', 'Verdict'];
const GROUP_HEAD = ['Group', 'Rows', 'Selection rate', 'TPR', 'FPR'];
const PAIR_HEAD = ['Dimension', 'Groups', 'Outcome', 'Flipped templates', 'Adjusted p', 'Example outputs'];

function sections(fairness: FairnessSection): { summary: string; head: string[]; rows: Row[] }[] {
  const parts: { summary: string; head: string[]; rows: Row[] }[] = [];
  if (fairness.tabular) {
    const { summary, measures, groups } = tabularRows(fairness.tabular);
    parts.push(
      { summary, head: MEASURE_HEAD, rows: measures },
      { summary: 'By group:', head: GROUP_HEAD, rows: groups },
    );
  }
  if (fairness.counterfactual) {
    const { summary, pairs } = counterfactualRows(fairness.counterfactual);
    parts.push({ summary, head: PAIR_HEAD, rows: pairs });
  }
  return parts;
}

export const fairnessSectionRenderer: SectionRenderer = {
  title: 'Fairness',
  id: 'fairness',
  present: (report: Report) => report.fairness !== undefined,
  text: (report) =>
    sections(report.fairness as FairnessSection).flatMap((part) => [
      part.summary,
      ...part.rows.map((row) => `${row.failed ? '! ' : '  '}${row.cells.filter(Boolean).join('  ')}`),
    ]),
  markdown: (report) =>
    sections(report.fairness as FairnessSection).flatMap((part) => [
      escapeMarkdown(part.summary),
      '',
      `| ${part.head.join(' | ')} |`,
      `|${part.head.map(() => '---').join('|')}|`,
      ...part.rows.map((row) => `| ${row.cells.map((cell) => escapeMarkdown(cell)).join(' | ')} |`),
      '',
    ]),
  html: (report) =>
    sections(report.fairness as FairnessSection)
      .map(
        (part) =>
          `<p>${escapeHtml(part.summary)}</p><table><thead><tr>${part.head.map((cell) => `<th>${escapeHtml(cell)}</th>`).join('')}</tr></thead><tbody>` +
          part.rows
            .map(
              (row) =>
                `<tr${row.failed ? ' class="fail"' : ''}>${row.cells.map((cell) => `<td>${escapeHtml(cell)}</td>`).join('')}</tr>`,
            )
            .join('') +
          '</tbody></table>',
      )
      .join('\n'),
};
