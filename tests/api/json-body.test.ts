// The JSON body parser (server/http/json-body.ts): its short path (a Content-Length, no encoding,
// UTF-8) and the requests it hands to express.json (compressed, chunked, another charset) both
// parse what they should and refuse what they should, with the same errors; an over-limit or bad
// body leaves the connection usable for the next request.
import { gzipSync } from 'node:zlib';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { startTestApp } from '../helpers/app.ts';
import { addTenants, createTestDb, sums, type TestDb } from '../helpers/db.ts';
import type { FlagMeter } from '../../server/runtime.ts';

let db: TestDb;
let app: FlagMeter;
const event = { tenant: 'acme-corp', feature: 'gpt-4o', tokens: 10 };

beforeAll(async () => {
  db = await createTestDb();
  await addTenants(db.pool, [{ slug: 'acme-corp' }]);
  app = await startTestApp(db.url, { BODY_LIMIT_BYTES: '4096' });
});
afterAll(async () => {
  await app.stop();
  await db.drop();
});

async function send(path: string, body: BodyInit, headers: Record<string, string>) {
  const res = await fetch(`${app.url}${path}`, { method: 'POST', headers, body, ...(body instanceof ReadableStream ? { duplex: 'half' } : {}) } as RequestInit);
  return { status: res.status, body: await res.json() as any };
}
const json = { 'content-type': 'application/json' };

/** Raw HTTP/1.1 requests written back to back on one socket; the status of each answer. */
function onOneConnection(requests: string[]): Promise<number[]> {
  const { port } = new URL(app.url);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), '127.0.0.1', () => socket.write(requests.join('')));
    let text = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      text += chunk;
      const statuses = [...text.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((m) => Number(m[1]));
      if (statuses.length === requests.length) {
        socket.destroy();
        resolve(statuses);
      }
    });
    socket.on('error', reject);
    setTimeout(() => reject(new Error(`answers so far: ${text}`)), 10_000).unref();
  });
}
const raw = (body: string, length = Buffer.byteLength(body)) =>
  `POST /api/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${length}\r\n\r\n${body}`;

describe('parsed', () => {
  test('a plain body, with or without a UTF-8 charset, and with a byte order mark', async () => {
    expect((await send('/api/events', JSON.stringify(event), json)).status).toBe(201);
    expect((await send('/api/events', JSON.stringify(event), { 'content-type': 'application/json; charset=UTF-8' })).status).toBe(201);
    expect((await send('/api/events', `\uFEFF${JSON.stringify(event)}`, json)).status).toBe(201);
  });
  test('non-ASCII text arriving split across packets', async () => {
    const body = JSON.stringify({ ...event, user: 'jürgen-用户-😀' });
    const bytes = Buffer.from(body);
    const cut = bytes.indexOf(Buffer.from('用')) + 1;
    const { port } = new URL(app.url);
    const status = await new Promise<number>((resolve, reject) => {
      const socket = net.connect(Number(port), '127.0.0.1', () => {
        socket.write(`POST /api/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${bytes.length}\r\nConnection: close\r\n\r\n`);
        socket.write(bytes.subarray(0, cut));
        setTimeout(() => socket.write(bytes.subarray(cut)), 50);
      });
      let text = '';
      socket.on('data', (c) => { text += c.toString(); });
      socket.on('end', () => resolve(Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1])));
      socket.on('error', reject);
    });
    expect(status).toBe(201);
  });
  test('gzip-compressed and chunked bodies take express.json and are parsed too', async () => {
    expect((await send('/api/events', gzipSync(JSON.stringify(event)), { ...json, 'content-encoding': 'gzip' })).status).toBe(201);
    const stream = new ReadableStream({ start(c) { c.enqueue(new TextEncoder().encode(JSON.stringify(event))); c.close(); } });
    expect((await send('/api/events', stream, json)).status).toBe(201);
  });
  test('OFREP reads an empty body as {} (and so asks for the tenant)', async () => {
    const r = await send('/ofrep/v1/evaluate/flags', '', json);
    expect(r).toMatchObject({ status: 400, body: { errorCode: 'INVALID_CONTEXT' } });
  });
});

describe('refused', () => {
  test('not JSON → 400 invalid_json on the API, PARSE_ERROR on OFREP', async () => {
    expect((await send('/api/events', '{"tenant":', json)).body.error.code).toBe('invalid_json');
    expect((await send('/ofrep/v1/evaluate/flags/x', '{"context":', json)).body).toMatchObject({ key: 'x', errorCode: 'PARSE_ERROR' });
  });
  test('another charset → 415 unsupported_charset', async () => {
    const r = await send('/api/events', JSON.stringify(event), { 'content-type': 'application/json; charset=latin1' });
    expect(r).toMatchObject({ status: 415, body: { error: { code: 'unsupported_charset' } } });
  });
  test('over the limit → 413 naming it, compressed or not', async () => {
    const big = JSON.stringify({ ...event, feature: 'x'.repeat(5000) });
    expect((await send('/api/events', big, json)).body.error).toMatchObject({ code: 'body_too_large', message: expect.stringContaining('4096') });
    expect((await send('/api/events', gzipSync(big), { ...json, 'content-encoding': 'gzip' })).status).toBe(413);
  });
  test('an over-limit or malformed body leaves the connection usable for the next request', async () => {
    const big = JSON.stringify({ ...event, feature: 'x'.repeat(5000) });
    expect(await onOneConnection([raw(big), raw('{"tenant":'), raw(JSON.stringify(event))])).toEqual([413, 400, 201]);
  });
});

test('a client that goes away mid-body leaves the server answering the next request', async () => {
  const { port } = new URL(app.url);
  await new Promise<void>((resolve, reject) => {
    const socket = net.connect(Number(port), '127.0.0.1', () => {
      socket.write(`POST /api/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"tenant":`);
      setTimeout(() => { socket.destroy(); resolve(); }, 50);
    });
    socket.on('error', reject);
  });
  expect((await send('/api/events', JSON.stringify(event), json)).status).toBe(201);
});

test('only the events that were accepted are stored', async () => {
  // 3 plain, 1 split, 2 (gzip, chunked), 1 on the shared connection, 1 after the abort
  expect((await sums(db.pool)).eventCount).toBe(8);
});
