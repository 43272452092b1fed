// Per-feature limits in money: set through PATCH /api/tenants/:tenant (tokens or monthlyBudget,
// one of the two), a hard one refuses exactly at its limit under 200 concurrent reservations
// across two servers (each priced at the feature's plain price in force), a soft one only shows its
// figures, and the usage answer shows each money limit with used, reserved and percent.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { startTestApp } from '../helpers/app.ts';
import { addTenants, createTestDb, type TestDb } from '../helpers/db.ts';
import { call, check, patchTenant, postEvent, release } from '../entitlements/helpers.ts';
import type { FlagMeter } from '../../server/runtime.ts';

let db: TestDb;
let a: FlagMeter;
let b: FlagMeter;

beforeAll(async () => {
  db = await createTestDb();
  const ids = await addTenants(db.pool, [{ slug: 'race-co', quota: 1_000_000_000 }, { slug: 'soft-co' }, { slug: 'both-co', quota: 1_000_000_000 }]);
  // m-lim: 10 per million plain tokens (0.00001 a token) for race-co; 20 for everyone else
  await db.pool.query(`insert into flagmeter.prices (model, currency, effective_from, input, output, cached, plain) values ('m-lim', 'USD', '2000-01-01', 20, 20, 20, 20), ('m-other', 'USD', '2000-01-01', 20, 20, 20, 20)`);
  await db.pool.query(`insert into flagmeter.tenant_prices (tenant_id, model, effective_from, input, output, cached, plain) values ($1, 'm-lim', '2000-01-01', 10, 40, 1, 10)`, [ids['race-co']]);
  a = await startTestApp(db.url);
  b = await startTestApp(db.url);
});
afterAll(async () => {
  await Promise.all([a.stop(), b.stop()]);
  await db.drop();
});

const figures = async (tenant: string, feature: string) => (await db.pool.query(`
  select trim_scale(f.used)::text as used, trim_scale(f.reserved)::text as reserved
  from flagmeter.tenants t cross join lateral flagmeter.feature_budget_figures(t.id, t.timezone, t.billing_day, $2, now()) f
  where t.slug = $1`, [tenant, feature])).rows[0];

describe('setting a feature limit in money', () => {
  test('tokens or monthlyBudget, exactly one; the settings answer gives it back in the same shape', async () => {
    const limits = [{ feature: 'm-lim', monthlyBudget: '1.50', hard: true }, { feature: 'm-tok', tokens: 500 }];
    const r = await patchTenant(a.url, 'race-co', { featureLimits: limits });
    expect(r.status).toBe(200);
    expect(r.body.featureLimits).toEqual([{ feature: 'm-lim', monthlyBudget: '1.5', hard: true }, { feature: 'm-tok', tokens: 500, hard: false }]);
    // what GET answers can be sent back as it is
    const got = (await call(a.url, 'GET', '/api/tenants/race-co')).body.featureLimits;
    expect((await patchTenant(a.url, 'race-co', { featureLimits: got })).body.featureLimits).toEqual(got);
    const { rows } = await db.pool.query(`select feature, tokens, monthly_budget::text as budget from flagmeter.feature_limits order by feature`);
    expect(rows).toEqual([{ feature: 'm-lim', tokens: null, budget: '1.500000' }, { feature: 'm-tok', tokens: 500, budget: null }]);
  });

  test('both, neither, and bad amounts are refused, naming the field', async () => {
    const bad: [unknown, string, RegExp][] = [
      [{ feature: 'x', tokens: 5, monthlyBudget: '1' }, 'featureLimits.0.monthlyBudget', /exactly one/],
      [{ feature: 'x', hard: true }, 'featureLimits.0.tokens', /tokens or monthlyBudget/],
      [{ feature: 'x', monthlyBudget: '0' }, 'featureLimits.0.monthlyBudget', /greater than 0/],
      [{ feature: 'x', monthlyBudget: '1.0000001' }, 'featureLimits.0.monthlyBudget', /6 after/],
      [{ feature: 'x', monthlyBudget: 'lots' }, 'featureLimits.0.monthlyBudget', /greater than 0/],
      [{ feature: 'x', monthlyBudget: -2 }, 'featureLimits.0.monthlyBudget', /greater than 0/],
    ];
    for (const [limit, field, message] of bad) {
      const r = await patchTenant(a.url, 'soft-co', { featureLimits: [limit] });
      expect([r.status, r.body.error.details[0].field]).toEqual([400, field]);
      expect(r.body.error.details[0].message).toMatch(message);
    }
    expect((await db.pool.query(`select count(*)::int as n from flagmeter.feature_limits fl join flagmeter.tenants t on t.id = fl.tenant_id where t.slug = 'soft-co'`)).rows[0].n).toBe(0);
  });
});

