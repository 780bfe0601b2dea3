import type { Report } from '../core/report.js';
import { complianceSectionRenderer } from './sections/compliance.js';
import { dependenciesSectionRenderer } from './sections/dependencies.js';
import { driftSectionRenderer } from './sections/drift.js';
import { evaluationSectionRenderer } from './sections/evaluation.js';
import { fairnessSectionRenderer } from './sections/fairness.js';
import { modelSectionRenderer } from './sections/model.js';
import { privacySectionRenderer } from './sections/privacy.js';
import { responsesSectionRenderer } from './sections/responses.js';
import { safetySectionRenderer } from './sections/safety.js';

/**
 * How one pillar section of the report (dependencies, compliance, evaluation, ...) is shown to people. The text,
 * Markdown and HTML renderers print every section whose `present` is true, in this list's order, after the findings.
 * Machine formats (JSON, SARIF, CycloneDX) carry sections through their own schemas.
 */
export interface SectionRenderer {
  /** Heading, e.g. "Compliance". */
  title: string;
  /** Anchor id in HTML, e.g. "compliance". */
  id: string;
  present(report: Report): boolean;
  /** Plain lines, no colour (the text renderer indents and escapes nothing: callers pass through revealControls). */
  text(report: Report): string[];
  /** Markdown lines under a `##` heading the renderer writes. Escape with escapeMarkdown. */
  markdown(report: Report): string[];
  /** An HTML fragment inside `<section>`; escape every value with escapeHtml. */
  html(report: Report): string;
}

/** Registered in display order; each section module adds itself here. */
export const REPORT_SECTIONS: readonly SectionRenderer[] = [
  modelSectionRenderer,
  dependenciesSectionRenderer,
  complianceSectionRenderer,
  privacySectionRenderer,
  evaluationSectionRenderer,
  safetySectionRenderer,
  fairnessSectionRenderer,
  responsesSectionRenderer,
  driftSectionRenderer,
];
