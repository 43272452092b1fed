// The HTTP stop past its timeout (server/http/drain.ts): a read still unanswered gets the
// documented 503 shutting_down with Connection: close; an answer already streaming is cut; a write
// (which may be committing) is never told 503: after a second timeout its connection is closed
// without an answer. No database: a plain node:http server whose handlers never finish.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect, test } from '@jest/globals';
import { drainable } from '../../server/http/drain.ts';
import { waitUntil } from '../helpers/net.ts';

test('past the timeout, a read without its answer gets 503 shutting_down, a stream is cut, a write is never told 503', async () => {
  const server = http.createServer();
  const drain = drainable(server);
  server.on('request', (req, res) => {
    if (req.url === '/stream') res.writeHead(200, { 'Content-Type': 'text/csv' }).write('a,b\n'); // never ends
    // '/stuck' (GET) and '/write' (POST): never answered
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  const agent = new http.Agent({ keepAlive: true });
  const call = (p: string, method = 'GET') => new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string; error?: string }>((resolve) => {
    http.request({ host: '127.0.0.1', port, path: p, method, agent }, (res) => {
      let body = '';
      res.on('data', (d) => { body += d; });
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
      res.on('error', (err) => resolve({ status: res.statusCode!, headers: res.headers, body, error: err.message }));
    }).on('error', (err) => resolve({ status: 0, headers: {}, body: '', error: err.message })).end();
  });
  const stuck = call('/stuck');
  const stream = call('/stream');
  const write = call('/write', 'POST');
  await waitUntil(async () => drain.inFlight() === 3);
  await drain.close(200);
  const answered = await stuck;
  expect(answered).toMatchObject({ status: 503, headers: { connection: 'close', 'retry-after': '1' } });
  expect(JSON.parse(answered.body)).toMatchObject({ error: { code: 'shutting_down' } });
  expect(await stream).toMatchObject({ status: 200, body: 'a,b\n', error: 'aborted' }); // cut: no final chunk
  expect(await write).toMatchObject({ status: 0, error: 'socket hang up' }); // no answer: not acknowledged
  expect(server.listening).toBe(false);
  agent.destroy();
});
