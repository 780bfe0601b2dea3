import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { builtInRuleMetas } from '../../src/assay.js';
import { renderJunit } from '../../src/report/junit.js';
import { auditPath, PROJECT_ROOT } from '../helpers.js';
import { buildReport, finding, hostileReport, SAMPLE_FILES, SAMPLE_RULES, sampleReport } from './sample-report.js';

function attribute(xml: string, element: string, name: string): number {
  const match = new RegExp(`<${element} [^>]*\\b${name}="(\\d+)"`).exec(xml);
  return Number(match?.[1]);
}

describe('JUnit XML', () => {
  it('fails a testcase per finding that fails the gate, skips suppressed ones, passes the rest', () => {
    const report = sampleReport();
    const xml = renderJunit(report, SAMPLE_RULES);
    const failing = report.findings.filter(
      (finding) => !finding.suppressed && (finding.severity === 'critical' || finding.severity === 'high'),
    );
    expect(attribute(xml, 'testsuites', 'failures')).toBe(failing.length);
    expect(attribute(xml, 'testsuites', 'skipped')).toBe(report.summary.suppressed);
    expect(attribute(xml, 'testsuites', 'tests')).toBe(report.findings.length);
    expect(xml.match(/<failure /g)).toHaveLength(failing.length);
  });

  it('lists the rules that ran clean as passing testcases, so a clean audit shows what was checked', async () => {
    const report = await auditPath(join(PROJECT_ROOT, 'examples', 'benign-model'));
    const xml = renderJunit(report, builtInRuleMetas());
    expect(attribute(xml, 'testsuites', 'failures')).toBe(0);
    expect(xml).toContain('<testcase classname="security/pickle-dangerous-global" name="no findings"/>');
  });

  it('escapes names and messages from audited files, and shows control characters instead of writing them', () => {
    const xml = renderJunit(hostileReport(), SAMPLE_RULES);
    expect(xml).not.toContain('<script');
    expect(xml).toContain('suppressed: &lt;b&gt;accepted&lt;/b&gt;');
    // Every element that opens is closed: the document stays well formed.
    const opened = xml.match(/<(testsuites|testsuite|testcase|failure|system-out)[ >]/g)?.length ?? 0;
    const selfClosed = xml.match(/<testcase [^>]*\/>/g)?.length ?? 0;
    const closed = xml.match(/<\/(testsuites|testsuite|testcase|failure|system-out)>/g)?.length ?? 0;
    expect(closed + selfClosed).toBe(opened);

    const controls = buildReport({
      files: SAMPLE_FILES,
      findings: [
        finding('security/pickle-dangerous-global', { message: 'red \u001b[31m and NUL \u0000', file: 'a.pkl' }),
      ],
    });
    const text = renderJunit(controls, SAMPLE_RULES);
    expect(text).toContain('red \\x1b[31m and NUL \\x00');
    expect(text.includes('\u001b') || text.includes('\u0000')).toBe(false);
  });
});