describe('a hard feature limit in money', () => {
  test('200 concurrent "reserve 1,000 tokens" (0.01 each) with 0.5 left, across two servers: exactly 50 granted', async () => {
    // 100,000 plain tokens at 10 per million: 1.00 used on m-lim; m-other's spend is not m-lim's
    expect((await postEvent(a.url, { tenant: 'race-co', feature: 'm-lim', tokens: 100_000 })).status).toBe(201);
    expect((await postEvent(a.url, { tenant: 'race-co', feature: 'm-other', tokens: 100_000 })).status).toBe(201);
    expect(await figures('race-co', 'm-lim')).toEqual({ used: '1', reserved: '0' });

    const answers = await Promise.all(Array.from({ length: 200 }, (_, i) =>
      check(i % 2 ? a.url : b.url, { tenant: 'race-co', feature: 'm-lim', tokens: 1000, reserve: true, reservationTtlSeconds: 60 })));
    expect(answers.map((r) => r.status)).toEqual(Array(200).fill(200));
    const granted = answers.filter((r) => r.body.allowed);
    expect(granted).toHaveLength(50);
    expect(answers.filter((r) => !r.body.allowed).every((r) => ['feature_budget_exhausted', 'feature_budget_would_exceed'].includes(r.body.reason))).toBe(true);
    // each grant saw every grant before it: the money reserved it answered is 0.01, 0.02, …, 0.5
    expect(granted.map((r) => Number(r.body.featureBudget.reserved)).sort((x, y) => x - y)).toEqual(Array.from({ length: 50 }, (_, i) => Number(((i + 1) / 100).toFixed(2))));
    expect(granted[0]!.body).toMatchObject({ limitOn: 'quota', featureBudget: { feature: 'm-lim', limit: '1.5', used: '1', estimate: '0.01', currency: 'USD', hard: true } });
    expect(granted[0]!.body).not.toHaveProperty('budget');
    expect(await figures('race-co', 'm-lim')).toEqual({ used: '1', reserved: '0.5' });

    // full: even one token more is refused; releasing one hold makes room for exactly one
    expect((await check(a.url, { tenant: 'race-co', feature: 'm-lim', tokens: 1 })).body).toMatchObject({ allowed: false, reason: 'feature_budget_exhausted', featureBudget: { remaining: '0' } });
    // another feature is not under m-lim's limit
    expect((await check(a.url, { tenant: 'race-co', feature: 'm-other', tokens: 1000, reserve: true })).body).toMatchObject({ allowed: true });
    expect((await release(b.url, granted[0]!.body.reservation.id)).status).toBe(200);
    expect((await check(a.url, { tenant: 'race-co', feature: 'm-lim', tokens: 1001 })).body)
      .toMatchObject({ allowed: false, reason: 'feature_budget_would_exceed', featureBudget: { remaining: '0.01', estimate: '0.01001' } });
    expect((await check(a.url, { tenant: 'race-co', feature: 'm-lim', tokens: 1000, reserve: true })).body).toMatchObject({ allowed: true, featureBudget: { remaining: '0', reserved: '0.5' } });

    // settling a hold counts its real cost (parts priced apart) and ends the hold
    const hold = granted[1]!.body.reservation.id;
    expect((await postEvent(a.url, { tenant: 'race-co', feature: 'm-lim', inputTokens: 500, outputTokens: 400, cachedTokens: 100, reservation: hold })).status).toBe(201);
    // 500 x 10 + 400 x 40 + 100 x 1 = 21,100 per million = 0.0211; one hold of 0.01 fewer
    expect(await figures('race-co', 'm-lim')).toEqual({ used: '1.0211', reserved: '0.49' });
  }, 60_000);

  test('the usage answer shows the money limit with used, reserved and percent; the token limits stay in limits', async () => {
    const usage = (await call(a.url, 'GET', '/api/usage/race-co')).body;
    expect(usage.featureBudgets).toEqual([{ feature: 'm-lim', limit: '1.5', hard: true, used: '1.0211', reserved: '0.49', remaining: '0', percent: 68.07 }]);
    expect(usage.limits.map((l: { feature: string | null }) => l.feature)).toEqual([null, 'm-tok']);
    expect(usage.features.find((f: { feature: string }) => f.feature === 'm-lim').cost).toBe('1.0211');
  });
});

