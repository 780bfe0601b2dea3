import { appendFile, copyFile, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Report } from '../../src/core/report.js';
import { startLlmServer } from '../fixtures/llm-server.js';
import { logisticRegressionOnnx } from '../fixtures/onnx-builder.js';
import { PROJECT_ROOT, runAssay, tempFolder } from '../helpers.js';

const EXAMPLE = join(PROJECT_ROOT, 'examples', 'eval-tabular');

interface RerunJson {
  rerunOf: string;
  identical: boolean;
  metrics: { name: string; before: number | null; after: number | null; status: string }[];
}

/** A copy of the ONNX example in its own folder, evaluated once into report.json (and recorded in the store). */
async function evaluatedCopy(): Promise<{ folder: string; home: string; report: string; id: string }> {
  const folder = await tempFolder({});
  for (const file of ['model.onnx', 'data.csv']) await copyFile(join(EXAMPLE, file), join(folder, file));
  const home = join(folder, 'home');
  const report = join(folder, 'report.json');
  const run = await runAssay(
    [
      'eval',
      '--model',
      join(folder, 'model.onnx'),
      '--data',
      join(folder, 'data.csv'),
      '--label',
      'label',
      '--threshold',
      '0.4',
      '--record',
      '--format',
      'json',
      '--output',
      report,
    ],
    { ASSAY_HOME: home },
  );
  expect(run.code).toBe(0);
  const id = /recorded as audit (\S+)/.exec(run.stderr)?.[1];
  expect(id).toBeDefined();
  return { folder, home, report, id: id as string };
}

describe('assay rerun', () => {
  let example: Awaited<ReturnType<typeof evaluatedCopy>>;
  beforeAll(async () => {
    example = await evaluatedCopy();
  }, 120_000);

  it('repeats the recorded evaluation of the ONNX example and finds every metric identical (exit 0)', async () => {
    const again = join(example.folder, 'again.json');
    const { code, stdout } = await runAssay(['rerun', example.report, '--output', again], {
      ASSAY_HOME: example.home,
    });
    expect(code).toBe(0);
    expect(stdout).toContain(`assay rerun of ${example.report}`);
    expect(stdout).toMatch(/^accuracy\s+0\.\d+\s+0\.\d+\s+0\s+equal$/m);
    expect(stdout).toMatch(/^latency_p50_ms .*timing, not compared$/m);
    expect(stdout).toContain('identical: every metric equals the recorded run');

    // The rerun used what the report recorded, including the command line's --threshold 0.4 and the seed.
    const before = JSON.parse(await readFile(example.report, 'utf8')) as Report;
    const after = JSON.parse(await readFile(again, 'utf8')) as Report;
    expect(after.evaluation?.suite.asRun?.decisionThreshold).toBe(0.4);
    expect(after.evaluation?.bootstrap).toEqual(before.evaluation?.bootstrap);
    const accuracy = (report: Report) => report.evaluation?.metrics.find((metric) => metric.name === 'accuracy');
    expect(accuracy(after)).toEqual(accuracy(before));
  }, 120_000);

  it('reruns a stored audit by id, with a JSON diff', async () => {
    const { code, stdout } = await runAssay(['rerun', example.id, '--format', 'json'], { ASSAY_HOME: example.home });
    const diff = JSON.parse(stdout) as RerunJson;
    expect(code).toBe(0);
    expect(diff.rerunOf).toBe(example.id);
    expect(diff.identical).toBe(true);
    const accuracy = diff.metrics.find((metric) => metric.name === 'accuracy');
    expect(accuracy?.status).toBe('equal');
    expect(accuracy?.after).toBe(accuracy?.before);
  }, 120_000);

  it('exits 1 and marks the metric when the recorded value differs from the rerun', async () => {
    const report = JSON.parse(await readFile(example.report, 'utf8')) as Report;
    const accuracy = report.evaluation?.metrics.find((metric) => metric.name === 'accuracy');
    if (!accuracy?.value) throw new Error('the example report has no accuracy');
    const recorded = accuracy.value;
    accuracy.value = recorded + 0.05; // as if the model had scored better when the report was written
    const edited = join(example.folder, 'edited.json');
    await writeFile(edited, JSON.stringify(report));
    const { code, stdout } = await runAssay(['rerun', edited, '--format', 'json'], { ASSAY_HOME: example.home });
    const diff = JSON.parse(stdout) as RerunJson;
    expect(code).toBe(1);
    expect(diff.identical).toBe(false);
    expect(diff.metrics.filter((metric) => metric.status === 'changed')).toEqual([
      { name: 'accuracy', before: recorded + 0.05, after: recorded, status: 'changed' },
    ]);
  }, 120_000);

  it('refuses (exit 2) when the dataset changed since the report, naming the file', async () => {
    const copy = await evaluatedCopy();
    await appendFile(join(copy.folder, 'data.csv'), '0.1,0.2,0.3,1\n');
    const { code, stdout, stderr } = await runAssay(['rerun', copy.report], { ASSAY_HOME: copy.home });
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toMatch(
      new RegExp(`^assay rerun: the dataset ${join(copy.folder, 'data.csv')} changed since the recorded run \\(sha256`),
    );
  }, 120_000);

  it('refuses (exit 2) when the model changed since the report, naming the file', async () => {
    const copy = await evaluatedCopy();
    await writeFile(join(copy.folder, 'model.onnx'), logisticRegressionOnnx([1, -1, 1], 0));
    const { code, stderr } = await runAssay(['rerun', copy.report], { ASSAY_HOME: copy.home });
    expect(code).toBe(2);
    expect(stderr).toContain(`the model ${join(copy.folder, 'model.onnx')} changed since the recorded run`);
  }, 120_000);

  it('reruns a suite file with relative paths from another folder, and refuses once the suite changed', async () => {
    const folder = await tempFolder({
      'suite.yaml': [
        'name: credit',
        'model: { kind: onnx, path: model.onnx }',
        'dataset: { path: data.csv }',
        'input: { kind: tensor }',
        'expected: { column: label }',
        'task: classification',
        'metrics: { accuracy: { min: 0.7 } }',
        'probes: { robustness: false }',
      ].join('\n'),
    });
    for (const file of ['model.onnx', 'data.csv']) await copyFile(join(EXAMPLE, file), join(folder, file));
    const report = join(folder, 'report.json');
    const first = await runAssay(
      ['eval', '--suite', join(folder, 'suite.yaml'), '--format', 'json', '--output', report, '--quiet'],
      { ASSAY_HOME: folder },
    );
    expect(first.code).toBe(0);

    // runAssay works in the project folder, not the suite's: the paths recorded are absolute.
    const same = await runAssay(['rerun', report, '--format', 'json'], { ASSAY_HOME: folder });
    expect(same.code).toBe(0);
    expect((JSON.parse(same.stdout) as RerunJson).identical).toBe(true);

    await appendFile(join(folder, 'suite.yaml'), 'description: edited after the run\n');
    const changed = await runAssay(['rerun', report], { ASSAY_HOME: folder });
    expect(changed.code).toBe(2);
    expect(changed.stderr).toContain(`the suite ${join(folder, 'suite.yaml')} changed since the recorded run`);
  }, 120_000);

  it('says what to do with a report that did not record the suite as run', async () => {
    const report = JSON.parse(await readFile(example.report, 'utf8')) as Report;
    delete report.evaluation?.suite.asRun;
    const old = join(example.folder, 'old.json');
    await writeFile(old, JSON.stringify(report));
    const { code, stderr } = await runAssay(['rerun', old]);
    expect(code).toBe(2);
    expect(stderr).toContain('the report does not record the suite as run');
  });
});

