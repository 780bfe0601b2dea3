/**
 * Long runs: an `assay eval` stopped with Ctrl-C or killed outright resumes without asking the model again for any
 * case it finished, and ends with the same report as a run that was never interrupted. The model is a real
 * OpenAI-compatible server on 127.0.0.1 that can be told to hold requests (so the test decides where the run stops)
 * or to fail some prompts with HTTP 500; the response cache is off so every case the runner sends is counted.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Report } from '../../src/core/report.js';
import { PROJECT_ROOT, runAssay, tempFolder } from '../helpers.js';

const CASES = 40;
const reviews = Array.from({ length: CASES }, (_, i) =>
  i % 3 === 0 ? `review ${i}: a great product` : i % 3 === 1 ? `review ${i}: it broke` : `review ${i}: good value`,
);
// Labels the server gets wrong on purpose for every fifth case, so accuracy and its interval are not trivial.
const labels = reviews.map((text, i) =>
  (/good|great/.test(text) ? 1 : 0) ^ (i % 5 === 0 ? 1 : 0) ? 'POSITIVE' : 'NEGATIVE',
);

interface ControlledServer {
  url: string;
  /** Requests per prompt. */
  asked: Map<string, number>;
  /** Answer this many more requests, then hold the rest (undefined: answer everything). */
  answerOnly: number | undefined;
  /** Prompts answered with HTTP 500. */
  failing: Set<string>;
  answered: number;
  release(): void;
  close(): Promise<void>;
}

