// The insert trigger keeps token parts and cost in every rollup (minute, hour after compaction, day,
// per end user), each event priced at the price in force at its own instant while prices change in
// the middle of the range: every rollup sums to the direct computation over the raw events.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { insertEvents } from '../../server/db/events.ts';
import { addTenants, createTestDb, foldUserRollupsCaughtUp, type TestDb } from '../helpers/db.ts';
import { DAY, exact, pricedEventsSql, randomEvents, setPriceBook } from '../helpers/spend.ts';

let db: TestDb;
let ids: Record<string, number>;
const now = Date.now();

beforeAll(async () => {
  db = await createTestDb();
  ids = await addTenants(db.pool, [{ slug: 'usd' }, { slug: 'eur', timezone: 'Asia/Kolkata' }, { slug: 'own', timezone: 'America/New_York' }]);
  await db.pool.query(`update flagmeter.tenants set currency = 'EUR' where slug = 'eur'`);
  await setPriceBook(db.pool, now, ids.own!);
  const tenants = Object.values(ids);
  // concurrent batches, as the batch writer's connections send them
  await Promise.all(Array.from({ length: 4 }, async (_, w) => {
    for (let b = 0; b < 5; b++) await insertEvents(db.pool, randomEvents(tenants, 400, w * 10 + b + 1, now, 6));
  }));
});
afterAll(() => db.drop());

/** Per tenant and feature: tokens, parts and cost from the raw events. */
const expectedSql = `
  select tenant_id, feature, sum(tokens)::bigint as tokens, coalesce(sum(input_tokens), 0)::bigint as input,
    coalesce(sum(output_tokens), 0)::bigint as output, coalesce(sum(cached_tokens), 0)::bigint as cached, sum(cost)::text as cost, count(*)::bigint as events
  from (${pricedEventsSql()}) x group by 1, 2 order by 1, 2`;
const rollupSql = (table: string) => `
  select tenant_id, feature, sum(tokens)::bigint as tokens, sum(input_tokens)::bigint as input, sum(output_tokens)::bigint as output,
    sum(cached_tokens)::bigint as cached, sum(cost)::text as cost, sum(event_count)::bigint as events
  from ${table} group by 1, 2 order by 1, 2`;
const norm = (rows: Record<string, unknown>[]) => rows.map((r) => ({ ...r, cost: exact(r.cost as string) }));

describe('parts and cost in the rollups', () => {
  test('the events cover every kind of price: changed mid-range, overridden, another currency, unpriced', async () => {
    const { rows: [r] } = await db.pool.query(`
      select count(*) filter (where feature = 'm-custom' and occurred_at < now() - interval '4 days')::int as before_change,
        count(*) filter (where feature = 'm-custom' and occurred_at > now() - interval '1 day')::int as after_changes,
        count(*) filter (where input_tokens is null)::int as without_parts,
        count(*) filter (where cost = 0)::int as unpriced
      from (${pricedEventsSql()}) x`);
    expect(r.before_change).toBeGreaterThan(20);
    expect(r.after_changes).toBeGreaterThan(20);
    expect(r.without_parts).toBeGreaterThan(100);
    expect(r.unpriced).toBeGreaterThan(100);
  });

  test('minute and daily rollups equal the raw events priced one by one', async () => {
    const expected = norm((await db.pool.query(expectedSql)).rows);
    expect(norm((await db.pool.query(rollupSql('flagmeter.rollups'))).rows)).toEqual(expected);
    expect(norm((await db.pool.query(rollupSql('flagmeter.rollups_daily'))).rows)).toEqual(expected);
    expect(expected.some((r) => r.cost !== '0')).toBe(true);
  });

  test('per end user (unfolded, then folded) and the "no user" remainder add up to the same', async () => {
    const perUser = `
      select tenant_id, feature, sum(tokens)::bigint as tokens, sum(input_tokens)::bigint as input, sum(output_tokens)::bigint as output,
        sum(cached_tokens)::bigint as cached, sum(cost)::text as cost, sum(event_count)::bigint as events
      from flagmeter.tenants t cross join lateral flagmeter.daily_user_usage(t.id, current_date - 30, current_date + 2) u
      join lateral (select t.id as tenant_id) x on true group by 1, 2 order by 1, 2`;
    const expected = norm((await db.pool.query(expectedSql)).rows);
    expect(norm((await db.pool.query(perUser)).rows)).toEqual(expected);
    await foldUserRollupsCaughtUp(db.pool);
    expect(norm((await db.pool.query(perUser)).rows)).toEqual(expected);
    const byUser = `
      select tenant_id, end_user, sum(coalesce(input_tokens, 0))::bigint as input, sum(cost)::text as cost from (${pricedEventsSql('e.end_user is not null')}) x
      group by 1, 2 order by 1, 2`;
    const rolled = `select tenant_id, end_user, sum(input_tokens)::bigint as input, sum(cost)::text as cost from flagmeter.rollups_daily_users group by 1, 2 order by 1, 2`;
    expect(norm((await db.pool.query(rolled)).rows)).toEqual(norm((await db.pool.query(byUser)).rows));
  });

  test('compaction into hours keeps parts and cost', async () => {
    await db.pool.query(`select flagmeter.tick(now(), null, '13 months', '2 days')`);
    const { rows: [{ n }] } = await db.pool.query('select count(*)::int as n from flagmeter.rollups_hourly');
    expect(n).toBeGreaterThan(0);
    const expected = norm((await db.pool.query(expectedSql)).rows);
    expect(norm((await db.pool.query(rollupSql('flagmeter.usage_buckets'))).rows)).toEqual(expected);
  });

  test('a price added later does not change what was counted', async () => {
    const before = (await db.pool.query(rollupSql('flagmeter.rollups_daily'))).rows;
    await db.pool.query(`insert into flagmeter.prices (model, currency, effective_from, input, output, cached, plain)
      values ('m-custom', 'USD', date_trunc('minute', now()) + interval '10 minutes', 100, 100, 100, 100)`);
    expect((await db.pool.query(rollupSql('flagmeter.rollups_daily'))).rows).toEqual(before);
  });

  test('the database refuses parts that do not add up to tokens', async () => {
    await expect(db.pool.query(`insert into flagmeter.events (id, tenant_id, feature, tokens, occurred_at, input_tokens, output_tokens, cached_tokens)
      values (gen_random_uuid(), $1, 'f', 10, now(), 1, 2, 3)`, [ids.usd])).rejects.toThrow(/events_token_parts/);
    expect(DAY).toBe(86_400_000);
  });
});
