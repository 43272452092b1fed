// @flagmeter/sdk when things go wrong on the caller's side of the wire: a full queue under each
// policy, 429 with Retry-After from the real server's rate limit, a process that exits without
// close() (beforeExit flush), and a process killed during an outage (the spill journal).
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { FlagMeter, QueueFullError, type RetryInfo } from '../../sdk/node/src/index.ts';
import { freePort } from '../helpers/net.ts';
import { startSdkServer, type SdkServer } from './harness.ts';

const run = promisify(execFile);
const NODE = path.resolve('node_modules/.bin/node');
const FIXTURE = path.resolve('tests/sdk/fixtures/track-then-exit.ts');

let s: SdkServer;
let nowhere: string;
beforeAll(async () => {
  s = await startSdkServer(
    [{ slug: 'block-co' }, { slug: 'drop-co' }, { slug: 'throw-co' }, { slug: 'limited-co' }, { slug: 'exit-co' }, { slug: 'crash-co' }],
    { RATE_LIMIT_PER_SECOND: '10', RATE_LIMIT_BURST: '10' },
  );
  nowhere = `http://127.0.0.1:${await freePort()}`; // nothing listens there
});
afterAll(async () => {
  await s.stop();
});

const held = { flushIntervalMs: 60_000, flushOnExit: false };

describe('a full queue', () => {
  test("'throw': track() throws QueueFullError and nothing of that event is queued", async () => {
    const fm = new FlagMeter({ baseUrl: s.url, apiKey: s.key, maxQueueSize: 3, whenFull: 'throw', ...held });
    for (let i = 0; i < 3; i++) await fm.track({ tenant: 'throw-co', feature: 'f', tokens: 1 });
    expect(() => fm.track({ tenant: 'throw-co', feature: 'f', tokens: 100 })).toThrow(QueueFullError);
    await fm.close();
    expect(await s.counted('throw-co')).toMatchObject({ events: 3, tokens: 3 });
  });

  test("'drop-oldest': the oldest queued event makes room and is counted in stats().dropped", async () => {
    const fm = new FlagMeter({ baseUrl: s.url, apiKey: s.key, maxQueueSize: 3, whenFull: 'drop-oldest', ...held });
    for (const tokens of [1, 2, 3, 4, 5]) await fm.track({ tenant: 'drop-co', feature: 'f', tokens });
    expect(fm.stats()).toMatchObject({ dropped: 2, queued: 3 });
    await fm.close();
    expect(await s.counted('drop-co')).toMatchObject({ events: 3, tokens: 3 + 4 + 5 });
  });

  test("'block' (the default): track() waits for room, then the event is queued and sent", async () => {
    const fm = new FlagMeter({ baseUrl: s.url, apiKey: s.key, maxQueueSize: 2, ...held });
    await fm.track({ tenant: 'block-co', feature: 'f', tokens: 1 });
    await fm.track({ tenant: 'block-co', feature: 'f', tokens: 2 });
    let queued = false;
    const third = fm.track({ tenant: 'block-co', feature: 'f', tokens: 4 }).then(() => { queued = true; });
    await new Promise((r) => setImmediate(r));
    expect(queued).toBe(false);
    expect(fm.stats()).toMatchObject({ blocked: 1, queued: 2, dropped: 0 });
    await fm.flush(); // takes the two queued ones: room for the third
    await third;
    await fm.close();
    expect(await s.counted('block-co')).toMatchObject({ events: 3, tokens: 7 });
  });
});

describe('429 from the rate limit', () => {
  test('the retry waits at least the Retry-After the server sent; everything is counted once', async () => {
    const retries: RetryInfo[] = [];
    const fm = new FlagMeter({ baseUrl: s.url, apiKey: s.key, batchSize: 10, ...held, onRetry: (r) => retries.push(r) });
    for (let i = 0; i < 20; i++) await fm.track({ tenant: 'limited-co', feature: 'f', tokens: 1 });
    await fm.close(30_000);
    expect(retries.length).toBeGreaterThan(0);
    for (const r of retries) {
      expect(r.status).toBe(429);
      expect(r.retryAfterMs).toBeGreaterThanOrEqual(1000);
      expect(r.delayMs).toBeGreaterThanOrEqual(r.retryAfterMs!);
    }
    expect(await s.counted('limited-co')).toEqual({ events: 20, tokens: 20, maxPerId: 1 });
  });
});

describe('process exit', () => {
  test('a process that just ends without close() still delivers what it tracked (beforeExit flush)', async () => {
    await run(NODE, [FIXTURE], { env: { ...process.env, FM_URL: s.url, FM_KEY: s.key, FM_TENANT: 'exit-co', FM_EVENTS: '40', FM_END: 'exit' } });
    expect(await s.counted('exit-co')).toEqual({ events: 40, tokens: 820, maxPerId: 1 });
  });

  test('a process killed during an outage loses nothing track() accepted: the spill journal is replayed on the next start, once', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fm-spill-'));
    try {
      const killed = await run(NODE, [FIXTURE], { env: { ...process.env, FM_URL: nowhere, FM_KEY: s.key, FM_TENANT: 'crash-co', FM_EVENTS: '30', FM_END: 'crash', FM_SPILL: dir } })
        .then(() => 'exited', (e) => e.signal);
      expect(killed).toBe('SIGKILL');
      expect(await s.counted('crash-co')).toMatchObject({ events: 0 });
      const lines = fs.readdirSync(dir).flatMap((f) => fs.readFileSync(path.join(dir, f), 'utf8').split('\n').filter(Boolean));
      expect(lines).toHaveLength(30);

      const saved = fs.readdirSync(dir).map((f) => [f, fs.readFileSync(path.join(dir, f))] as const);
      const next = new FlagMeter({ baseUrl: s.url, apiKey: s.key, spill: dir, ...held });
      expect(next.stats()).toMatchObject({ recovered: 30, queued: 30 });
      await next.close();
      expect(await s.counted('crash-co')).toEqual({ events: 30, tokens: 465, maxPerId: 1 });
      expect(fs.readdirSync(dir)).toEqual([]); // delivered: the journal is empty
      const again = new FlagMeter({ baseUrl: s.url, apiKey: s.key, spill: dir, ...held });
      expect(again.stats().recovered).toBe(0);
      await again.close();

      // a crash after delivery but before the segment was deleted: replayed, and counted once
      for (const [f, bytes] of saved) fs.writeFileSync(path.join(dir, f), bytes);
      const replay = new FlagMeter({ baseUrl: s.url, apiKey: s.key, spill: dir, ...held });
      expect(replay.stats().recovered).toBe(30);
      await replay.close();
      expect(replay.stats()).toMatchObject({ sent: 30, duplicates: 30 });
      expect(await s.counted('crash-co')).toEqual({ events: 30, tokens: 465, maxPerId: 1 });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
