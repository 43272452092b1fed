// @flagmeter/sdk's delivery against a real FlagMeter: batches, idempotent retries (an answer lost
// after the commit is retried and counted once), a server restarted mid-stream, 429 + Retry-After,
// and events the server refuses for good.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { FlagMeter, EventsRejectedError, type FlagMeterError, type RetryInfo } from '../../sdk/node/src/index.ts';
import { startSdkServer, type SdkServer } from './harness.ts';
import { startProxy } from './proxy.ts';

let s: SdkServer;
beforeAll(async () => {
  s = await startSdkServer([{ slug: 'batch-co' }, { slug: 'lost-co' }, { slug: 'restart-co' }, { slug: 'bad-co' }, { slug: 'ids-co' }]);
});
afterAll(async () => {
  await s.stop();
});

const fast = { initialDelayMs: 20, maxDelayMs: 200 };

describe('batches', () => {
  test('track() queues, a full batch is sent at once, flush() sends the rest; every event carries an id', async () => {
    const fm = new FlagMeter({ baseUrl: s.url, apiKey: s.key, batchSize: 10, flushIntervalMs: 60_000 });
    const ids = await Promise.all(Array.from({ length: 25 }, (_, i) => fm.track({ tenant: 'batch-co', feature: 'gpt-4o', tokens: i + 1, user: `u${i % 3}` })));
    expect(new Set(ids).size).toBe(25);
    await fm.flush();
    expect(await s.counted('batch-co')).toEqual({ events: 25, tokens: 325, maxPerId: 1 });
    expect(fm.stats()).toMatchObject({ accepted: 25, sent: 25, duplicates: 0, queued: 0, rejected: 0 });
    const { rows } = await s.db.pool.query(`select idempotency_key from flagmeter.events e join flagmeter.tenants t on t.id = e.tenant_id where t.slug = 'batch-co'`);
    expect(new Set(rows.map((r) => r.idempotency_key))).toEqual(new Set(ids));
    await fm.close();
  });

  test('a caller-chosen id is kept: tracking it twice counts once', async () => {
    const fm = new FlagMeter({ baseUrl: s.url, apiKey: s.key, flushIntervalMs: 60_000 });
    await fm.track({ tenant: 'ids-co', feature: 'f', tokens: 7, id: 'request-1' });
    await fm.flush();
    await fm.track({ tenant: 'ids-co', feature: 'f', tokens: 7, id: 'request-1' });
    await fm.close();
    expect(await s.counted('ids-co')).toEqual({ events: 1, tokens: 7, maxPerId: 1 });
    expect(fm.stats()).toMatchObject({ sent: 2, duplicates: 1 });
  });

  test('invalid events are refused by track() itself', () => {
    const fm = new FlagMeter({ baseUrl: s.url, flushOnExit: false });
    expect(() => fm.track({ tenant: 'batch-co', feature: 'f', tokens: 0 })).toThrow(TypeError);
    expect(() => fm.track({ tenant: 'batch-co', feature: 'f', tokens: 1.5 })).toThrow(/positive integer/);
    expect(() => fm.track({ tenant: '', feature: 'f', tokens: 1 })).toThrow(/tenant/);
    expect(fm.stats().accepted).toBe(0);
  });
});

describe('retries', () => {
  test('a batch whose answer is lost after the commit is sent again and counted once', async () => {
    const proxy = await startProxy(s.url);
    const retries: RetryInfo[] = [];
    const fm = new FlagMeter({ baseUrl: proxy.url, apiKey: s.key, flushIntervalMs: 60_000, retry: fast, onRetry: (r) => retries.push(r) });
    proxy.loseReplies(2);
    for (let i = 0; i < 50; i++) void fm.track({ tenant: 'lost-co', feature: 'gpt-4o', tokens: 10 });
    await fm.close();
    await proxy.close();
    expect(proxy.seen.filter((p) => p === 'POST /api/events')).toHaveLength(3);
    expect(retries.map((r) => r.status)).toEqual([undefined, undefined]);
    expect(await s.counted('lost-co')).toEqual({ events: 50, tokens: 500, maxPerId: 1 });
    expect(fm.stats()).toMatchObject({ sent: 50, duplicates: 50, retries: 2 });
  });

  test('a server restarted mid-stream loses nothing and counts nothing twice', async () => {
    const fm = new FlagMeter({ baseUrl: s.url, apiKey: s.key, batchSize: 20, flushIntervalMs: 5, retry: fast });
    let tracked = 0;
    const track = async (n: number) => {
      for (let i = 0; i < n; i++) {
        await fm.track({ tenant: 'restart-co', feature: 'gpt-4o', tokens: 3 });
        tracked++;
        if (i % 10 === 0) await new Promise((r) => setTimeout(r, 1));
      }
    };
    await track(200);
    const stopping = s.app.stop();
    await track(200); // sent into the stop and the outage
    await stopping;
    await track(100);
    expect(fm.stats().retries).toBeGreaterThan(0);
    await s.restart();
    await track(100);
    await fm.close(20_000);
    expect(tracked).toBe(600);
    expect(await s.counted('restart-co')).toEqual({ events: 600, tokens: 1800, maxPerId: 1 });
    expect(fm.stats()).toMatchObject({ accepted: 600, sent: 600, rejected: 0, queued: 0 });
  });
});

describe('events refused for good', () => {
  test('an event of an unknown tenant is reported and dropped from its batch; the rest of the batch is counted', async () => {
    const errors: FlagMeterError[] = [];
    const fm = new FlagMeter({ baseUrl: s.url, apiKey: s.key, flushIntervalMs: 60_000, onError: (e) => errors.push(e) });
    await fm.track({ tenant: 'bad-co', feature: 'f', tokens: 5 });
    await fm.track({ tenant: 'no-such-co', feature: 'f', tokens: 5 });
    await fm.track({ tenant: 'bad-co', feature: 'f', tokens: 6 });
    await fm.close();
    expect(await s.counted('bad-co')).toEqual({ events: 2, tokens: 11, maxPerId: 1 });
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(EventsRejectedError);
    expect((errors[0] as EventsRejectedError).events).toMatchObject([{ tenant: 'no-such-co' }]);
    expect(fm.stats()).toMatchObject({ sent: 2, rejected: 1 });
  });

  test('a wrong key: every event reported as refused (401), nothing retried', async () => {
    const errors: FlagMeterError[] = [];
    const fm = new FlagMeter({ baseUrl: s.url, apiKey: `fm_live_wrongwrong01_${'W'.repeat(32)}`, flushIntervalMs: 60_000, onError: (e) => errors.push(e) });
    await fm.track({ tenant: 'bad-co', feature: 'f', tokens: 5 });
    await fm.close();
    expect(errors.map((e) => (e as EventsRejectedError).status)).toEqual([401]);
    expect(fm.stats()).toMatchObject({ rejected: 1, retries: 0 });
  });
});