describe('a soft money limit, and one beside a budget', () => {
  test('a soft limit never denies but answers its figures; a feature without a price estimates 0', async () => {
    expect((await patchTenant(a.url, 'soft-co', { featureLimits: [{ feature: 'm-lim', monthlyBudget: 0.001 }, { feature: 'm-free', monthlyBudget: 1 }] })).status).toBe(200);
    const r = await check(a.url, { tenant: 'soft-co', feature: 'm-lim', tokens: 1_000_000, reserve: true });
    expect(r.body).toMatchObject({ allowed: true, reason: 'ok', featureBudget: { limit: '0.001', estimate: '20', reserved: '20', remaining: '0', hard: false } });
    expect((await check(a.url, { tenant: 'soft-co', feature: 'm-free', tokens: 5 })).body.featureBudget).toMatchObject({ estimate: '0', used: '0' });
    // the feature's limit is not the tenant's: without a budget, no budget figures
    expect(r.body).not.toHaveProperty('budget');
    expect((await check(a.url, { tenant: 'soft-co', feature: 'm-other', tokens: 5 })).body).not.toHaveProperty('featureBudget');
  });

  test('the feature\'s money limit decides before the tenant\'s budget; both holds count', async () => {
    expect((await patchTenant(a.url, 'both-co', { featureLimits: [{ feature: 'm-lim', monthlyBudget: '0.1', hard: true }] })).status).toBe(200);
    expect((await call(a.url, 'PUT', '/api/tenants/both-co/budget', { monthlyBudget: '0.05', hard: true })).status).toBe(200);
    // 2,000 tokens at 20 per million: 0.04
    let r = await check(a.url, { tenant: 'both-co', feature: 'm-lim', tokens: 2000, reserve: true });
    expect(r.body).toMatchObject({ allowed: true, budget: { reserved: '0.04' }, featureBudget: { reserved: '0.04' } });
    r = await check(a.url, { tenant: 'both-co', feature: 'm-lim', tokens: 1000 });
    expect(r.body).toMatchObject({ allowed: false, reason: 'budget_would_exceed', featureBudget: { remaining: '0.06' }, budget: { remaining: '0.01' } });
    expect((await call(a.url, 'PUT', '/api/tenants/both-co/budget', { monthlyBudget: '10', hard: true })).status).toBe(200);
    r = await check(a.url, { tenant: 'both-co', feature: 'm-lim', tokens: 4000 });
    expect(r.body).toMatchObject({ allowed: false, reason: 'feature_budget_would_exceed', budget: { remaining: '9.96' } });
  });
});
