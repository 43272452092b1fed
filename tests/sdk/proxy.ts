// A small HTTP proxy in front of the real server, for faults a real server does not make on
// demand: an answer lost after the server committed (the request is forwarded, the reply dropped).
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Proxy {
  url: string;
  /** how many requests reached the proxy, by path */
  seen: string[];
  /** the next n forwarded requests get their reply dropped (socket destroyed) after the server answered */
  loseReplies(n: number): void;
  close(): Promise<void>;
}

const pick = (h: Record<string, string>, names: string[]) => Object.fromEntries(names.flatMap((n) => (h[n] === undefined ? [] : [[n, h[n]]])));

export async function startProxy(target: string): Promise<Proxy> {
  let lose = 0;
  const seen: string[] = [];
  const server = http.createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', async () => {
      try {
        const upstream = await fetch(`${target}${req.url}`, {
          method: req.method,
          headers: pick(req.headers as Record<string, string>, ['authorization', 'content-type']),
          body: chunks.length ? Buffer.concat(chunks) : undefined,
        });
        const body = Buffer.from(await upstream.arrayBuffer());
        if (lose > 0) {
          lose--;
          res.socket?.destroy();
          return;
        }
        res.writeHead(upstream.status, pick(Object.fromEntries(upstream.headers), ['content-type', 'retry-after']));
        res.end(body);
      } catch {
        res.socket?.destroy();
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    loseReplies(n) { lose = n; },
    close: () => new Promise((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}
