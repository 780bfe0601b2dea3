/** Chat templates: parsed into an AST, walked, never rendered. Popular templates are clean; SSTI gadgets are critical. */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Report } from '../../src/core/report.js';
import { auditFiles, auditPath, SHARED_DATA, serious } from '../helpers.js';

const RULE = 'security/chat-template-injection';
const POPULAR = join(import.meta.dirname, '..', 'fixtures', 'chat-templates');

const summary = (report: Report) =>
  report.findings.map((finding) => `${finding.severity} ${finding.ruleId}: ${finding.message}`).join('\n');
const tokenizerConfig = (chat_template: unknown) =>
  JSON.stringify({ tokenizer_class: 'LlamaTokenizer', chat_template });

async function expectCritical(template: string, name = 'tokenizer_config.json') {
  const files = { [name]: name.endsWith('.json') ? tokenizerConfig(template) : template };
  const report = await auditFiles(files);
  const found = report.findings.filter((finding) => finding.ruleId === RULE);
  expect(
    found.map((finding) => finding.severity),
    summary(report),
  ).toEqual(['critical']);
  expect(report.gate.exitCode).toBe(1);
  return found[0];
}

async function expectClean(template: string) {
  const report = await auditFiles({ 'tokenizer_config.json': tokenizerConfig(template) });
  expect(report.findings, summary(report)).toEqual([]);
  expect(report.gate.exitCode).toBe(0);
}

describe('the chat templates of popular model families scan clean', () => {
  const files = readdirSync(POPULAR).filter((name) => name !== 'SOURCES.md');

  it('has at least ten families', () => {
    expect(files.length).toBeGreaterThanOrEqual(10);
  });

  for (const name of files) {
    it(name, async () => {
      const text = readFileSync(join(POPULAR, name), 'utf8');
      const report = await auditFiles({ [name]: text });
      expect(report.findings, summary(report)).toEqual([]);
      expect(report.gate.exitCode).toBe(0);
    });
  }

  it('all of them together, inside tokenizer_config.json as the named-template list', async () => {
    const templates = files
      .filter((name) => name.endsWith('.jinja'))
      .map((name) => ({ name, template: readFileSync(join(POPULAR, name), 'utf8') }));
    await expectClean(templates as unknown as string);
  });
});

describe('ordinary template constructs are not gadgets', () => {
  it.each([
    ['namespace and set', '{% set ns = namespace(found=false) %}{% set ns.found = true %}{{ ns.found }}'],
    ['raise_exception', "{% if messages|length == 0 %}{{ raise_exception('no messages') }}{% endif %}"],
    ['strftime_now', "{{ strftime_now('%d %b %Y') }}"],
    ['items and tojson', '{% for k, v in tools[0].items() %}{{ k }}={{ v|tojson }}{% endfor %}'],
    [
      'startswith and string tests',
      "{% if message.content is string and message.content.startswith('<') %}x{% endif %}",
    ],
    ['range loops', '{% for i in range(messages|length) %}{{ messages[i].content }}{% endfor %}'],
    ['selectattr', "{{ messages|selectattr('role', 'equalto', 'user')|list|length }}"],
    ['a field named class', '{% for m in messages %}{% if m.class == "x" %}{{ m.content }}{% endif %}{% endfor %}'],
    ['string building that names nothing dangerous', "{{ messages[0]['con' ~ 'tent'] }}"],
    ['an empty template', ''],
  ])('%s', async (_, template) => {
    await expectClean(template);
  });
});

