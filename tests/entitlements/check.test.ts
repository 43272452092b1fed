// POST /api/check, limits, reservations, settlement and release over HTTP, on a real database.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { startTestApp } from '../helpers/app.ts';
import { addTenants, createTestDb, type TestDb } from '../helpers/db.ts';
import type { FlagMeter } from '../../server/runtime.ts';
import { call, check, patchTenant, postEvent, release } from './helpers.ts';

let db: TestDb;
let app: FlagMeter;
let url: string;

beforeAll(async () => {
  db = await createTestDb();
  await addTenants(db.pool, [
    { slug: 'hard-co', quota: 1000 }, { slug: 'soft-co', quota: 1000 }, { slug: 'feat-co', quota: 10_000 },
    { slug: 'res-co', quota: 1000 }, { slug: 'other-co', quota: 1000 }, { slug: 'bad-co', quota: 1000 },
  ]);
  app = await startTestApp(db.url);
  url = app.url;
});
afterAll(async () => {
  await app.stop();
  await db.drop();
});

const spend = async (tenant: string, feature: string, tokens: number, extra: Record<string, unknown> = {}) => {
  const r = await postEvent(url, { tenant, feature, tokens, ...extra });
  expect(r.status).toBe(201);
  return r;
};

describe('limits in the admin API', () => {
  test('PATCH sets quotaHard and replaces featureLimits; GET tenant and the usage body show them', async () => {
    let r = await patchTenant(url, 'feat-co', { quotaHard: true, featureLimits: [{ feature: 'gpt-4o', tokens: 500, hard: true }, { feature: 'mini', tokens: 300 }] });
    expect(r.status).toBe(200);
    expect(r.body.quotaHard).toBe(true);
    expect(r.body.featureLimits).toEqual([{ feature: 'gpt-4o', tokens: 500, hard: true }, { feature: 'mini', tokens: 300, hard: false }]);
    r = await patchTenant(url, 'feat-co', { featureLimits: [{ feature: 'gpt-4o', tokens: 400, hard: true }] });
    expect(r.body.featureLimits).toEqual([{ feature: 'gpt-4o', tokens: 400, hard: true }]);
    expect((await call(url, 'GET', '/api/tenants/feat-co')).body.featureLimits).toEqual([{ feature: 'gpt-4o', tokens: 400, hard: true }]);
    await spend('feat-co', 'gpt-4o', 100);
    const usage = (await call(url, 'GET', '/api/usage/feat-co')).body;
    expect(usage.limits).toEqual([
      { feature: null, limit: 10_000, hard: true, used: 100, reserved: 0, remaining: 9900, overage: 0, percent: 1 },
      { feature: 'gpt-4o', limit: 400, hard: true, used: 100, reserved: 0, remaining: 300, overage: 0, percent: 25 },
    ]);
    const audit = await db.pool.query(`select after from flagmeter.audit_log where action = 'tenant.update' and target = 'tenant:feat-co' order by id`);
    expect(audit.rows).toHaveLength(2);
    expect(audit.rows[1].after.featureLimits).toEqual([{ feature: 'gpt-4o', tokens: 400, hard: true }]);
  });

  test('bad limits are 400 naming the field; an unknown tenant is 404', async () => {
    for (const body of [
      { quotaHard: 'yes' },
      { featureLimits: [{ feature: 'a', tokens: 0 }] },
      { featureLimits: [{ feature: 'a', tokens: 1.5 }] },
      { featureLimits: [{ feature: 'a', tokens: 10 }, { feature: 'a', tokens: 20 }] },
      { featureLimits: [{ feature: '', tokens: 10 }] },
      { featureLimits: [{ feature: 'a\u202e', tokens: 10 }] },
      { featureLimits: [{ feature: 'a', tokens: 10, extra: 1 }] },
    ]) {
      const r = await patchTenant(url, 'bad-co', body);
      expect(r.status).toBe(400);
      expect(r.body.error.details[0].field).toMatch(/^(quotaHard|featureLimits|extra)/);
    }
    expect((await patchTenant(url, 'no-such-co', { quotaHard: true })).status).toBe(404);
  });
});

