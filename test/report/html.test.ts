import { describe, expect, it } from 'vitest';
import type { Report } from '../../src/core/report.js';
import { escapeHtml, renderHtml } from '../../src/report/html.js';
import { cleanReport, HOSTILE_NAME, hostileReport, SAMPLE_FILES, SAMPLE_RULES, sampleReport } from './sample-report.js';

/** The elements the page is allowed to contain: anything else came from the report and escaped escaping. */
const ALLOWED_TAGS = new Set([
  'html',
  'head',
  'meta',
  'title',
  'style',
  'body',
  'header',
  'main',
  'section',
  'footer',
  'div',
  'span',
  'p',
  'b',
  'h2',
  'h3',
  'ul',
  'li',
  'table',
  'thead',
  'tbody',
  'tr',
  'th',
  'td',
  'code',
  'pre',
  'details',
  'summary',
  'a',
]);

interface Tag {
  name: string;
  attributes: Map<string, string>;
}

/** Every start tag, with its attributes. The renderer quotes all attribute values with double quotes. */
function tags(html: string): Tag[] {
  const found: Tag[] = [];
  for (const match of html.matchAll(/<([a-zA-Z][\w-]*)((?:\s+[\w-]+(?:="[^"]*")?)*)\s*\/?>/g)) {
    const attributes = new Map<string, string>();
    for (const attribute of match[2].matchAll(/([\w-]+)(?:="([^"]*)")?/g))
      attributes.set(attribute[1].toLowerCase(), attribute[2] ?? '');
    found.push({ name: match[1].toLowerCase(), attributes });
  }
  return found;
}

describe('HTML renderer', () => {
  it('is one self-contained page with a verdict banner, summary counts, findings and files', () => {
    const html = renderHtml(sampleReport(), SAMPLE_RULES);
    expect(html.startsWith('<!doctype html>\n<html lang="en">')).toBe(true);
    expect(html.trimEnd().endsWith('</html>')).toBe(true);
    expect(html).toContain('<section class="banner fail" id="verdict">');
    expect(html).toContain('<div class="verdict">FAIL</div>');
    expect(html).toContain('<li>2 finding(s) at or above high</li>');
    expect(html).toContain('<div class="card critical"><div class="n">1</div><div class="k">critical</div></div>');
    expect(html).toContain('<div class="card low zero"><div class="n">0</div><div class="k">low</div></div>');
    expect(html).toContain('<span class="badge critical">critical</span>');
    for (const file of SAMPLE_FILES) {
      expect(html).toContain(`<td class="mono hash">${file.sha256}</td>`);
      expect(html).toContain(`<td>${file.format}</td>`);
    }
    expect(html).toContain('<td class="mono">legacy/optimizer state #2.pkl</td>');
  });

  it('groups findings by file and shows evidence as pretty JSON in <details>', () => {
    const html = renderHtml(sampleReport(), SAMPLE_RULES);
    const general = html.indexOf('<span>General</span>');
    const legacy = html.indexOf('<span class="mono">legacy/optimizer state #2.pkl</span>');
    const pytorch = html.indexOf('<span class="mono">pytorch_model.bin</span>');
    expect(general).toBeGreaterThan(0);
    expect(legacy).toBeGreaterThan(general);
    expect(pytorch).toBeGreaterThan(legacy);
    expect(html).toContain(
      '<details><summary>Evidence</summary><pre>{\n  &quot;global&quot;: &quot;posix.system&quot;,',
    );
    expect(html).toContain('in archive/data.pkl at offset 439 (0x1b7)');
    expect(html).toContain('Suppressed by policy: Our own optimizer class, reviewed in SEC-142');
  });

  it('shows a pass', () => {
    const html = renderHtml(cleanReport(), SAMPLE_RULES);
    expect(html).toContain('<section class="banner pass" id="verdict">');
    expect(html).toContain('<div class="verdict">PASS</div>');
    expect(html).toContain('<div class="empty">No findings.</div>');
  });

  it('escapes every string from the report: no element or attribute comes from a file name, message or evidence', () => {
    const html = renderHtml(hostileReport(), SAMPLE_RULES);
    expect(html).not.toContain(HOSTILE_NAME);
    expect(html).toContain('&lt;script&gt;alert(&quot;name&quot;)&lt;/script&gt;.pkl');
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/<iframe/i);
    expect(html).not.toMatch(/<img/i);
    expect(html).toContain('&lt;/pre&gt;&lt;/details&gt;&lt;script src=\\&quot;https://evil.example/a.js\\&quot;&gt;');
    expect(html).toContain('&lt;b&gt;accepted&lt;/b&gt;');
    // Every `<` followed by a letter is a tag the parser above saw, so none slipped past the checks below.
    expect(html.match(/<[a-zA-Z]/g)?.length).toBe(tags(html).length);
    for (const tag of tags(html)) {
      expect(ALLOWED_TAGS, `unexpected <${tag.name}>`).toContain(tag.name);
      for (const name of tag.attributes.keys()) expect(name.startsWith('on'), `event handler ${name}`).toBe(false);
    }
  });

  it('fetches nothing: no src, and no href other than anchors within the page', () => {
    for (const report of [sampleReport(), hostileReport(), cleanReport()]) {
      const html = renderHtml(report, SAMPLE_RULES);
      const found = tags(html);
      const ids = new Set(found.flatMap((tag) => (tag.attributes.has('id') ? [tag.attributes.get('id')] : [])));
      for (const tag of found) {
        expect(tag.attributes.has('src'), `<${tag.name} src>`).toBe(false);
        if (tag.name === 'link' || tag.name === 'img' || tag.name === 'script')
          throw new Error(`<${tag.name}> in page`);
        const href = tag.attributes.get('href');
        if (href === undefined) continue;
        expect(href).toMatch(/^#[\w-]+$/);
        expect(ids).toContain(href.slice(1));
      }
      expect(html).not.toMatch(/url\(/i); // no CSS fetches either
      expect(html).toContain(
        `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">`,
      );
    }
  });

  it('makes control and bidi characters visible', () => {
    expect(escapeHtml('a\u202eb\u0000c<')).toBe('a\\u202eb\\x00c&lt;');
    expect(renderHtml(hostileReport(), SAMPLE_RULES)).not.toContain('\u202e');
  });

  it('is byte-identical for the same report, whatever the order of its findings, files and rules', () => {
    const report = sampleReport();
    const shuffled: Report = {
      ...report,
      findings: [...report.findings].reverse(),
      files: [...report.files].reverse(),
    };
    expect(renderHtml(shuffled, [...SAMPLE_RULES].reverse())).toBe(renderHtml(report, SAMPLE_RULES));
  });
});
