import { describe, expect, it } from 'vitest';
import { Report } from '../../src/core/report.js';
import { isOutputFormat, OUTPUT_EXTENSIONS, OUTPUT_FORMATS, render } from '../../src/report/index.js';
import { renderJson } from '../../src/report/json.js';
import { cleanReport, hostileReport, SAMPLE_RULES, sampleReport } from './sample-report.js';

describe('render', () => {
  it('offers the eight formats', () => {
    expect(OUTPUT_FORMATS).toEqual(['text', 'json', 'sarif', 'html', 'md', 'junit', 'cyclonedx', 'spdx']);
    expect(Object.keys(OUTPUT_EXTENSIONS).sort()).toEqual([...OUTPUT_FORMATS].sort());
    expect(isOutputFormat('sarif')).toBe(true);
    expect(isOutputFormat('pdf')).toBe(false);
  });

  it('renders sample reports that are valid against the report schema', () => {
    for (const report of [sampleReport(), cleanReport(), hostileReport()]) {
      expect(() => Report.parse(report)).not.toThrow();
      for (const format of OUTPUT_FORMATS) {
        const out = render(format, report, SAMPLE_RULES);
        expect(out.length).toBeGreaterThan(0);
        expect(out.endsWith('\n')).toBe(true);
      }
    }
  });

  it('is deterministic: the same report gives the same bytes in every format', () => {
    for (const format of OUTPUT_FORMATS) {
      const first = render(format, sampleReport(), SAMPLE_RULES, { color: true });
      const again = render(format, structuredClone(sampleReport()), structuredClone(SAMPLE_RULES), { color: true });
      expect(again, format).toBe(first);
    }
  });

  it('only the text format knows about colour', () => {
    for (const format of OUTPUT_FORMATS) {
      const coloured = render(format, sampleReport(), SAMPLE_RULES, { color: true });
      if (format === 'text') expect(coloured).toContain('\u001b[');
      else expect(coloured, format).toBe(render(format, sampleReport(), SAMPLE_RULES));
    }
  });
});

describe('JSON renderer', () => {
  it('is the report itself, pretty-printed, keys in the report order', () => {
    const report = sampleReport();
    const out = renderJson(report, SAMPLE_RULES);
    expect(out).toBe(`${JSON.stringify(report, null, 2)}\n`);
    expect(JSON.parse(out)).toEqual(report);
    expect(Object.keys(JSON.parse(out))).toEqual(Object.keys(report));
    expect(Report.parse(JSON.parse(out))).toEqual(report);
  });
});