describe('the check', () => {
  test('a hard quota: ok, would_exceed, then quota_exhausted once reached; events are still counted past it', async () => {
    await patchTenant(url, 'hard-co', { quotaHard: true });
    let r = await check(url, { tenant: 'hard-co', tokens: 100 });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ allowed: true, reason: 'ok', tenant: 'hard-co', feature: null, limitOn: 'quota', limit: 1000, used: 0, reserved: 0, remaining: 1000, overage: 0, hard: true });
    expect(Date.parse(r.body.periodStart)).toBeLessThanOrEqual(Date.parse(r.body.asOf));
    expect(Date.parse(r.body.periodEnd)).toBeGreaterThan(Date.parse(r.body.asOf));
    await spend('hard-co', 'x', 950);
    r = await check(url, { tenant: 'hard-co', tokens: 51 });
    expect(r.body).toMatchObject({ allowed: false, reason: 'would_exceed', used: 950, remaining: 50 });
    expect((await check(url, { tenant: 'hard-co', tokens: 50 })).body.allowed).toBe(true);
    expect((await check(url, { tenant: 'hard-co' })).body.allowed).toBe(true);
    await spend('hard-co', 'x', 80); // usage that happened is usage
    r = await check(url, { tenant: 'hard-co' });
    expect(r.body).toMatchObject({ allowed: false, reason: 'quota_exhausted', used: 1030, remaining: 0, overage: 30 });
    expect((await check(url, { tenant: 'hard-co', tokens: 1 })).body.reason).toBe('quota_exhausted');
  });

  test('soft limits never deny: past the quota and a soft feature limit, allowed with the overage shown', async () => {
    await patchTenant(url, 'soft-co', { featureLimits: [{ feature: 'gpt-4o', tokens: 100, hard: false }] });
    await spend('soft-co', 'gpt-4o', 1500);
    for (const body of [{ tenant: 'soft-co' }, { tenant: 'soft-co', tokens: 10_000 }, { tenant: 'soft-co', feature: 'gpt-4o', tokens: 5 },
      { tenant: 'soft-co', feature: 'gpt-4o', tokens: 5, reserve: true }]) {
      const r = await check(url, body);
      expect(r.body.allowed).toBe(true);
      expect(r.body.reason).toBe('ok');
      expect(r.body.hard).toBe(false);
      expect(r.body.overage).toBeGreaterThan(0);
    }
    const held = await check(url, { tenant: 'soft-co', feature: 'gpt-4o', tokens: 7, reserve: true });
    expect(held.body.reservation.tokens).toBe(7);
  });

  test('a feature limit and the quota: the feature limit decides first, the quota still applies, the tightest is shown', async () => {
    // feat-co: quota 10,000 hard, gpt-4o 400 hard; 100 used on gpt-4o
    let r = await check(url, { tenant: 'feat-co', feature: 'gpt-4o', tokens: 300 });
    expect(r.body).toMatchObject({ allowed: true, limitOn: 'feature', limit: 400, used: 100, remaining: 300 });
    r = await check(url, { tenant: 'feat-co', feature: 'gpt-4o', tokens: 301 });
    expect(r.body).toMatchObject({ allowed: false, reason: 'would_exceed', limitOn: 'feature', feature: 'gpt-4o' });
    await spend('feat-co', 'gpt-4o', 300);
    r = await check(url, { tenant: 'feat-co', feature: 'gpt-4o' });
    expect(r.body).toMatchObject({ allowed: false, reason: 'feature_limit_reached', limitOn: 'feature', used: 400, remaining: 0 });
    // other features (no limit of their own) are only under the quota, which gpt-4o's usage counts toward
    r = await check(url, { tenant: 'feat-co', feature: 'claude', tokens: 9600 });
    expect(r.body).toMatchObject({ allowed: true, limitOn: 'quota', limit: 10_000, used: 400, remaining: 9600 });
    expect((await check(url, { tenant: 'feat-co', feature: 'claude', tokens: 9601 })).body).toMatchObject({ allowed: false, reason: 'would_exceed', limitOn: 'quota' });
    // when the quota is the tighter one it decides even with room left on the feature
    await patchTenant(url, 'feat-co', { featureLimits: [{ feature: 'gpt-4o', tokens: 20_000, hard: true }] });
    await spend('feat-co', 'claude', 9600);
    r = await check(url, { tenant: 'feat-co', feature: 'gpt-4o', tokens: 1 });
    expect(r.body).toMatchObject({ allowed: false, reason: 'quota_exhausted', limitOn: 'quota', used: 10_000 });
    // a soft feature limit does not deny, but the hard quota still does
    await patchTenant(url, 'feat-co', { quotaHard: false, featureLimits: [{ feature: 'gpt-4o', tokens: 100, hard: false }] });
    expect((await check(url, { tenant: 'feat-co', feature: 'gpt-4o', tokens: 1 })).body.allowed).toBe(true);
  });

  test('bad checks: 400 naming the field, 404 for an unknown tenant', async () => {
    const bad: [unknown, string][] = [
      [{ tenant: 'bad-co', tokens: 0 }, 'tokens'], [{ tenant: 'bad-co', tokens: -5 }, 'tokens'], [{ tenant: 'bad-co', tokens: 2.5 }, 'tokens'],
      [{ tenant: 'bad-co', tokens: '10' }, 'tokens'], [{ tenant: 'bad-co', reserve: true }, 'tokens'],
      [{ tenant: 'bad-co', tokens: 5, reserve: true, reservationTtlSeconds: 0 }, 'reservationTtlSeconds'],
      [{ tenant: 'bad-co', tokens: 5, reserve: true, reservationTtlSeconds: 3601 }, 'reservationTtlSeconds'],
      [{ tenant: 'bad-co', tokens: 5, reservationTtlSeconds: 60 }, 'reservationTtlSeconds'],
      [{ tenant: 'bad-co', feature: 'a\u0000b' }, 'feature'], [{ tenant: 'Bad Co' }, 'tenant'], [{ tenant: 'bad-co', colour: 'red' }, 'colour'],
      [{ tenant: 'bad-co', reserve: 'yes', tokens: 5 }, 'reserve'],
    ];
    for (const [body, field] of bad) {
      const r = await check(url, body);
      expect([r.status, r.body.error.details?.[0]?.field]).toEqual([400, field]);
    }
    const unknown = await check(url, { tenant: 'no-such-co', tokens: 5 });
    expect([unknown.status, unknown.body.error.code]).toEqual([404, 'unknown_tenant']);
    expect((await call(url, 'POST', '/api/check', 'not json')).status).toBe(400);
  });

  test('a check with an id answers the same way when retried, reservation included; another request with that id is 409', async () => {
    await patchTenant(url, 'other-co', { quotaHard: true });
    const first = await check(url, { tenant: 'other-co', tokens: 600, reserve: true, id: 'call-1' });
    expect(first.body.reservation).toBeDefined();
    const again = await check(url, { tenant: 'other-co', tokens: 600, reserve: true, id: 'call-1' });
    expect(again.status).toBe(200);
    expect({ ...again.body, replayed: undefined }).toEqual({ ...first.body, replayed: undefined });
    expect(again.body.replayed).toBe(true);
    // only one hold was taken: 400 are left, not 0
    expect((await check(url, { tenant: 'other-co' })).body.remaining).toBe(400);
    const reused = await check(url, { tenant: 'other-co', tokens: 5, id: 'call-1' });
    expect([reused.status, reused.body.error.code]).toEqual([409, 'check_id_reused']);
    // ids are per tenant: the same id for another tenant is another check
    expect((await check(url, { tenant: 'hard-co', id: 'call-1' })).status).toBe(200);
    expect((await release(url, first.body.reservation.id)).status).toBe(200);
  });
});