describe('gadgets are critical', () => {
  it.each([
    ['dunder traversal', "{{ ''.__class__.__mro__[1].__subclasses__() }}"],
    ['Jinja global entry point', "{{ cycler.__init__.__globals__.os.popen('id').read() }}"],
    ['joiner and lipsum', "{{ joiner.__init__.__globals__ }}{{ lipsum.__globals__['os'] }}"],
    ['framework object', '{{ self._TemplateReference__context.cycler.__init__.__globals__.os }}'],
    ['config', '{{ config.items() }}'],
    ['os as a global', "{{ os.popen('id').read() }}"],
    ['eval', "{{ eval('1+1') }}"],
    ['an alias through set', "{% set g = cycler.__init__.__globals__ %}{{ g.os.popen('id') }}"],
    ['a loop over subclasses', '{% for c in [].__class__.__base__.__subclasses__() %}{{ c.__name__ }}{% endfor %}'],
    ['empty tuple root', '{{ ().__class__.__base__ }}'],
  ])('%s', async (_, template) => {
    await expectCritical(template);
  });
});

describe('names built to evade keyword filters are folded and caught', () => {
  it.each([
    ['concatenation with ~', "{{ ''|attr('__cla' ~ 'ss__') }}"],
    ['concatenation with +', "{{ ''['__cl' + 'ass__'] }}"],
    ['|join of a list', "{{ ''|attr(['__', 'class', '__']|join) }}"],
    ["'_'.join", "{{ ''|attr('_'.join(['', '', 'class', '', ''])) }}"],
    ['adjacent literals', "{{ ''|attr('__cla' 'ss__') }}"],
    ['|format', "{{ ''|attr('%sclass%s'|format('__', '__')) }}"],
    ['.format', "{{ ''|attr('{}class{}'.format('__', '__')) }}"],
    ['|reverse', "{{ ''|attr('__ssalc__'|reverse) }}"],
    ['slice reversal', "{{ ''|attr('__ssalc__'[::-1]) }}"],
    ['\\x5f escapes', "{{ ''|attr('\\x5f\\x5fclass\\x5f\\x5f') }}"],
    ['repetition', "{{ ''|attr('_' * 2 ~ 'class' ~ '_' * 2) }}"],
    ['a variable', "{% set a = '__cla' %}{% set b = a ~ 'ss__' %}{{ ''|attr(b) }}"],
    [
      'a namespace attribute',
      "{% set ns = namespace() %}{% set ns.n = '__globals__' %}{{ cycler.__init__|attr(ns.n) }}",
    ],
    ['dict keys joined', "{{ ''|attr(dict(__cla=1, ss__=2)|join) }}"],
    ['chr codes', "{{ ''|attr([chr(95), chr(95), 'class', chr(95), chr(95)]|join) }}"],
    ['__getattribute__', "{{ ''.__getattribute__('__cl' ~ 'ass__') }}"],
    ['getattr()', "{{ getattr('', '__class__') }}"],
    ["map('attr')", "{{ ['']|map('attr', '__class__')|list }}"],
    ['map(attribute=)', "{{ ['']|map(attribute='__class__')|list }}"],
  ])('%s', async (_, template) => {
    const finding = await expectCritical(template);
    expect(finding.message).toMatch(/__\w+__/);
  });

  it('says how the name was built', async () => {
    const finding = await expectCritical("{{ ''|attr('__cla' ~ 'ss__') }}");
    expect(JSON.stringify(finding.evidence)).toContain('concat');
  });

  it('an attribute name computed at render time is high (it cannot be checked)', async () => {
    const report = await auditFiles({ 'tokenizer_config.json': tokenizerConfig("{{ ''|attr(messages[0].content) }}") });
    expect(report.findings.map((finding) => [finding.ruleId, finding.severity])).toEqual([[RULE, 'high']]);
  });

  it('a private attribute is high', async () => {
    const report = await auditFiles({ 'tokenizer_config.json': tokenizerConfig('{{ messages._private }}') });
    expect(report.findings.map((finding) => [finding.ruleId, finding.severity])).toEqual([[RULE, 'high']]);
  });
});