async function startServer(): Promise<ControlledServer> {
  const held: (() => void)[] = [];
  const state: ControlledServer = {
    url: '',
    asked: new Map(),
    answerOnly: undefined,
    failing: new Set(),
    answered: 0,
    release: () => {
      for (const resume of held.splice(0)) resume();
    },
    close: async () => {
      state.release();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
  const server = createServer(async (request, response) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    const prompt: string = body.messages.at(-1).content;
    state.asked.set(prompt, (state.asked.get(prompt) ?? 0) + 1);
    if (state.answerOnly !== undefined) {
      if (state.answerOnly <= 0) await new Promise<void>((resume) => held.push(resume));
      else state.answerOnly--;
    }
    if (response.destroyed) return;
    if (state.failing.has(prompt)) {
      response.writeHead(500, { 'content-type': 'application/json' }).end('{"error":"down"}');
      return;
    }
    state.answered++;
    const content = /good|great/.test(prompt) ? 'POSITIVE' : 'NEGATIVE';
    response
      .writeHead(200, { 'content-type': 'application/json' })
      .end(JSON.stringify({ choices: [{ message: { role: 'assistant', content } }] }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  return state;
}

let server: ControlledServer;
let folder: string;

beforeAll(async () => {
  server = await startServer();
  const csv = ['text,label', ...reviews.map((text, i) => `${text},${labels[i]}`)].join('\n');
  folder = await tempFolder({ 'reviews.csv': `${csv}\n` });
  await writeFile(
    join(folder, 'suite.yaml'),
    [
      'name: reviews',
      'model:',
      '  kind: openai-chat',
      `  url: ${server.url}`,
      '  model: tiny',
      '  settings: { cache: false, retries: 0, concurrency: 2, timeoutMs: 30000 }',
      'dataset: { path: reviews.csv }',
      'input: { kind: chat, column: text }',
      'expected: { column: label }',
      'task: classification',
      'positiveLabel: POSITIVE',
      'probes: { edgeCases: false, robustness: false }',
      'bootstrap: { resamples: 300 }',
      '',
    ].join('\n'),
  );
});
afterAll(() => server.close());

const TSX = ['--import', 'tsx', join(PROJECT_ROOT, 'src', 'cli', 'main.ts')];

/** Starts `assay eval` as a separate process, as a user's shell would. */
function startEval(
  args: string[],
  home: string,
): { child: ChildProcess; exit: Promise<{ code: number | null; stderr: string }> } {
  const child = spawn(process.execPath, [...TSX, 'eval', '--suite', join(folder, 'suite.yaml'), ...args], {
    cwd: PROJECT_ROOT,
    env: { ...process.env, ASSAY_HOME: home },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  child.stdout?.resume();
  const exit = new Promise<{ code: number | null; stderr: string }>((resolve) =>
    child.on('exit', (code) => resolve({ code, stderr })),
  );
  return { child, exit };
}

async function waitFor(condition: () => boolean, what: string, timeoutMs = 120_000) {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const journalLines = (path: string) =>
  existsSync(path) ? readFileSync(path, 'utf8').split('\n').filter(Boolean).slice(1) : [];

async function evalJson(args: string[], home: string) {
  const result = await runAssay(['eval', '--suite', join(folder, 'suite.yaml'), '--format', 'json', ...args], {
    ASSAY_HOME: home,
  });
  return { ...result, report: result.stdout ? (JSON.parse(result.stdout) as Report) : undefined };
}

/** Metrics without wall-clock ones: what must be equal between an interrupted-and-resumed run and a whole one. */
const modelMetrics = (report: Report | undefined) =>
  report?.evaluation?.metrics.filter((metric) => !metric.name.startsWith('latency_'));

describe('assay eval: long runs survive interruptions', () => {
  let uninterrupted: Report | undefined;

  beforeAll(async () => {
    server.answerOnly = undefined;
    const home = await tempFolder({});
    const { code, report } = await evalJson([], home);
    expect(code).toBe(0);
    uninterrupted = report;
    // A finished run leaves no journal behind unless --results asked for one.
    expect(readdirSync(join(home, 'runs'))).toEqual([]);
  }, 120_000);

  it('stops cleanly on Ctrl-C (exit 130) and --resume asks the model only for the unfinished cases', async () => {
    const home = await tempFolder({});
    server.asked.clear();
    server.answerOnly = 15;
    const first = startEval(['--format', 'json'], home);
    await waitFor(() => server.answered >= 15 && server.asked.size >= 17, 'the first 15 answers');
    first.child.kill('SIGINT');
    const stopped = await first.exit;
    server.release();
    expect(stopped.code).toBe(130);
    expect(stopped.stderr).toMatch(/interrupted after 15 of 40 cases; .* --resume to continue/);
    const [journal] = readdirSync(join(home, 'runs'));
    expect(journalLines(join(home, 'runs', journal))).toHaveLength(15);

    const askedBefore = new Map(server.asked);
    server.answerOnly = undefined;
    const resumed = await evalJson(['--resume'], home);
    expect(resumed.code).toBe(0);
    expect(resumed.stderr).toContain('resuming from');
    const askedAgain = [...server.asked].filter(([prompt, count]) => count > (askedBefore.get(prompt) ?? 0));
    // The 15 answered cases are not sent again; the two held when Ctrl-C came are.
    expect(askedAgain).toHaveLength(CASES - 15);
    expect(resumed.report?.evaluation?.cases).toMatchObject({ total: CASES, succeeded: CASES, resumed: 15 });
    expect(modelMetrics(resumed.report)).toEqual(modelMetrics(uninterrupted));
  }, 240_000);

  it('resumes after the process is killed (SIGKILL), from the --results file written so far', async () => {
    const home = await tempFolder({});
    const results = join(home, 'results.jsonl');
    server.asked.clear();
    server.answered = 0;
    server.answerOnly = 22;
    const first = startEval(['--results', results, '--format', 'json'], home);
    await waitFor(() => journalLines(results).length >= 22, '22 journaled results');
    first.child.kill('SIGKILL');
    await first.exit;
    server.release();
    server.answerOnly = undefined;
    server.asked.clear();
    const resumed = await evalJson(['--resume', '--results', results], home);
    expect(resumed.code).toBe(0);
    expect(server.asked.size).toBe(CASES - 22);
    expect(resumed.report?.evaluation?.cases).toMatchObject({ total: CASES, resumed: 22 });
    expect(modelMetrics(resumed.report)).toEqual(modelMetrics(uninterrupted));
    // The results file now holds every case once, with what it expected and what the model said.
    const entries = journalLines(results).map((line) => JSON.parse(line));
    expect(new Set(entries.map((entry) => entry.index)).size).toBe(CASES);
    expect(entries.find((entry) => entry.id === 'row-1')).toMatchObject({
      expected: labels[0],
      predicted: 'POSITIVE',
      prompt: reviews[0],
      output: { kind: 'text', text: 'POSITIVE' },
    });
  }, 240_000);

  it('asks again on resume for cases that failed with a server error, and only those', async () => {
    const home = await tempFolder({});
    const results = join(home, 'results.jsonl');
    const failing = [reviews[3], reviews[17], reviews[31]];
    server.failing = new Set(failing);
    const first = await evalJson(['--results', results], home);
    expect(first.report?.evaluation?.cases).toMatchObject({ total: CASES, failed: 3 });
    server.failing = new Set();
    server.asked.clear();
    const resumed = await evalJson(['--resume', '--results', results], home);
    expect([...server.asked.keys()].sort()).toEqual([...failing].sort());
    expect(resumed.report?.evaluation?.cases).toMatchObject({ total: CASES, failed: 0, resumed: CASES - 3 });
    expect(modelMetrics(resumed.report)).toEqual(modelMetrics(uninterrupted));
  }, 240_000);

  it('refuses to resume from results of another run, naming the file (exit 2)', async () => {
    const home = await tempFolder({});
    const results = join(home, 'results.jsonl');
    expect((await evalJson(['--results', results], home)).code).toBe(0);
    const other = join(folder, 'other.csv');
    await writeFile(other, 'text,label\nsomething good,POSITIVE\n');
    const refused = await evalJson(['--resume', '--results', results, '--data', other], home);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(`${results} holds results of a different run`);
  }, 240_000);
});
