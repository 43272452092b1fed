// check / reserve / settle / release / guard from @flagmeter/sdk against a real FlagMeter, and the
// client's fail mode when FlagMeter cannot be reached.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { FlagMeter, EntitlementDeniedError, FlagMeterUnavailableError } from '../../sdk/node/src/index.ts';
import { freePort } from '../helpers/net.ts';
import { startSdkServer, type SdkServer } from './harness.ts';
import { startProxy } from './proxy.ts';

let s: SdkServer;
let fm: FlagMeter;
beforeAll(async () => {
  s = await startSdkServer([{ slug: 'hard-co', quota: 1000 }, { slug: 'res-co', quota: 1000 }, { slug: 'guard-co', quota: 1000 }, { slug: 'retry-co', quota: 1000 }]);
  for (const slug of ['hard-co', 'res-co', 'guard-co', 'retry-co']) expect((await s.admin('PATCH', `/api/tenants/${slug}`, { quotaHard: true })).status).toBe(200);
  fm = new FlagMeter({ baseUrl: s.url, apiKey: s.key, flushIntervalMs: 60_000, flushOnExit: false });
});
afterAll(async () => {
  await fm.close();
  await s.stop();
});

const reserved = async (tenant: string) => (await fm.check(tenant)).reserved;

describe('check', () => {
  test('allowed while it fits, would_exceed when it does not', async () => {
    expect(await fm.check('hard-co', 100)).toMatchObject({ allowed: true, reason: 'ok', limit: 1000, remaining: 1000 });
    await fm.track({ tenant: 'hard-co', feature: 'gpt-4o', tokens: 950 });
    await fm.flush();
    expect(await fm.check('hard-co', 100)).toMatchObject({ allowed: false, reason: 'would_exceed', used: 950, remaining: 50 });
    expect(await fm.check('hard-co', 10, { feature: 'gpt-4o' })).toMatchObject({ allowed: true, feature: 'gpt-4o' });
  });
});

describe('reserve, settle, release', () => {
  test('settle() counts the real tokens and ends the hold in one go', async () => {
    const r = await fm.reserve('res-co', 300, { feature: 'gpt-4o', user: 'alice' });
    expect(r.allowed).toBe(true);
    expect(r.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(await reserved('res-co')).toBe(300);
    await r.settle(120);
    expect(await reserved('res-co')).toBe(0);
    expect(await s.counted('res-co')).toMatchObject({ events: 1, tokens: 120 });
    const { rows } = await s.db.pool.query(`select status from flagmeter.reservations where id = $1::uuid`, [r.id]);
    expect(rows[0].status).toBe('settled');
    await expect(r.settle(1)).rejects.toThrow(/already settled/);
  });

  test('release() gives the tokens back; a second release is false', async () => {
    const r = await fm.reserve('res-co', 400, { feature: 'gpt-4o' });
    expect(await reserved('res-co')).toBe(400);
    expect(await r.release()).toBe(true);
    expect(await reserved('res-co')).toBe(0);
    expect(await r.release()).toBe(false);
  });

  test('a denied reservation holds nothing', async () => {
    const r = await fm.reserve('res-co', 5000, { feature: 'gpt-4o' });
    expect(r).toMatchObject({ allowed: false, id: undefined });
    expect(r.answer.reason).toBe('would_exceed');
  });

  test('a check whose answer was lost is retried with its id: one hold, not two', async () => {
    const proxy = await startProxy(s.url);
    const viaProxy = new FlagMeter({ baseUrl: proxy.url, apiKey: s.key, flushOnExit: false, retry: { initialDelayMs: 10, maxDelayMs: 50 } });
    proxy.loseReplies(1);
    const r = await viaProxy.reserve('retry-co', 200, { feature: 'gpt-4o' });
    expect(r.answer.replayed).toBe(true);
    expect(await reserved('retry-co')).toBe(200);
    expect(await r.release()).toBe(true);
    await viaProxy.close();
    await proxy.close();
  });
});

describe('guard', () => {
  test('runs the call and settles with the usage of its result', async () => {
    const result = await fm.guard('guard-co', 200, async () => ({ model: 'gpt-4o', usage: { prompt_tokens: 30, completion_tokens: 12, total_tokens: 42 } }));
    expect(result.usage.total_tokens).toBe(42);
    expect(await s.counted('guard-co')).toMatchObject({ events: 1, tokens: 42 });
    const { rows } = await s.db.pool.query(`select feature from flagmeter.events e join flagmeter.tenants t on t.id = e.tenant_id where t.slug = 'guard-co'`);
    expect(rows).toEqual([{ feature: 'gpt-4o' }]);
    expect(await reserved('guard-co')).toBe(0);
  });

  test('releases the hold when the call throws, and rethrows', async () => {
    await expect(fm.guard('guard-co', 200, async () => { throw new Error('model down'); }, { feature: 'gpt-4o' })).rejects.toThrow('model down');
    expect(await reserved('guard-co')).toBe(0);
    expect(await s.counted('guard-co')).toMatchObject({ events: 1 });
  });

  test('denied: throws EntitlementDeniedError and never calls the function', async () => {
    let called = false;
    const denied = fm.guard('guard-co', 5000, () => { called = true; }, { feature: 'gpt-4o' });
    await expect(denied).rejects.toBeInstanceOf(EntitlementDeniedError);
    expect(called).toBe(false);
  });
});

describe('FlagMeter unreachable', () => {
  test("failMode 'closed' (the default) throws; 'open' answers allowed, reason unverified, and settles by tracking", async () => {
    const nowhere = `http://127.0.0.1:${await freePort()}`;
    const closed = new FlagMeter({ baseUrl: nowhere, flushOnExit: false, checkRetries: 1, retry: { initialDelayMs: 5, maxDelayMs: 10 } });
    await expect(closed.check('hard-co', 1)).rejects.toBeInstanceOf(FlagMeterUnavailableError);
    await expect(closed.guard('hard-co', 1, () => 'x', { feature: 'f' })).rejects.toBeInstanceOf(FlagMeterUnavailableError);
    const open = new FlagMeter({ baseUrl: nowhere, flushOnExit: false, checkRetries: 1, failMode: 'open', retry: { initialDelayMs: 5, maxDelayMs: 10 } });
    expect(await open.check('hard-co', 1)).toMatchObject({ allowed: true, reason: 'unverified', limit: null, used: null });
    const r = await open.reserve('hard-co', 10, { feature: 'f' });
    expect(r).toMatchObject({ allowed: true, id: undefined });
    await r.settle(10); // cannot be posted now: queued for the background sender instead
    expect(open.stats()).toMatchObject({ accepted: 1, queued: 1 });
    expect(closed.stats().accepted).toBe(0);
    await closed.close();
    await open.close(50).catch(() => {});
  });
});