describe('assay rerun of an OpenAI-compatible endpoint on 127.0.0.1', () => {
  const serverReady = startLlmServer();
  afterAll(async () => (await serverReady).close());

  it('asks the endpoint again instead of answering from the response cache', async () => {
    const server = await serverReady;
    const folder = await tempFolder({
      'reviews.jsonl': ['rerun: a great film|POSITIVE', 'rerun: a dull film|NEGATIVE', 'rerun: good fun|NEGATIVE']
        .map((line) => JSON.stringify({ text: line.split('|')[0], sentiment: line.split('|')[1] }))
        .join('\n'),
      'suite.yaml': [
        'name: sentiment',
        `model: { kind: openai-chat, url: "${server.url}/v1", model: tiny }`,
        'dataset: { path: reviews.jsonl }',
        'input: { kind: chat, column: text }',
        'expected: { column: sentiment }',
        'task: classification',
        'probes: { edgeCases: false, robustness: false }',
      ].join('\n'),
    });
    const report = join(folder, 'report.json');
    const first = await runAssay(
      ['eval', '--suite', join(folder, 'suite.yaml'), '--format', 'json', '--output', report, '--quiet'],
      { ASSAY_HOME: folder },
    );
    expect(first.code).toBe(0);
    expect(server.requests.get('rerun: a great film')).toHaveLength(1);

    const { code, stdout } = await runAssay(['rerun', report], { ASSAY_HOME: folder });
    expect(code).toBe(0);
    expect(stdout).toMatch(/^accuracy\s+0\.666667\s+0\.666667\s+0\s+equal$/m);
    for (const prompt of ['rerun: a great film', 'rerun: a dull film', 'rerun: good fun'])
      expect(server.requests.get(prompt)).toHaveLength(2);

    // A policy given to rerun judges the new outputs: here it forbids the word the model says for two of the three.
    await writeFile(
      join(folder, 'policy.yaml'),
      'responses:\n  rules:\n    - { id: no-positive, kind: forbidden, patterns: ["POSITIVE"] }\n',
    );
    const again = join(folder, 'again.json');
    const judged = await runAssay(['rerun', report, '--policy', join(folder, 'policy.yaml'), '--output', again], {
      ASSAY_HOME: folder,
    });
    expect(judged.code).toBe(0);
    const rerunReport = JSON.parse(await readFile(again, 'utf8')) as Report;
    expect(rerunReport.responses?.rules.find((rule) => rule.id === 'no-positive')).toMatchObject({ violations: 2 });
  }, 120_000);
});
