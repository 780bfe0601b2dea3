import type { Report } from '../../core/report.js';
import type { ComplianceSection, LicenceEvidence, LineageNode } from '../../core/sections/compliance.js';
import { escapeHtml } from '../html.js';
import { escapeMarkdown } from '../markdown.js';
import type { SectionRenderer } from '../sections.js';

const TARGET = '.';

interface Block {
  heading: string;
  /** Items with their nesting level (lineage tree); rendered as indented lines or nested-looking list items. */
  items: { level: number; text: string }[];
}

function evidenceLine(item: LicenceEvidence): string {
  const where =
    item.source === 'licence-file' ? `${item.file} (${item.value} text)` : `${item.file} ${item.source}: ${item.value}`;
  if (item.source !== 'licence-file') {
    const what =
      item.status === 'identified'
        ? (item.candidates[0] ?? '')
        : item.status === 'ambiguous'
          ? `family, one of ${item.candidates.join(', ')}`
          : 'not identified';
    return `${where} → ${what}`;
  }
  const runnerUp = item.runnerUp ? `; next: ${item.runnerUp.licence} ${item.runnerUp.score}` : '';
  const what =
    item.candidates.length > 0
      ? `${item.candidates.join(' or ')} (similarity ${item.score}${runnerUp})`
      : `not identified (closest: ${item.closest ?? 'none'} at ${item.score})`;
  return `${where} → ${what}`;
}

function nodeLine(node: LineageNode): string {
  const name = node.model === TARGET ? 'this model' : node.model;
  const licence = node.licence
    ? `${node.licence.id} (${node.licence.spdx})${node.licenceStatus === 'identified' ? '' : `, ${node.licenceStatus}`}`
    : `licence ${node.licenceStatus === 'none' ? 'not declared' : node.licenceStatus}`;
  const found =
    node.found === 'target' ? '' : ['cards-folder', 'hf-cache', 'hub'].includes(node.found) ? ` [${node.found}]` : '';
  const missing =
    node.found === 'not-found' || node.found === 'unreadable' || node.found === 'depth-limit'
      ? ` [${node.found}: ${node.detail}] — unknown terms`
      : '';
  return `${name}: ${licence}${found}${missing}`;
}

/** The lineage as a tree from the audited model to its ancestors; a model reached twice is shown once. */
function lineageItems(section: ComplianceSection): Block['items'] {
  const byModel = new Map(section.lineage.map((node) => [node.model, node]));
  const items: Block['items'] = [];
  const shown = new Set<string>();
  const visit = (model: string, level: number) => {
    const node = byModel.get(model);
    if (!node) return;
    if (shown.has(model)) {
      items.push({ level, text: `${model} (shown above)` });
      return;
    }
    shown.add(model);
    items.push({ level, text: nodeLine(node) });
    for (const parent of node.parents) visit(parent, level + 1);
  };
  visit(TARGET, 0);
  return items;
}

function blocks(section: ComplianceSection): Block[] {
  const flat = (lines: string[]) => lines.map((text) => ({ level: 0, text }));
  const { licence } = section;
  const effective = licence.effective
    ? `${licence.effective.name} (${licence.effective.id}, ${licence.effective.spdx})`
    : 'none identified';
  const result: Block[] = [
    {
      heading: `Licence: ${licence.status} — ${effective}`,
      items: flat(licence.evidence.length > 0 ? licence.evidence.map(evidenceLine) : ['no licence declared anywhere']),
    },
    { heading: 'Lineage (base_model)', items: lineageItems(section) },
  ];
  const use = section.intendedUse;
  if (use) {
    const facts = [
      use.commercial ? 'commercial' : 'non-commercial',
      use.distribution,
      use.monthlyActiveUsers !== undefined && `${use.monthlyActiveUsers.toLocaleString('en-US')} MAU`,
      use.annualRevenueUSD !== undefined && `US$${use.annualRevenueUSD.toLocaleString('en-US')} revenue`,
      use.regions.length > 0 && `regions ${use.regions.join(', ')}`,
      use.useCases.length > 0 && `use cases ${use.useCases.join(', ')}`,
      use.usesOutputsToTrainModels && 'outputs train other models',
      use.modality,
    ].filter(Boolean);
    result.push({
      heading: `Intended use: ${facts.join(', ')} — ${section.overall}`,
      items: section.decisions.flatMap((decision) => {
        const models = decision.models.map((model) => (model === TARGET ? 'this model' : model)).join(', ');
        const head = { level: 0, text: `${decision.decision}: ${decision.licence.id} (${models})` };
        const reasons = decision.decision === 'allowed-with-obligations' ? [] : decision.reasons;
        return [head, ...reasons.map((reason) => ({ level: 1, text: `${reason.text} [${reason.clause}]` }))];
      }),
    });
  } else {
    result.push({
      heading: 'Intended use: not set (add intendedUse to the policy to get a decision)',
      items: [],
    });
  }
  result.push({
    heading: use ? 'Obligations (paste into release notes)' : 'Terms that apply depending on use',
    items: flat(
      section.obligations.length > 0
        ? section.obligations.map((item) => `${item.licence} [${item.clause}]: ${item.text}`)
        : ['none'],
    ),
  });
  result.push({ heading: section.disclaimer, items: [] });
  return result;
}

export const complianceSectionRenderer: SectionRenderer = {
  title: 'Compliance',
  id: 'compliance',
  present: (report: Report) => report.compliance !== undefined,
  text: (report) =>
    blocks(report.compliance!).flatMap((block) => [
      block.heading,
      ...block.items.map((item) => `${'  '.repeat(item.level + 1)}${item.level > 0 ? '└ ' : '- '}${item.text}`),
    ]),
  markdown: (report) =>
    blocks(report.compliance!).flatMap((block) => [
      `**${escapeMarkdown(block.heading)}**`,
      '',
      ...block.items.map((item) => `${'  '.repeat(item.level)}- ${escapeMarkdown(item.text)}`),
      ...(block.items.length > 0 ? [''] : []),
    ]),
  html: (report) =>
    blocks(report.compliance!)
      .map(
        (block) =>
          `<h3>${escapeHtml(block.heading)}</h3>${
            block.items.length > 0
              ? `<ul class="compliance">${block.items
                  .map((item) => `<li style="margin-left:${item.level * 1.5}em">${escapeHtml(item.text)}</li>`)
                  .join('')}</ul>`
              : ''
          }`,
      )
      .join(''),
};
