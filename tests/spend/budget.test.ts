// Budgets in money: a hard monthly budget refuses exactly at its limit under 200 concurrent
// reservations across two servers (each priced at the feature's plain price in force), a soft one
// only shows its figures, and the budget is set by admins (audited) and shown in the usage answer.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { startTestApp } from '../helpers/app.ts';
import { addTenants, createTestDb, type TestDb } from '../helpers/db.ts';
import { call, check, postEvent, release } from '../entitlements/helpers.ts';
import type { FlagMeter } from '../../server/runtime.ts';

let db: TestDb;
let a: FlagMeter;
let b: FlagMeter;

beforeAll(async () => {
  db = await createTestDb();
  const ids = await addTenants(db.pool, [{ slug: 'race-co', quota: 1_000_000_000 }, { slug: 'soft-co' }]);
  // m-budget: 10 per million plain tokens (0.00001 a token) for race-co; 20 for everyone else
  await db.pool.query(`insert into flagmeter.prices (model, currency, effective_from, input, output, cached, plain) values ('m-budget', 'USD', '2000-01-01', 20, 20, 20, 20)`);
  await db.pool.query(`insert into flagmeter.tenant_prices (tenant_id, model, effective_from, input, output, cached, plain) values ($1, 'm-budget', '2000-01-01', 10, 40, 1, 10)`, [ids['race-co']]);
  a = await startTestApp(db.url);
  b = await startTestApp(db.url);
});
afterAll(async () => {
  await Promise.all([a.stop(), b.stop()]);
  await db.drop();
});

const budget = (base: string, tenant: string, body: unknown) => call(base, 'PUT', `/api/tenants/${tenant}/budget`, body);
const figures = async (tenant: string) => (await db.pool.query(`
  select trim_scale(f.used)::text as used, trim_scale(f.reserved)::text as reserved
  from flagmeter.tenants t cross join lateral flagmeter.budget_figures(t.id, t.timezone, t.billing_day, now()) f where t.slug = $1`, [tenant])).rows[0];

describe('a hard budget in money', () => {
  test('200 concurrent "reserve 1,000 tokens" (0.01 each) with 0.5 left, across two servers: exactly 50 granted', async () => {
    expect((await budget(a.url, 'race-co', { monthlyBudget: '1.5', hard: true })).body).toEqual({ tenant: 'race-co', currency: 'USD', monthlyBudget: '1.5', hard: true });
    // 100,000 plain tokens at 10 per million: 1.00 used
    expect((await postEvent(a.url, { tenant: 'race-co', feature: 'm-budget', tokens: 100_000 })).status).toBe(201);
    expect(await figures('race-co')).toEqual({ used: '1', reserved: '0' });

    const answers = await Promise.all(Array.from({ length: 200 }, (_, i) =>
      check(i % 2 ? a.url : b.url, { tenant: 'race-co', feature: 'm-budget', tokens: 1000, reserve: true, reservationTtlSeconds: 60 })));
    expect(answers.map((r) => r.status)).toEqual(Array(200).fill(200));
    const granted = answers.filter((r) => r.body.allowed);
    expect(granted).toHaveLength(50);
    expect(answers.filter((r) => !r.body.allowed).every((r) => ['budget_exhausted', 'budget_would_exceed'].includes(r.body.reason))).toBe(true);
    // each grant saw every grant before it: the money reserved it answered is 0.01, 0.02, …, 0.5
    expect(granted.map((r) => Number(r.body.budget.reserved)).sort((x, y) => x - y)).toEqual(Array.from({ length: 50 }, (_, i) => Number(((i + 1) / 100).toFixed(2))));
    expect(granted[0]!.body.budget).toMatchObject({ limit: '1.5', estimate: '0.01', currency: 'USD', hard: true });
    expect(await figures('race-co')).toEqual({ used: '1', reserved: '0.5' });

    // full: even one token more is refused; releasing one hold makes room for exactly one
    expect((await check(a.url, { tenant: 'race-co', feature: 'm-budget', tokens: 1 })).body).toMatchObject({ allowed: false, reason: 'budget_exhausted' });
    expect((await release(b.url, granted[0]!.body.reservation.id)).status).toBe(200);
    expect((await check(a.url, { tenant: 'race-co', feature: 'm-budget', tokens: 1001 })).body).toMatchObject({ allowed: false, reason: 'budget_would_exceed', budget: { remaining: '0.01', estimate: '0.01001' } });
    expect((await check(a.url, { tenant: 'race-co', feature: 'm-budget', tokens: 1000 })).body).toMatchObject({ allowed: true, budget: { remaining: '0.01', estimate: '0.01' } });

    // settling holds with events counts their real cost (parts priced apart) and ends the holds
    const hold = granted[1]!.body.reservation.id;
    expect((await postEvent(a.url, { tenant: 'race-co', feature: 'm-budget', inputTokens: 500, outputTokens: 400, cachedTokens: 100, reservation: hold })).status).toBe(201);
    // 500 x 10 + 400 x 40 + 100 x 1 = 21,100 per million = 0.0211; one hold of 0.01 fewer
    expect(await figures('race-co')).toEqual({ used: '1.0211', reserved: '0.48' });
  }, 60_000);

  test('the usage answer shows the budget against the period\'s cost', async () => {
    const usage = (await call(a.url, 'GET', '/api/usage/race-co')).body;
    expect(usage.budget).toEqual({ limit: '1.5', used: usage.totalCost, percent: 68.07, hard: true });
  });
});

describe('a soft budget, and none', () => {
  test('a soft budget never denies but answers its figures; without one the answer has none', async () => {
    expect((await budget(a.url, 'soft-co', { monthlyBudget: 0.001 })).body).toEqual({ tenant: 'soft-co', currency: 'USD', monthlyBudget: '0.001', hard: false });
    const r = await check(a.url, { tenant: 'soft-co', feature: 'm-budget', tokens: 1_000_000 });
    expect(r.body).toMatchObject({ allowed: true, reason: 'ok', budget: { limit: '0.001', estimate: '20', remaining: '0.001', hard: false } });
    // no feature: nothing to price, estimate 0
    expect((await check(a.url, { tenant: 'soft-co', tokens: 5 })).body.budget.estimate).toBe('0');
    expect((await budget(a.url, 'soft-co', { monthlyBudget: null, hard: true })).body).toEqual({ tenant: 'soft-co', currency: 'USD', monthlyBudget: null, hard: false });
    expect((await check(a.url, { tenant: 'soft-co', feature: 'm-budget', tokens: 5 })).body).not.toHaveProperty('budget');
    const { rows } = await db.pool.query(`select after from flagmeter.audit_log where action = 'tenant.budget' and target = 'tenant:soft-co' order by id`);
    expect(rows.map((x) => x.after.monthlyBudget)).toEqual(['0.001', null]);
  });

  test('a bad budget is refused', async () => {
    for (const monthlyBudget of [0, -1, '1.0000001', 'lots']) expect((await budget(a.url, 'soft-co', { monthlyBudget })).status).toBe(400);
    expect((await budget(a.url, 'nobody', { monthlyBudget: 1 })).status).toBe(404);
  });
});
