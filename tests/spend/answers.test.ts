// Spend wherever usage is shown: GET /api/usage/:tenant, the report views, past periods and their
// statements (JSON and CSV) give the cost that a direct SQL computation over the raw events gives,
// each event priced at the price in force at its own instant, while prices change mid-period, a
// tenant has its own prices, another counts in EUR, and some models have no price.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { parse } from 'csv-parse/sync';
import { insertEvents } from '../../server/db/events.ts';
import { foldUserRollups } from '../../server/db/tick.ts';
import { startTestApp } from '../helpers/app.ts';
import { addTenants, createTestDb, type TestDb } from '../helpers/db.ts';
import { exact, pricedEventsSql, randomEvents, setPriceBook } from '../helpers/spend.ts';
import type { FlagMeter } from '../../server/runtime.ts';

let db: TestDb;
let app: FlagMeter;
let ids: Record<string, number>;
const now = Date.now();
const TENANTS = ['usd', 'eur', 'own'];

beforeAll(async () => {
  db = await createTestDb();
  ids = await addTenants(db.pool, [{ slug: 'usd' }, { slug: 'eur', timezone: 'Asia/Kolkata', billingDay: 20 }, { slug: 'own', timezone: 'America/New_York', billingDay: 28 }]);
  await db.pool.query(`update flagmeter.tenants set currency = 'EUR' where slug = 'eur'`);
  await setPriceBook(db.pool, now, ids.own!);
  const tenants = Object.values(ids);
  for (let b = 0; b < 12; b++) {
    await insertEvents(db.pool, randomEvents(tenants, 300, 500 + b, now, 40));
    // half the per-user entries folded, half still queued: readers must add both
    if (b === 5) await foldUserRollups(db.pool);
  }
  await db.pool.query(`select flagmeter.tick(now(), null, '13 months', '3 days')`);
  app = await startTestApp(db.url);
}, 60_000);
afterAll(async () => {
  await app?.stop();
  await db.drop();
});

const get = async (path: string, headers: Record<string, string> = {}) => {
  const res = await fetch(`${app.url}${path}`, { headers });
  return { status: res.status, text: await res.text() };
};
const getJson = async (path: string) => JSON.parse((await get(path)).text);

/** Cost (and tokens) per feature of a tenant's events in [start, end), counted as the rollups count (each event at its UTC minute). */
async function direct(tenant: string, start: string, end: string, by = 'feature') {
  const { rows } = await db.pool.query(`
    select ${by} as key, sum(tokens)::bigint as tokens, trim_scale(sum(cost))::text as cost
    from (${pricedEventsSql(`t.slug = $1 and date_trunc('minute', e.occurred_at, 'UTC') >= $2::timestamptz and date_trunc('minute', e.occurred_at, 'UTC') < $3::timestamptz`)}) x
    group by 1 order by 1 nulls first`, [tenant, start, end]);
  return rows;
}
const sumExact = async (costs: string[]) => exact((await db.pool.query('select trim_scale(coalesce(sum(c), 0))::text as s from unnest($1::numeric[]) c', [costs])).rows[0].s);

describe('GET /api/usage/:tenant and report.usage_*', () => {
  test.each(TENANTS)('%s: totalCost and each feature\'s cost equal the raw events priced one by one', async (tenant) => {
    const usage = await getJson(`/api/usage/${tenant}`);
    const expected = await direct(tenant, usage.periodStart, usage.periodEnd);
    expect(usage.currency).toBe(tenant === 'eur' ? 'EUR' : 'USD');
    expect(usage.features.map((f: any) => ({ key: f.feature, tokens: f.tokens, cost: exact(f.cost) })).sort((a: any, b: any) => a.key.localeCompare(b.key)))
      .toEqual(expected.map((r) => ({ ...r, cost: exact(r.cost) })));
    expect(exact(usage.totalCost)).toBe(await sumExact(expected.map((r) => r.cost)));
    expect(Number(usage.totalCost)).toBeGreaterThan(0);
    // money is a string in JSON: never a float
    expect(typeof usage.totalCost).toBe('string');

    const { rows: [current] } = await db.pool.query(`select cost::text, currency from report.usage_current where tenant = $1`, [tenant]);
    expect(exact(current.cost)).toBe(exact(usage.totalCost));
    const { rows: features } = await db.pool.query(`select feature as key, tokens, cost::text from report.usage_by_feature where tenant = $1 order by 1`, [tenant]);
    expect(features.map((r) => ({ ...r, cost: exact(r.cost) }))).toEqual(expected.map((r) => ({ ...r, cost: exact(r.cost) })));
  });

  test('report.usage_daily and report.usage_by_user: per local day, feature (and user) as the raw events', async () => {
    const perDay = `
      select tenant, (date_trunc('minute', occurred_at, 'UTC') at time zone t2.timezone)::date as day, feature, trim_scale(sum(cost))::text as cost
      from (${pricedEventsSql()}) x join flagmeter.tenants t2 on t2.id = x.tenant_id group by 1, 2, 3 order by 1, 2, 3`;
    const daily = (await db.pool.query(`select tenant, day, feature, trim_scale(cost)::text as cost from report.usage_daily order by 1, 2, 3`)).rows;
    expect(daily).toEqual((await db.pool.query(perDay)).rows);
    const perUser = `
      select tenant, feature, end_user, trim_scale(sum(cost))::text as cost, sum(coalesce(output_tokens, 0))::bigint as output
      from (${pricedEventsSql()}) x group by 1, 2, 3 order by 1, 2, 3`;
    const byUser = (await db.pool.query(`
      select tenant, feature, end_user, trim_scale(sum(cost))::text as cost, sum(output_tokens)::bigint as output
      from report.usage_by_user group by 1, 2, 3 order by 1, 2, 3`)).rows;
    expect(byUser).toEqual((await db.pool.query(perUser)).rows);
  });
});

