import type { Report } from '../core/report.js';
import type { RuleMeta } from '../core/rule.js';
import { renderCycloneDx } from './cyclonedx.js';
import { renderHtml } from './html.js';
import { renderJson } from './json.js';
import { renderJunit } from './junit.js';
import { renderMarkdown } from './markdown.js';
import { renderSarif } from './sarif.js';
import { renderSpdx } from './spdx.js';
import { renderText } from './text.js';

export { escapeHtml, renderHtml } from './html.js';
export { renderJson } from './json.js';
export { escapeMarkdown, renderMarkdown } from './markdown.js';
export { findingFingerprint, renderSarif } from './sarif.js';
export { compareFindings, renderText, summaryLine } from './text.js';

export const OUTPUT_FORMATS = ['text', 'json', 'sarif', 'html', 'md', 'junit', 'cyclonedx', 'spdx'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

/** The usual file extension for each format, for callers that name output files. */
export const OUTPUT_EXTENSIONS: Readonly<Record<OutputFormat, string>> = {
  text: '.txt',
  json: '.json',
  sarif: '.sarif',
  html: '.html',
  md: '.md',
  junit: '.junit.xml',
  cyclonedx: '.cdx.json',
  spdx: '.spdx.json',
};

export interface RenderOptions {
  /** ANSI colour in the text format; ignored by the others. Off by default. */
  color?: boolean;
}

export function isOutputFormat(value: string): value is OutputFormat {
  return (OUTPUT_FORMATS as readonly string[]).includes(value);
}

/** Renders the report in one format. Pure: same report and rules, same string. */
export function render(format: OutputFormat, report: Report, rules: RuleMeta[], options: RenderOptions = {}): string {
  switch (format) {
    case 'text':
      return renderText(report, rules, { color: options.color === true });
    case 'json':
      return renderJson(report, rules);
    case 'sarif':
      return renderSarif(report, rules);
    case 'html':
      return renderHtml(report, rules);
    case 'md':
      return renderMarkdown(report, rules);
    case 'junit':
      return renderJunit(report, rules);
    case 'cyclonedx':
      return renderCycloneDx(report, rules);
    case 'spdx':
      return renderSpdx(report, rules);
    default: {
      const unknown: never = format;
      throw new Error(`unknown output format ${String(unknown)}`);
    }
  }
}