describe('where templates are found', () => {
  const evil = "{{ cycler.__init__.__globals__.os.popen('id').read() }}";

  it('chat_template.jinja, with the line and column of the gadget', async () => {
    const finding = await expectCritical(
      `{% for m in messages %}{{ m.content }}{% endfor %}\n\n  ${evil}\n`,
      'chat_template.jinja',
    );
    expect(finding.location?.line).toBe(3);
    expect(finding.evidence?.paths).toEqual([expect.objectContaining({ line: 3, column: 6 })]);
    expect(finding.references.map((reference) => reference.id)).toContain('CVE-2024-34359');
  });

  it('the named-template list of tokenizer_config.json', async () => {
    const report = await auditFiles({
      'tokenizer_config.json': tokenizerConfig([
        { name: 'default', template: '{{ messages[0].content }}' },
        { name: 'tool_use', template: evil },
      ]),
    });
    expect(serious(report).map((finding) => finding.evidence?.template)).toEqual(['chat_template[tool_use]']);
  });

  it('chat_template.json and YAML files', async () => {
    await expectCritical(evil, 'chat_template.json');
    const report = await auditFiles({ 'config.yaml': `chat_template: "${evil.replaceAll('"', '\\"')}"\n` });
    expect(serious(report).map((finding) => finding.ruleId)).toEqual([RULE]);
  });

  it('an unparsable template is reported as not analysed, never clean', async () => {
    const report = await auditFiles({ 'tokenizer_config.json': tokenizerConfig('{{ unclosed') });
    expect(report.findings.map((finding) => finding.ruleId)).toEqual(['security/not-analysed']);
    expect(report.gate.exitCode).toBe(2);
  });

  it('hostile nesting does not crash the walker', async () => {
    const deep = `{{ ${'('.repeat(5000)}1${')'.repeat(5000)} }}`;
    const report = await auditFiles({ 'chat_template.jinja': deep });
    expect(report.gate.exitCode).not.toBe(0);
  });
});

/** ModelAudit's chat-template samples, judged as their `peer_intent` says. */
describe('ModelAudit jinja2 corpus', () => {
  const folder = join(SHARED_DATA, 'peer-corpora', 'modelaudit');
  const present = existsSync(join(folder, 'labels.json'));
  describe.runIf(present || process.env.ASSAY_REQUIRE_SHARED_DATA)('samples/jinja2', () => {
    const labels = JSON.parse(readFileSync(join(folder, 'labels.json'), 'utf8')) as Record<
      string,
      { peer_intent?: string; note?: string }
    >;
    const samples = Object.entries(labels).filter(([path]) => path.startsWith('samples/jinja2/'));
    /** Our judgement where the peer's intent is unknown. */
    const EDGE_CASES: Record<string, number> = {
      'samples/jinja2/edge_cases/empty_template.json': 0,
      'samples/jinja2/edge_cases/no_template.json': 0,
      'samples/jinja2/edge_cases/oversized_template.json': 0, // analysed anyway: 60 KB is far below our limit
      'samples/jinja2/edge_cases/malformed_template.json': 2, // cannot be parsed, so cannot be called clean
    };

    it('has the chat-template samples', () => {
      expect(samples.length).toBeGreaterThanOrEqual(40);
    });

    for (const [path, entry] of samples) {
      const intent = entry.peer_intent ?? 'unknown';
      it(`${intent}: ${path}`, async () => {
        const report = await auditPath(join(folder, path));
        if (intent === 'malicious') {
          expect(
            serious(report).map((finding) => finding.ruleId),
            summary(report),
          ).toContain(RULE);
          expect(report.findings.some((finding) => finding.severity === 'critical')).toBe(true);
          expect(report.gate.exitCode, summary(report)).toBe(1);
        } else if (intent === 'benign') {
          expect(report.gate.exitCode, summary(report)).toBe(0);
        } else {
          expect(EDGE_CASES[path], `no judgement recorded for ${path}`).toBeDefined();
          expect(report.gate.exitCode, summary(report)).toBe(EDGE_CASES[path]);
        }
      });
    }
  });
});
