import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Report } from '../../src/core/report.js';
import { type LlmServer, startLlmServer } from '../fixtures/llm-server.js';
import { logisticRegressionOnnx } from '../fixtures/onnx-builder.js';
import { PROJECT_ROOT, runAssay, tempFolder } from '../helpers.js';

const EXAMPLE = join(PROJECT_ROOT, 'examples', 'eval-tabular');
const metric = (report: Report, name: string) => report.evaluation?.metrics.find((entry) => entry.name === name);

describe('assay eval, short form (--model --data --label)', () => {
  it('evaluates the example classifier and reports accuracy, precision, recall, F1 and ROC AUC as JSON', async () => {
    const home = await tempFolder({});
    const { code, stdout } = await runAssay(
      [
        'eval',
        '--model',
        join(EXAMPLE, 'model.onnx'),
        '--data',
        join(EXAMPLE, 'data.csv'),
        '--label',
        'label',
        '--format',
        'json',
      ],
      { ASSAY_HOME: home },
    );
    const report = JSON.parse(stdout) as Report;
    expect(code).toBe(0);
    for (const name of ['accuracy', 'precision', 'recall', 'f1', 'roc_auc']) {
      expect(metric(report, name)?.value).toBeGreaterThan(0.5);
      expect(metric(report, name)?.interval).toBeDefined();
    }
    expect(report.evaluation?.cases.total).toBe(200);
    expect(report.evaluation?.runner).toMatchObject({
      kind: 'onnx',
      runtime: expect.stringMatching(/onnxruntime-node/),
    });
    expect(report.evaluation?.datasets[0]).toMatchObject({
      rows: 200,
      sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    expect(report.files.map((file) => file.path)).toEqual(['model.onnx']);
  });

  it('fails the gate (exit 1) when a metric misses its --min', async () => {
    const { code, stdout } = await runAssay([
      'eval',
      '--model',
      join(EXAMPLE, 'model.onnx'),
      '--data',
      join(EXAMPLE, 'data.csv'),
      '--label',
      'label',
      '--min',
      'accuracy=0.99',
      '--no-probes',
      '--format',
      'json',
    ]);
    const report = JSON.parse(stdout) as Report;
    expect(code).toBe(1);
    const finding = report.findings.find((entry) => entry.ruleId === 'performance/metric-threshold');
    expect(finding?.message).toMatch(/^accuracy is 0\.\d+ on all cases, outside the minimum 0\.99$/);
    expect(report.evaluation?.edgeCases).toEqual([]);
  });

  it('flags a degraded model against the first run as baseline, and passes the original model against it', async () => {
    const folder = await tempFolder({ 'degraded.onnx': logisticRegressionOnnx([0.3, -0.2, 1.5], 1) });
    const baseline = join(folder, 'baseline.json');
    const common = ['--data', join(EXAMPLE, 'data.csv'), '--label', 'label', '--no-probes', '--format', 'json'];
    expect(
      (await runAssay(['eval', '--model', join(EXAMPLE, 'model.onnx'), ...common, '--output', baseline])).code,
    ).toBe(0);

    const degraded = await runAssay([
      'eval',
      '--model',
      join(folder, 'degraded.onnx'),
      ...common,
      '--baseline',
      baseline,
    ]);
    const report = JSON.parse(degraded.stdout) as Report;
    expect(degraded.code).toBe(1);
    const regressions = report.findings.filter((entry) => entry.ruleId === 'performance/metric-regression');
    expect(regressions.map((entry) => entry.evidence?.metric)).toContain('accuracy');
    expect(metric(report, 'accuracy')?.baseline?.value).toBe(
      metric(JSON.parse(await readFile(baseline, 'utf8')) as Report, 'accuracy')?.value,
    );
    expect(report.evaluation?.baseline?.source).toBe(baseline);

    const same = await runAssay(['eval', '--model', join(EXAMPLE, 'model.onnx'), ...common, '--baseline', baseline]);
    expect(same.code).toBe(0);
    expect((JSON.parse(same.stdout) as Report).findings.filter((entry) => entry.pillar === 'performance')).toEqual([]);
  }, 240_000);

  it('records a run in the store and uses its audit id as the baseline', async () => {
    const home = await tempFolder({});
    const args = [
      'eval',
      '--model',
      join(EXAMPLE, 'model.onnx'),
      '--data',
      join(EXAMPLE, 'data.csv'),
      '--label',
      'label',
    ];
    const first = await runAssay([...args, '--no-probes', '--record', '--quiet'], { ASSAY_HOME: home });
    expect(first.code).toBe(0);
    const listed = await runAssay([...args, '--no-probes', '--record', '--format', 'json'], { ASSAY_HOME: home });
    const id = /recorded as audit (\S+)/.exec(listed.stderr)?.[1];
    expect(id).toBeDefined();
    const second = await runAssay([...args, '--no-probes', '--baseline', id as string, '--format', 'json'], {
      ASSAY_HOME: home,
    });
    const report = JSON.parse(second.stdout) as Report;
    expect(second.code).toBe(0);
    expect(report.evaluation?.baseline?.source).toBe(id);
    expect(metric(report, 'accuracy')?.baseline?.value).toBe(metric(report, 'accuracy')?.value);
  }, 240_000);

  it('names the missing column and exits 2', async () => {
    const { code, stderr } = await runAssay([
      'eval',
      '--model',
      join(EXAMPLE, 'model.onnx'),
      '--data',
      join(EXAMPLE, 'data.csv'),
      '--label',
      'outcome',
    ]);
    expect(code).toBe(2);
    expect(stderr).toContain('no column named "outcome"');
  });
});

describe('assay eval --suite against an OpenAI-compatible server on 127.0.0.1', () => {
  let server: LlmServer;
  beforeAll(async () => {
    server = await startLlmServer();
  });
  afterAll(() => server.close());

  it('runs a text-classification suite: metrics, a failed case with its input, edge cases, robustness', async () => {
    const rows = [
      { text: 'a great film', sentiment: 'POSITIVE', genre: 'drama' },
      { text: 'a dull film', sentiment: 'NEGATIVE', genre: 'drama' },
      { text: 'good acting throughout', sentiment: 'POSITIVE', genre: 'comedy' },
      { text: 'flaky', sentiment: 'NEGATIVE', genre: 'comedy' },
      { text: 'garbage', sentiment: 'NEGATIVE', genre: 'comedy' },
      { text: 'great fun', sentiment: 'NEGATIVE', genre: 'comedy' },
    ];
    const folder = await tempFolder({
      'reviews.jsonl': rows.map((row) => JSON.stringify(row)).join('\n'),
      'suite.yaml': [
        'name: sentiment',
        'model:',
        '  kind: openai-chat',
        `  url: ${server.url}/v1`,
        '  model: tiny',
        '  settings: { retries: 2, backoffMs: 10, timeoutMs: 10000 }',
        'dataset: { path: reviews.jsonl }',
        'input: { kind: chat, column: text, system: "Answer POSITIVE or NEGATIVE." }',
        'expected: { column: sentiment }',
        'task: classification',
        'metrics: { accuracy: { min: 0.9 } }',
        'slices: [genre]',
        'probes: { longLength: 5000, robustnessSample: 10 }',
      ].join('\n'),
    });
    const { code, stdout } = await runAssay(['eval', '--suite', join(folder, 'suite.yaml'), '--format', 'json'], {
      ASSAY_HOME: folder,
    });
    const report = JSON.parse(stdout) as Report;
    const evaluation = report.evaluation;
    expect(code).toBe(1);
    expect(evaluation?.runner).toMatchObject({ kind: 'openai-chat', endpoint: `${server.url}/v1` });
    expect(report.target).toEqual({ kind: 'endpoint', path: `${server.url}/v1` });
    expect(report.files).toEqual([]);
    expect(evaluation?.cases).toMatchObject({ total: 6, succeeded: 5, failed: 1 });
    // Of the five answered, "great fun" is labelled NEGATIVE but answered POSITIVE: 4/5.
    expect(metric(report, 'accuracy')?.value).toBeCloseTo(4 / 5, 12);
    expect(evaluation?.tokens?.completion).toBeGreaterThanOrEqual(5);
    const garbage = evaluation?.failures.find((failure) => failure.id === 'row-5');
    expect(garbage).toMatchObject({ kind: 'malformed', input: { kind: 'chat' } });
    expect(evaluation?.slices.map((slice) => `${slice.value}:${slice.cases}`)).toEqual(['comedy:3', 'drama:2']);
    expect(evaluation?.edgeCases.map((group) => group.name)).toEqual([
      'empty',
      'whitespace-only',
      'very-long',
      'unicode-emoji',
      'unicode-rtl',
      'unicode-combining',
      'control-characters',
    ]);
    // Typos can break "great" / "good"; casing cannot (the server matches case-insensitively).
    expect(evaluation?.robustness.find((group) => group.name === 'casing')?.changed).toBe(0);
    expect(report.findings.map((finding) => finding.ruleId)).toEqual(
      expect.arrayContaining(['performance/metric-threshold', 'performance/cases-failed']),
    );
  });

  it('refuses a Transformers.js model folder that is not on disk instead of downloading it', async () => {
    const folder = await tempFolder({
      'data.csv': 'text,label\nhello,POSITIVE\n',
      'suite.yaml':
        'name: t\nmodel: { kind: transformers, path: Xenova/distilbert-base-uncased }\ndataset: { path: data.csv }\ninput: { kind: text, column: text }\nexpected: { column: label }\ntask: classification\n',
    });
    const { code, stderr } = await runAssay(['eval', '--suite', join(folder, 'suite.yaml')]);
    expect(code).toBe(2);
    expect(stderr).toContain(
      'is not a local Transformers.js model folder: config.json is missing (remote models are never downloaded)',
    );
  });
});

describe('example suites', () => {
  it('validate against the suite schema', async () => {
    const { parse } = await import('yaml');
    const { Suite } = await import('../../src/suites/schema.js');
    for (const file of ['suite.yaml', 'chat-endpoint.yaml']) {
      const text = await readFile(join(PROJECT_ROOT, 'examples', 'eval-suite', file), 'utf8');
      expect(Suite.safeParse(parse(text)).success).toBe(true);
    }
  });
});
