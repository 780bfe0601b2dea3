/**
 * An OpenAI-compatible chat server for the runner benchmarks, run as its own process (so it does not share the
 * benchmark's event loop): answers every request at once, and tells its parent, over IPC, the port and then on
 * request how many requests it handled and its mean handling time (body read to response end).
 * Usage (from a benchmark): fork('bench/loopback-llm.ts', { execArgv: ['--import', 'tsx'] }).
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

let handled = 0;
let handlingMs = 0;
const server = createServer((request, response) => {
  const chunks: Buffer[] = [];
  request.on('data', (chunk: Buffer) => chunks.push(chunk));
  request.on('end', () => {
    const started = performance.now();
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    const prompt: string = body.messages.at(-1).content;
    const content = /good|great/.test(prompt) ? 'POSITIVE' : 'NEGATIVE';
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(
      JSON.stringify({
        choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
        usage: { prompt_tokens: 8, completion_tokens: 1, total_tokens: 9 },
      }),
    );
    handled++;
    handlingMs += performance.now() - started;
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => process.send?.({ port: (server.address() as AddressInfo).port }));
process.on('message', (message: string) => {
  if (message === 'stats') process.send?.({ handled, handlingMs });
  if (message === 'reset') {
    handled = 0;
    handlingMs = 0;
    process.send?.({ reset: true });
  }
  if (message === 'stop') server.close(() => process.exit(0));
});