describe('past periods and statements', () => {
  test.each(TENANTS)('%s: report.periods, GET periods and each statement (JSON and CSV) give the raw events\' cost', async (tenant) => {
    const { periods } = await getJson(`/api/tenants/${tenant}/periods`);
    expect(periods.length).toBeGreaterThan(1);
    const { rows: view } = await db.pool.query(`select period_start, trim_scale(cost)::text as cost from report.periods where tenant = $1 order by 1`, [tenant]);
    for (const [i, p] of periods.entries()) {
      const expected = await direct(tenant, p.periodStart, p.periodEnd);
      const want = await sumExact(expected.map((r) => r.cost));
      expect({ period: p.periodStart, cost: exact(p.cost) }).toEqual({ period: p.periodStart, cost: want });
      expect(exact(view[i].cost)).toBe(want);

      const statement = await getJson(`/api/tenants/${tenant}/periods/${p.periodStart}`);
      expect(exact(statement.totalCost)).toBe(want);
      expect(statement.features.map((f: any) => ({ key: f.feature, tokens: f.tokens, cost: exact(f.cost) })).sort((a: any, b: any) => a.key.localeCompare(b.key)))
        .toEqual(expected.map((r) => ({ ...r, cost: exact(r.cost) })));
      expect(await sumExact(statement.days.map((d: any) => d.cost))).toBe(want);
      const users = await direct(tenant, p.periodStart, p.periodEnd, 'end_user');
      const top = new Map(statement.topUsers.map((u: any) => [u.user, exact(u.cost)]));
      for (const u of users) if (top.has(u.key)) expect({ user: u.key, cost: top.get(u.key) }).toEqual({ user: u.key, cost: exact(u.cost) });

      // the lines an invoice lists: per model, price applied and kind, adding up to the total
      expect(statement.lines).not.toBeNull();
      expect(await sumExact(statement.lines.map((l: any) => l.cost))).toBe(want);
      for (const l of statement.lines) {
        const { rows: [c] } = await db.pool.query('select trim_scale(coalesce($1::bigint * $2::numeric * 0.000001, 0))::text as c', [l.tokens, l.price]);
        expect({ line: l, cost: exact(l.cost) }).toEqual({ line: l, cost: exact(c.c) });
      }
      const { rows: kinds } = await db.pool.query(`
        select feature as model, k.kind, sum(k.tokens)::bigint as tokens
        from (${pricedEventsSql(`t.slug = $1 and e.occurred_at >= $2::timestamptz and e.occurred_at < $3::timestamptz`)}) x
        cross join lateral (values ('input', coalesce(x.input_tokens, 0)), ('output', coalesce(x.output_tokens, 0)), ('cached', coalesce(x.cached_tokens, 0)),
          ('plain', case when x.input_tokens is null then x.tokens else 0 end)) k(kind, tokens)
        group by 1, 2 having sum(k.tokens) > 0 order by 1, 2`, [tenant, p.periodStart, p.periodEnd]);
      const lineKinds = new Map<string, number>();
      for (const l of statement.lines) lineKinds.set(`${l.model}|${l.kind}`, (lineKinds.get(`${l.model}|${l.kind}`) ?? 0) + l.tokens);
      expect([...lineKinds].map(([k, tokens]) => ({ model: k.split('|')[0], kind: k.split('|')[1], tokens })).sort((x, y) => `${x.model}|${x.kind}`.localeCompare(`${y.model}|${y.kind}`)))
        .toEqual(kinds.sort((x, y) => `${x.model}|${x.kind}`.localeCompare(`${y.model}|${y.kind}`)));
      if (tenant === 'own' && p.current) expect(statement.lines.some((l: any) => l.priceSource === 'tenant')).toBe(true);

      const csv = parse((await get(`/api/tenants/${tenant}/periods/${p.periodStart}?format=csv`)).text, { columns: true }) as Record<string, string>[];
      expect(exact(csv.find((r) => r.section === 'total')!.cost)).toBe(want);
      expect(csv.filter((r) => r.section === 'feature').map((r) => ({ key: r.feature, tokens: Number(r.tokens), cost: exact(r.cost) })).sort((a, b) => a.key!.localeCompare(b.key!)))
        .toEqual(expected.map((r) => ({ ...r, cost: exact(r.cost) })));
      expect(await sumExact(csv.filter((r) => r.section === 'day').map((r) => r.cost!))).toBe(want);
      expect(await sumExact(csv.filter((r) => r.section === 'user').map((r) => r.cost!))).toBe(want);
      expect(csv.filter((r) => r.section === 'line').map((r) => ({ model: r.feature, kind: r.kind, tokens: Number(r.tokens), price: r.price || null, cost: r.cost })))
        .toEqual(statement.lines.map((l: any) => ({ model: l.model, kind: l.kind, tokens: l.tokens, price: l.price, cost: l.cost })));
    }
  });
});
