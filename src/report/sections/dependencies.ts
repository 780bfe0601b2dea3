import type { Report } from '../../core/report.js';
import type { Dependency, DependencyAdvisory } from '../../core/sections/dependencies.js';
import { escapeHtml } from '../html.js';
import { escapeMarkdown } from '../markdown.js';
import type { SectionRenderer } from '../sections.js';

function requirement(dependency: Dependency): string {
  if (dependency.version) return `==${dependency.version}`;
  if (dependency.url) return `@ ${dependency.url}`;
  return dependency.specifier === '' ? 'any version (unpinned)' : `${dependency.specifier} (unpinned)`;
}

function where(dependency: Dependency): string {
  const file = dependency.member === undefined ? dependency.file : `${dependency.file}!${dependency.member}`;
  return `${file}${dependency.line === undefined ? '' : `:${dependency.line}`} (${dependency.foundBy})`;
}

function advisory(entry: DependencyAdvisory): string {
  const names =
    entry.aliases.length > 0 ? `${entry.ids.join(', ')} (${entry.aliases.join(', ')})` : entry.ids.join(', ');
  return `${names} affects ${entry.affected.join(' or ')}`;
}

function scope(dependency: Dependency): string {
  return dependency.scope === 'runtime' ? '' : ` [${dependency.scope}]`;
}

function databaseLine(report: Report): string {
  const database = report.dependencies?.advisoryDatabase;
  if (!database)
    return 'No advisory database configured (assay db update, ASSAY_OSV_DB or --online): advisories not checked.';
  const newest = database.newestModified ? `, newest modified ${database.newestModified}` : '';
  return `Advisories from ${database.origin} (${database.records} records${newest}).`;
}

/** Dependencies with advisories first, then by ecosystem and name. */
function sorted(report: Report): Dependency[] {
  return [...(report.dependencies?.dependencies ?? [])].sort(
    (a, b) =>
      Number(b.advisories.length > 0) - Number(a.advisories.length > 0) ||
      a.ecosystem.localeCompare(b.ecosystem) ||
      a.name.localeCompare(b.name) ||
      a.file.localeCompare(b.file),
  );
}

export const dependenciesSectionRenderer: SectionRenderer = {
  title: 'Dependencies',
  id: 'dependencies',
  present: (report) => (report.dependencies?.dependencies.length ?? 0) > 0,
  text: (report) => [
    databaseLine(report),
    ...sorted(report).flatMap((dependency) => [
      `${dependency.ecosystem} ${dependency.name} ${requirement(dependency)}${scope(dependency)} — ${where(dependency)}`,
      ...dependency.advisories.map((entry) => `    ${advisory(entry)}`),
    ]),
  ],
  markdown: (report) => [
    escapeMarkdown(databaseLine(report)),
    '',
    '| Ecosystem | Package | Requirement | Found in | Advisories |',
    '|---|---|---|---|---|',
    ...sorted(report).map(
      (dependency) =>
        `| ${dependency.ecosystem} | ${escapeMarkdown(dependency.name)}${escapeMarkdown(scope(dependency))} | ${escapeMarkdown(requirement(dependency))} | ${escapeMarkdown(where(dependency))} | ${dependency.advisories.map((entry) => escapeMarkdown(advisory(entry))).join('<br>') || 'none known'} |`,
    ),
  ],
  html: (report) =>
    `<p>${escapeHtml(databaseLine(report))}</p><table class="dependencies"><thead><tr><th>Ecosystem</th><th>Package</th><th>Requirement</th><th>Found in</th><th>Advisories</th></tr></thead><tbody>${sorted(
      report,
    )
      .map(
        (dependency) =>
          `<tr><td>${escapeHtml(dependency.ecosystem)}</td><td>${escapeHtml(dependency.name + scope(dependency))}</td><td>${escapeHtml(requirement(dependency))}</td><td>${escapeHtml(where(dependency))}</td><td>${
            dependency.advisories.map((entry) => escapeHtml(advisory(entry))).join('<br>') || 'none known'
          }</td></tr>`,
      )
      .join('')}</tbody></table>`,
};
