// The guarantees under load, with two FlagMeter servers on one database: no over-commit of a hard
// limit by 200 concurrent reservations (sampled while they run, then through settle, release and
// expiry), and read-your-writes over 1,000 alternations of "event, then check".
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { startTestApp } from '../helpers/app.ts';
import { addTenants, createTestDb, type TestDb } from '../helpers/db.ts';
import type { FlagMeter } from '../../server/runtime.ts';
import { check, patchTenant, postEvent, release } from './helpers.ts';

let db: TestDb;
let a: FlagMeter;
let b: FlagMeter;

beforeAll(async () => {
  db = await createTestDb();
  await addTenants(db.pool, [{ slug: 'race-co', quota: 11_000 }, { slug: 'ryw-co', quota: 1_000_000_000 }, { slug: 'sql-race-co', quota: 2000 }]);
  a = await startTestApp(db.url);
  b = await startTestApp(db.url);
});
afterAll(async () => {
  await Promise.all([a.stop(), b.stop()]);
  await db.drop();
});

/** Samples used + reserved of the tenant's quota on its own connection until stopped; returns every sample. */
function sampler(tenant: string) {
  const samples: number[] = [];
  let running = true;
  const done = (async () => {
    const client = await db.pool.connect();
    try {
      while (running) {
        const { rows: [r] } = await client.query(`select used + reserved as total from report.entitlements where tenant = $1 and feature is null`, [tenant]);
        samples.push(r.total);
      }
    } finally {
      client.release();
    }
  })();
  return { samples, stop: async () => { running = false; await done; return samples; } };
}

const figures = async (tenant: string) => (await db.pool.query(
  `select used, reserved from report.entitlements where tenant = $1 and feature is null`, [tenant])).rows[0];

test('200 concurrent "reserve 10" with 1,000 left, across two servers: exactly 100 granted; settle, release and expiry end exact', async () => {
  expect((await patchTenant(a.url, 'race-co', { quotaHard: true })).status).toBe(200);
  expect((await postEvent(a.url, { tenant: 'race-co', feature: 'seed', tokens: 10_000 })).status).toBe(201);
  const TTL = 8;
  const s = sampler('race-co');
  const answers = await Promise.all(Array.from({ length: 200 }, (_, i) =>
    check(i % 2 ? a.url : b.url, { tenant: 'race-co', feature: 'gpt-4o', tokens: 10, reserve: true, reservationTtlSeconds: TTL })));
  expect(answers.map((r) => r.status)).toEqual(Array(200).fill(200));
  const granted = answers.filter((r) => r.body.allowed);
  expect(granted).toHaveLength(100);
  expect(granted.every((r) => r.body.reservation?.tokens === 10)).toBe(true);
  expect(answers.filter((r) => !r.body.allowed).every((r) => ['quota_exhausted', 'would_exceed'].includes(r.body.reason))).toBe(true);
  // each grant saw every grant before it: the reserved figures it answered are 10, 20, …, 1,000
  expect(granted.map((r) => r.body.reserved).sort((x, y) => x - y)).toEqual(Array.from({ length: 100 }, (_, i) => (i + 1) * 10));
  expect(await figures('race-co')).toEqual({ used: 10_000, reserved: 1000 });

  const ids = granted.map((r) => r.body.reservation.id as string);
  const toRelease = ids.slice(0, 30), overSettle = ids.slice(30, 50), underSettle = ids.slice(50, 70);
  // release first (frees 300), then settle 40 concurrently (+5 or −5 against the hold each), via both servers
  const released = await Promise.all(toRelease.map((id, i) => release(i % 2 ? a.url : b.url, id)));
  expect(released.map((r) => r.status)).toEqual(Array(30).fill(200));
  const settled = await Promise.all([
    ...overSettle.map((id, i) => postEvent(i % 2 ? a.url : b.url, { tenant: 'race-co', feature: 'gpt-4o', tokens: 15, reservation: id })),
    ...underSettle.map((id, i) => postEvent(i % 2 ? b.url : a.url, { tenant: 'race-co', feature: 'gpt-4o', tokens: 5, reservation: id })),
  ]);
  expect(settled.map((r) => r.status)).toEqual(Array(40).fill(201));
  expect(await figures('race-co')).toEqual({ used: 10_400, reserved: 300 });
  // the other 30 lapse: no longer counted once expired, then swept by the minute job
  const lapse = Date.parse(granted[0]!.body.reservation.expiresAt);
  await new Promise((r) => setTimeout(r, Math.max(0, lapse - Date.now()) + 1500));
  expect(await figures('race-co')).toEqual({ used: 10_400, reserved: 0 });
  const samples = await s.stop();
  const swept = await db.pool.query(`select flagmeter.tick_entitlements() as r`);
  expect(swept.rows[0].r.reservationsExpired).toBe(30);
  const { rows } = await db.pool.query(
    `select status, count(*)::int as n, sum(coalesce(settled_tokens, 0))::int as settled from flagmeter.reservations r
     join flagmeter.tenants t on t.id = r.tenant_id where t.slug = 'race-co' group by 1 order by 1`);
  expect(rows).toEqual([{ status: 'expired', n: 30, settled: 0 }, { status: 'released', n: 30, settled: 0 }, { status: 'settled', n: 40, settled: 400 }]);
  // meanwhile: never over the limit, and it was sampled while the race ran
  expect(samples.length).toBeGreaterThan(20);
  expect(Math.max(...samples)).toBeLessThanOrEqual(11_000);
  expect(samples).toContain(11_000);
  expect((await check(a.url, { tenant: 'race-co' })).body).toMatchObject({ used: 10_400, reserved: 0, remaining: 600 });
}, 60_000);

test('read-your-writes: 1,000 alternations of "post an event (201), check" across two servers; every check counts every event before it', async () => {
  let total = 0;
  const misses: number[] = [];
  for (let i = 0; i < 1000; i++) {
    const tokens = 1 + (i % 7);
    const posted = await postEvent(i % 2 ? a.url : b.url, { tenant: 'ryw-co', feature: i % 3 ? 'gpt-4o' : 'mini', tokens });
    expect(posted.status).toBe(201);
    total += tokens;
    const answer = await check(i % 2 ? b.url : a.url, { tenant: 'ryw-co', tokens: 1 });
    if (answer.body.used !== total) misses.push(i);
  }
  expect(misses).toEqual([]);
}, 120_000);

test('the same race in SQL alone: 200 concurrent check_entitlement() calls on 20 connections, feature limit 1,000 hard → exactly 100 holds', async () => {
  await db.pool.query(`update flagmeter.tenants set quota_hard = true where slug = 'sql-race-co'`);
  await db.pool.query(`insert into flagmeter.feature_limits (tenant_id, feature, tokens, hard) select id, 'gpt-4o', 1000, true from flagmeter.tenants where slug = 'sql-race-co'`);
  const answers = await Promise.all(Array.from({ length: 200 }, () => db.pool.query(
    `select flagmeter.check_entitlement('sql-race-co', 'gpt-4o', 10, true, 60, null, '{}') as a`).then((r) => r.rows[0].a)));
  expect(answers.filter((a) => a.allowed)).toHaveLength(100);
  expect(answers.filter((a) => !a.allowed).every((a) => a.limitOn === 'feature')).toBe(true);
  const { rows } = await db.pool.query(`select feature, reserved from report.entitlements where tenant = 'sql-race-co' order by feature nulls first`);
  expect(rows).toEqual([{ feature: null, reserved: 1000 }, { feature: 'gpt-4o', reserved: 1000 }]);
});
