// A real HTTP server on 127.0.0.1 standing in for a webhook receiver: records every request
// (headers and raw body) and answers from a script of statuses.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Request { at: number; headers: http.IncomingHttpHeaders; body: string; path: string }

export interface Receiver {
  port: number;
  url: string;
  received: Request[];
  close(): Promise<void>;
}

export async function startReceiver(script: number[] = [], fallback = 200): Promise<Receiver> {
  const received: Request[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => { body += c; });
    req.on('end', () => {
      received.push({ at: Date.now(), headers: req.headers, body, path: req.url ?? '' });
      const status = script.shift() ?? fallback;
      res.writeHead(status, { 'content-type': 'text/plain' });
      res.end(status < 300 ? 'ok' : 'receiver failure');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    port, url: `http://127.0.0.1:${port}/hook`, received,
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}
