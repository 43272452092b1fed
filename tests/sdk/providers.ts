// A local HTTP server that speaks the wire formats of OpenAI's chat completions and Anthropic's
// messages, answered and streamed (SSE), with fixed usage figures. The real `openai` and
// `@anthropic-ai/sdk` clients are pointed at it through baseURL.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export const OPENAI_USAGE = { prompt_tokens: 12, completion_tokens: 5, total_tokens: 17 };
export const ANTHROPIC_USAGE = { input_tokens: 20, output_tokens: 8, cache_creation_input_tokens: 3, cache_read_input_tokens: 4 };
export const ANTHROPIC_TOKENS = 20 + 8 + 3 + 4;

export interface Providers { url: string; bodies: any[]; close(): Promise<void> }

function openaiChat(body: any, res: http.ServerResponse): void {
  const base = { id: 'chatcmpl-1', created: 1_764_000_000, model: body.model, system_fingerprint: 'fp_1' };
  if (!body.stream) {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({
      ...base, object: 'chat.completion',
      choices: [{ index: 0, message: { role: 'assistant', content: 'Hello there', refusal: null }, logprobs: null, finish_reason: 'stop' }],
      usage: OPENAI_USAGE,
    }));
    return;
  }
  const withUsage = body.stream_options?.include_usage === true;
  const chunk = (choices: unknown[], usage?: unknown) => ({ ...base, object: 'chat.completion.chunk', choices, ...(withUsage ? { usage: usage ?? null } : {}) });
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  const chunks = [
    chunk([{ index: 0, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null }]),
    chunk([{ index: 0, delta: { content: 'Hello' }, logprobs: null, finish_reason: null }]),
    chunk([{ index: 0, delta: { content: ' there' }, logprobs: null, finish_reason: null }]),
    chunk([{ index: 0, delta: {}, logprobs: null, finish_reason: 'stop' }]),
    ...(withUsage ? [chunk([], OPENAI_USAGE)] : []),
  ];
  for (const c of chunks) res.write(`data: ${JSON.stringify(c)}\n\n`);
  res.end('data: [DONE]\n\n');
}

function anthropicMessages(body: any, res: http.ServerResponse): void {
  const message = { id: 'msg_1', type: 'message', role: 'assistant', model: body.model, stop_sequence: null };
  if (!body.stream) {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ ...message, content: [{ type: 'text', text: 'Hello there' }], stop_reason: 'end_turn', usage: ANTHROPIC_USAGE }));
    return;
  }
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  const events = [
    { type: 'message_start', message: { ...message, content: [], stop_reason: null, usage: { input_tokens: 20, output_tokens: 1, cache_creation_input_tokens: 3, cache_read_input_tokens: 4 } } },
    { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } },
    { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Hello' } },
    { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: ' there' } },
    { type: 'content_block_stop', index: 0 },
    { type: 'message_delta', delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: 8 } },
    { type: 'message_stop' },
  ];
  for (const e of events) res.write(`event: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`);
  res.end();
}

export async function startProviders(): Promise<Providers> {
  const bodies: any[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString() || '{}');
      bodies.push({ path: req.url, ...body });
      if (req.url === '/v1/chat/completions') return openaiChat(body, res);
      if (req.url === '/v1/messages') return anthropicMessages(body, res);
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: `no ${req.url}` } }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    bodies,
    close: () => new Promise((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}
