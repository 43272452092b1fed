// The CSV writer's idle timeout covers the end of the file too: when the last records are written
// while the socket is already full (they wait in Node's buffer, below its high-water mark, so the
// write did not ask to wait), the response cannot finish until the client reads. A client that
// never does is cut after the timeout like one that stalls mid-file, so the caller gets its
// connection back. Real HTTP: an Express route calling sendCsv, and a raw socket that stops reading.
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import http from 'node:http';
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import express, { type Response } from 'express';
import { clientGone, sendCsv } from '../../server/reporting/csv.ts';

const IDLE_MS = 300;
let server: http.Server;
let port: number;
const outcome: { stalled: number; finished: Promise<number> | undefined } = { stalled: 0, finished: undefined };

/**
 * 1 kB records until the socket holds some it could not hand to the kernel: its buffers (and the
 * client's) are full. Each write stays far below the high-water mark, so none asks to wait.
 */
async function* untilFull(res: Response): AsyncGenerator<string[][]> {
  const record = `${'x'.repeat(1022)}\r\n`;
  for (let i = 0; i < 1_000_000; i++) {
    yield [[record]];
    // the response corks its socket until the next tick: look once the writes have reached it
    await new Promise((resolve) => setImmediate(resolve));
    if (res.socket!.writableLength > 0) return;
  }
  throw new Error('the socket never filled up');
}

beforeAll(async () => {
  const app = express();
  app.get('/file.csv', (_req, res) => {
    outcome.finished = sendCsv(res, 'file.csv', ['line'], untilFull(res), clientGone(res), { ms: IDLE_MS, onStall: () => { outcome.stalled++; } });
  });
  server = http.createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

test('a client that stops reading before the last records are flushed is cut after the idle timeout, and the writer returns', async () => {
  const socket = net.connect(port, '127.0.0.1');
  socket.on('error', () => undefined);
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  socket.write('GET /file.csv HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
  socket.once('data', () => socket.pause());
  await new Promise<void>((resolve) => { const t = setInterval(() => { if (outcome.finished) { clearInterval(t); resolve(); } }, 10); });
  // the writer returns (the whole generator was written: the stall is at the end), having cut the response
  const chunks = await outcome.finished!;
  expect(chunks).toBeGreaterThan(100);
  expect(outcome.stalled).toBe(1);
  socket.resume();
  await closed;
}, 30_000);
