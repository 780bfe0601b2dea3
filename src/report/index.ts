import type { Report } from '../core/report.js';
import type { RuleMeta } from '../core/rule.js';
import { renderCycloneDx } from './cyclonedx.js';
import type { OutputFormat } from './formats.js';
import { renderHtml } from './html.js';
import { renderJson } from './json.js';
import { renderJunit } from './junit.js';
import { renderMarkdown } from './markdown.js';
import { renderSarif } from './sarif.js';
import { renderSpdx } from './spdx.js';
import { renderText } from './text.js';

export { isOutputFormat, OUTPUT_EXTENSIONS, OUTPUT_FORMATS, type OutputFormat } from './formats.js';
export { escapeHtml, renderHtml } from './html.js';
export { renderJson } from './json.js';
export { escapeMarkdown, renderMarkdown } from './markdown.js';
export { findingFingerprint, renderSarif } from './sarif.js';
export { compareFindings, renderText, summaryLine } from './text.js';

export interface RenderOptions {
  /** ANSI colour in the text format; ignored by the others. Off by default. */
  color?: boolean;
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
