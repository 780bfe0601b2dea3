import type { Finding } from '../core/finding.js';
import type { Report } from '../core/report.js';
import type { RuleMeta } from '../core/rule.js';
import { atLeast } from '../core/severity.js';
import { compareStrings, describeLocation, sortFindings } from './text.js';

/*
 * JUnit XML, for CI systems that show test results but not SARIF (GitLab's `artifacts:reports:junit`, Jenkins).
 * One testsuite per pillar; one testcase per finding (classname = rule id, name = file), failing when the finding
 * fails the gate, skipped when the policy suppressed it, passing (with the message as output) otherwise; every rule
 * that ran without a finding is a passing testcase, so a clean audit shows what was checked.
 */
export function renderJunit(report: Report, rules: RuleMeta[]): string {
  const ran = new Set(report.security?.rulesRun ?? []);
  const metas = rules.filter((rule) => ran.has(rule.id));
  const suites = new Map<string, string[]>();
  const counts = new Map<string, { tests: number; failures: number; skipped: number }>();
  const add = (pillar: string, testcase: string, outcome: 'pass' | 'failure' | 'skipped') => {
    suites.set(pillar, [...(suites.get(pillar) ?? []), testcase]);
    const count = counts.get(pillar) ?? { tests: 0, failures: 0, skipped: 0 };
    count.tests++;
    if (outcome === 'failure') count.failures++;
    if (outcome === 'skipped') count.skipped++;
    counts.set(pillar, count);
  };

  for (const finding of sortFindings(report.findings)) {
    const outcome = finding.suppressed ? 'skipped' : atLeast(finding.severity, report.gate.failOn) ? 'failure' : 'pass';
    add(finding.pillar, testcase(finding, outcome), outcome);
  }
  const withFindings = new Set(report.findings.map((finding) => finding.ruleId));
  for (const rule of metas.filter((meta) => !withFindings.has(meta.id)))
    add(rule.pillar, `<testcase classname="${x(rule.id)}" name="no findings"/>`, 'pass');

  const total = { tests: 0, failures: 0, skipped: 0 };
  const body: string[] = [];
  for (const pillar of [...suites.keys()].sort(compareStrings)) {
    const count = counts.get(pillar) as { tests: number; failures: number; skipped: number };
    total.tests += count.tests;
    total.failures += count.failures;
    total.skipped += count.skipped;
    body.push(
      `  <testsuite name="assay.${x(pillar)}" tests="${count.tests}" failures="${count.failures}" errors="0" skipped="${count.skipped}">`,
      ...(suites.get(pillar) ?? []).map((line) => `    ${line}`),
      '  </testsuite>',
    );
  }
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="assay ${x(report.target.path)}" tests="${total.tests}" failures="${total.failures}" errors="0" skipped="${total.skipped}">`,
    ...body,
    '</testsuites>',
    '',
  ].join('\n');
}

function testcase(finding: Finding, outcome: 'pass' | 'failure' | 'skipped'): string {
  const open = `<testcase classname="${x(finding.ruleId)}" name="${x(finding.file ?? '(target)')}">`;
  const where = describeLocation(finding.location);
  const detail = `${finding.severity}: ${finding.message}${where ? ` (${where})` : ''}\nfix: ${finding.remediation}`;
  if (outcome === 'failure')
    return `${open}<failure type="${x(finding.severity)}" message="${x(finding.message)}">${x(detail)}</failure></testcase>`;
  if (outcome === 'skipped')
    return `${open}<skipped message="${x(`suppressed: ${finding.suppressed?.reason ?? ''}`)}"/></testcase>`;
  return `${open}<system-out>${x(detail)}</system-out></testcase>`;
}

// XML 1.0 cannot carry most C0 controls even escaped; they come from audited files, so they are shown as \xNN.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point.
const NOT_XML = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g;

function x(text: string): string {
  return text
    .replace(NOT_XML, (char) => `\\x${char.charCodeAt(0).toString(16).padStart(2, '0')}`)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');
}
