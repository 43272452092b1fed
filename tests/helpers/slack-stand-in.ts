// A real HTTP server standing in for Slack: answers from a script of responses, records every request.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Scripted { status: number; headers?: Record<string, string> }
export interface Received { at: number; body: { text: string } }

export interface SlackStandIn {
  url: string;
  received: Received[];
  /** Requests answered with a 2xx: the messages Slack would have shown. */
  delivered(): Received[];
  close(): Promise<void>;
}

export async function startSlackStandIn(script: Scripted[] = [], fallback: Scripted = { status: 200 }): Promise<SlackStandIn> {
  const received: Received[] = [];
  const statuses: number[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => { body += c; });
    req.on('end', () => {
      received.push({ at: Date.now(), body: JSON.parse(body) });
      const answer = script.shift() ?? fallback;
      statuses.push(answer.status);
      res.writeHead(answer.status, { 'content-type': 'text/plain', ...answer.headers });
      res.end(answer.status < 300 ? 'ok' : 'stand-in failure');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    received,
    delivered: () => received.filter((_, i) => statuses[i]! < 300),
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}