describe('reservations', () => {
  test('a hold counts as reserved, is settled by its event (more than reserved shows as overage) in one transaction', async () => {
    await patchTenant(url, 'res-co', { quotaHard: true, featureLimits: [{ feature: 'gpt-4o', tokens: 500, hard: true }] });
    const r = await check(url, { tenant: 'res-co', feature: 'gpt-4o', tokens: 300, reserve: true, reservationTtlSeconds: 60 });
    expect(r.body).toMatchObject({ allowed: true, limitOn: 'feature', used: 0, reserved: 300, remaining: 200 });
    expect(Date.parse(r.body.reservation.expiresAt) - Date.parse(r.body.asOf)).toBe(60_000);
    const id = r.body.reservation.id;
    // a second hold that does not fit is refused, and nothing is held for it
    expect((await check(url, { tenant: 'res-co', feature: 'gpt-4o', tokens: 201, reserve: true })).body).toMatchObject({ allowed: false, reason: 'would_exceed', reserved: 300 });
    const settled = await postEvent(url, { tenant: 'res-co', feature: 'gpt-4o', tokens: 320, reservation: id, id: 'ev-1' });
    expect(settled.status).toBe(201);
    const after = await check(url, { tenant: 'res-co', feature: 'gpt-4o' });
    expect(after.body).toMatchObject({ used: 320, reserved: 0, remaining: 180 });
    const row = (await db.pool.query(`select status, settled_tokens, event_id from flagmeter.reservations where id = $1`, [id])).rows[0];
    expect(row).toEqual({ status: 'settled', settled_tokens: 320, event_id: settled.body.eventId });
    // the retry of the settling event is a duplicate, not a conflict
    const retry = await postEvent(url, { tenant: 'res-co', feature: 'gpt-4o', tokens: 320, reservation: id, id: 'ev-1' });
    expect([retry.status, retry.body.duplicate, retry.body.eventId]).toEqual([200, true, settled.body.eventId]);
    // another event naming it is refused and not stored
    const again = await postEvent(url, { tenant: 'res-co', feature: 'gpt-4o', tokens: 5, reservation: id });
    expect([again.status, again.body.error.code]).toEqual([409, 'reservation_settled']);
    expect((await check(url, { tenant: 'res-co', feature: 'gpt-4o' })).body.used).toBe(320);
  });

  test('release frees the hold; releasing twice, or settling a released, expired, foreign or unknown one, is refused clearly', async () => {
    const take = async (tokens: number, ttl?: number) => (await check(url, { tenant: 'res-co', tokens, reserve: true, ...(ttl ? { reservationTtlSeconds: ttl } : {}) })).body.reservation.id as string;
    const a = await take(100);
    expect((await check(url, { tenant: 'res-co' })).body.reserved).toBe(100);
    const rel = await release(url, a);
    expect(rel.status).toBe(200);
    expect(rel.body).toMatchObject({ id: a, tenant: 'res-co', tokens: 100, status: 'released' });
    expect((await check(url, { tenant: 'res-co' })).body.reserved).toBe(0);
    expect((await release(url, a)).body.error.code).toBe('reservation_released');
    const notAnId = await release(url, 'not-a-uuid');
    expect([notAnId.status, notAnId.body.error.code, notAnId.body.error.message]).toEqual([400, 'invalid_path_parameter', "The path parameter 'id' is invalid: a reservation id (a UUID)."]);
    const onReleased = await postEvent(url, { tenant: 'res-co', feature: 'x', tokens: 5, reservation: a });
    expect([onReleased.status, onReleased.body.error.code]).toEqual([409, 'reservation_released']);

    const unknown = '00000000-0000-4000-8000-000000000000';
    expect((await release(url, unknown)).status).toBe(404);
    expect((await release(url, 'nope')).status).toBe(400);
    const onUnknown = await postEvent(url, { tenant: 'res-co', feature: 'x', tokens: 5, reservation: unknown });
    expect([onUnknown.status, onUnknown.body.error.code]).toEqual([404, 'reservation_not_found']);
    expect((await postEvent(url, { tenant: 'res-co', feature: 'x', tokens: 5, reservation: 'abc' })).status).toBe(400);

    const b = await take(50);
    const foreign = await postEvent(url, { tenant: 'other-co', feature: 'x', tokens: 5, reservation: b });
    // another tenant's reservation is not found, as DELETE says: its existence is not told
    expect([foreign.status, foreign.body.error.code]).toEqual([404, 'reservation_not_found']);
    expect(foreign.body.error.details).toEqual([{ field: 'reservation', message: `no such reservation (for this tenant) (${b})` }]);
    const wrongFeature = await check(url, { tenant: 'res-co', feature: 'gpt-4o', tokens: 10, reserve: true });
    const mismatch = await postEvent(url, { tenant: 'res-co', feature: 'claude', tokens: 5, reservation: wrongFeature.body.reservation.id });
    expect([mismatch.status, mismatch.body.error.code]).toEqual([409, 'reservation_feature_mismatch']);

    const c = await take(70, 1);
    await new Promise((r) => setTimeout(r, 1100));
    // lapsed: no longer counted, even before the sweep marks it
    expect((await check(url, { tenant: 'res-co' })).body.reserved).toBe(60);
    const onExpired = await postEvent(url, { tenant: 'res-co', feature: 'x', tokens: 5, reservation: c });
    expect([onExpired.status, onExpired.body.error.code]).toEqual([409, 'reservation_expired']);
    expect((await release(url, c)).body.error.code).toBe('reservation_expired');
    // a batch with one bad reservation is refused whole, with the index
    const batch = await postEvent(url, [{ tenant: 'res-co', feature: 'x', tokens: 1 }, { tenant: 'res-co', feature: 'x', tokens: 1, reservation: c }]);
    expect([batch.status, batch.body.error.details]).toEqual([409, [{ index: 1, field: 'reservation', message: expect.stringContaining('expired') }]]);
    // nothing of the refused requests was stored
    const { rows } = await db.pool.query(`select coalesce(sum(tokens), 0)::int as n from flagmeter.events e join flagmeter.tenants t on t.id = e.tenant_id where t.slug = 'res-co' and feature in ('x', 'claude')`);
    expect(rows[0].n).toBe(0);
    // the sweep marks it
    const tick = await db.pool.query(`select flagmeter.tick_entitlements() as r`);
    expect(tick.rows[0].r.reservationsExpired).toBeGreaterThanOrEqual(1);
    expect((await db.pool.query(`select status from report.reservations where id = $1`, [c])).rows[0].status).toBe('expired');
    await release(url, b);
    await release(url, wrongFeature.body.reservation.id);
  });

  test('report.entitlements and report.reservations for psql; metrics count checks by reason and holds outstanding', async () => {
    const held = await check(url, { tenant: 'res-co', feature: 'gpt-4o', tokens: 40, reserve: true });
    const { rows } = await db.pool.query(`select feature, limit_tokens, used, reserved, remaining, overage, hard from report.entitlements where tenant = 'res-co' order by feature nulls first`);
    expect(rows).toEqual([
      { feature: null, limit_tokens: 1000, used: 320, reserved: 40, remaining: 640, overage: 0, hard: true },
      { feature: 'gpt-4o', limit_tokens: 500, used: 320, reserved: 40, remaining: 140, overage: 0, hard: true },
    ]);
    const res = await db.pool.query(`select tenant, feature, tokens, status from report.reservations where id = $1`, [held.body.reservation.id]);
    expect(res.rows).toEqual([{ tenant: 'res-co', feature: 'gpt-4o', tokens: 40, status: 'open' }]);
    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(metrics).toMatch(/flagmeter_entitlement_checks_total\{reason="ok"\} [1-9]/);
    expect(metrics).toMatch(/flagmeter_entitlement_checks_total\{reason="would_exceed"\} [1-9]/);
    expect(metrics).toMatch(/flagmeter_reservations_outstanding [1-9]/);
    await release(url, held.body.reservation.id);
  });
});
