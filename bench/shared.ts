/** What the evaluation benchmarks share: the loopback model server in its own process, and the machine's facts. */
import { type ChildProcess, fork } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';

/** Starts bench/loopback-llm.ts as a child process; resolves once it listens on 127.0.0.1. */
export async function startLoopbackLlm(): Promise<{ server: ChildProcess; port: number }> {
  const server = fork(join(import.meta.dirname, 'loopback-llm.ts'), { execArgv: ['--import', 'tsx'] });
  const { port } = await new Promise<{ port: number }>((resolve) =>
    server.once('message', (message) => resolve(message as { port: number })),
  );
  return { server, port };
}

/** "Node …, N CPUs (model), load average X before, Y after" for a results file. */
export function machineFacts(loadBefore: number): string {
  return (
    `Node ${process.version}, ${cpus().length} CPUs (${cpus()[0]?.model}), load average ${loadBefore.toFixed(2)} ` +
    `before, ${loadavg()[0].toFixed(2)} after`
  );
}
