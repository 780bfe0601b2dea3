/**
 * Runner overhead per request, for issue 7: Assay's OpenAI-compatible runner next to what a user would otherwise
 * write, a plain `fetch` pool, against the same loopback server (bench/loopback-llm.ts, its own process).
 *
 * For each concurrency (1, 8, 32) and each round, both clients send the same N chat requests (response cache off,
 * no retries needed) and we record wall time and the client process's CPU time; the server reports its own
 * handling time. Per request: latency by Little's law (concurrency × wall ÷ N), CPU µs, and Assay minus plain fetch.
 * Rounds alternate the order of the two clients; medians are reported.
 *
 * Usage: npx tsx bench/runners.ts [--requests 5000] [--rounds 5]. Writes bench/RUNNERS.md.
 */
import { writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { openAiRunner } from '../src/runners/openai.js';
import { machineFacts, startLoopbackLlm } from './shared.js';

const flag = (name: string, fallback: number) => {
  const at = process.argv.indexOf(`--${name}`);
  return at > 0 ? Number(process.argv[at + 1]) : fallback;
};
const REQUESTS = flag('requests', 5000);
const ROUNDS = flag('rounds', 5);
const CONCURRENCY = [1, 8, 32];

const ask = <T>(message: string) =>
  new Promise<T>((resolve) => {
    server.once('message', (reply) => resolve(reply as T));
    server.send(message);
  });
const { server, port } = await startLoopbackLlm();
const baseUrl = `http://127.0.0.1:${port}/v1`;
const prompts = Array.from({ length: REQUESTS }, (_, i) => `review ${i}: ${i % 2 ? 'a great product' : 'it broke'}`);

/** What a user would write without Assay: a pool of `concurrency` loops over fetch + JSON. */
async function plainFetch(concurrency: number) {
  let next = 0;
  const worker = async () => {
    while (next < prompts.length) {
      const prompt = prompts[next++];
      const response = await fetch(`${baseUrl}/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'bench', messages: [{ role: 'user', content: prompt }] }),
      });
      const body = (await response.json()) as { choices: { message: { content: string } }[] };
      if (!body.choices[0].message.content) throw new Error('no answer');
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

async function assayRunner(concurrency: number) {
  const runner = openAiRunner({ baseUrl, model: 'bench', api: 'chat', settings: { concurrency, cache: false } });
  const results = await runner.run(
    prompts.map((prompt, i) => ({
      id: String(i),
      input: { kind: 'chat', messages: [{ role: 'user', content: prompt }] },
    })),
  );
  await runner.close();
  if (results.some((result) => !result.output))
    throw new Error(`failed: ${JSON.stringify(results.find((r) => !r.output))}`);
}

async function measure(client: (concurrency: number) => Promise<void>, concurrency: number) {
  await ask('reset');
  const cpu = process.cpuUsage();
  const started = performance.now();
  await client(concurrency);
  const wallMs = performance.now() - started;
  const used = process.cpuUsage(cpu);
  const stats = await ask<{ handled: number; handlingMs: number }>('stats');
  if (stats.handled !== REQUESTS) throw new Error(`the server handled ${stats.handled} of ${REQUESTS} requests`);
  return { wallMs, cpuMs: (used.user + used.system) / 1000, serverMs: stats.handlingMs / stats.handled };
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

const loadBefore = loadavg()[0];
const rows: string[] = [];
for (const concurrency of CONCURRENCY) {
  await plainFetch(concurrency); // warm-up: connections, JIT
  await assayRunner(concurrency);
  const samples = {
    plain: [] as Awaited<ReturnType<typeof measure>>[],
    assay: [] as Awaited<ReturnType<typeof measure>>[],
  };
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 ? (['assay', 'plain'] as const) : (['plain', 'assay'] as const);
    for (const name of order)
      samples[name].push(await measure(name === 'plain' ? plainFetch : assayRunner, concurrency));
  }
  const summary = (name: 'plain' | 'assay') => {
    const wall = median(samples[name].map((s) => s.wallMs));
    return {
      perSecond: REQUESTS / (wall / 1000),
      latencyMs: (concurrency * wall) / REQUESTS,
      cpuUs: (median(samples[name].map((s) => s.cpuMs)) * 1000) / REQUESTS,
      serverMs: median(samples[name].map((s) => s.serverMs)),
    };
  };
  const [plain, assay] = [summary('plain'), summary('assay')];
  rows.push(
    `| ${concurrency} | ${plain.perSecond.toFixed(0)} | ${assay.perSecond.toFixed(0)} | ${plain.latencyMs.toFixed(3)} | ` +
      `${assay.latencyMs.toFixed(3)} | **${(assay.latencyMs - plain.latencyMs).toFixed(3)}** | ${plain.cpuUs.toFixed(0)} | ` +
      `${assay.cpuUs.toFixed(0)} | **${(assay.cpuUs - plain.cpuUs).toFixed(0)}** | ${assay.serverMs.toFixed(3)} |`,
  );
  console.error(rows.at(-1));
}
server.send('stop');

const text = [
  '# Runner overhead (generated by bench/runners.ts)',
  '',
  `${machineFacts(loadBefore)}; ${REQUESTS} requests per run, median of ${ROUNDS} rounds per client.`,
  '',
  '| concurrency | plain fetch req/s | Assay req/s | plain latency (ms) | Assay latency (ms) | Assay − plain (ms) | plain CPU (µs/req) | Assay CPU (µs/req) | Assay − plain CPU (µs/req) | server time (ms/req) |',
  '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ...rows,
  '',
];
writeFileSync(join(import.meta.dirname, 'RUNNERS.md'), text.join('\n'));
console.log(text.join('\n'));
