import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ChatMessage {
  role: string;
  content: string;
}

/**
 * A real OpenAI-compatible chat server on 127.0.0.1 whose answers come from `respond` (a scripted model). Unlike
 * test/fixtures/llm-server.ts it sees the whole conversation, system prompt included, which the probes need.
 */
export async function startChatServer(
  respond: (messages: ChatMessage[]) => string,
): Promise<{ url: string; requests: ChatMessage[][]; close(): Promise<void> }> {
  const requests: ChatMessage[][] = [];
  const server = createServer(async (request, response) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { messages: ChatMessage[] };
    requests.push(body.messages);
    const content = respond(body.messages);
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(
      JSON.stringify({ choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }] }),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
