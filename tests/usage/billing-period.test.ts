// Billing periods honour billing_day and the tenant's time zone across month and year boundaries.
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { createTestDb, type TestDb } from '../helpers/db.ts';

let db: TestDb;
beforeAll(async () => { db = await createTestDb(); });
afterAll(() => db.drop());

async function period(day: number, tz: string, at: string): Promise<[string, string]> {
  const { rows: [r] } = await db.pool.query('select period_start, period_end from flagmeter.billing_period($1, $2, $3)', [day, tz, at]);
  return [r.period_start.toISOString(), r.period_end.toISOString()];
}

test.each([
  // [billing_day, timezone, as of, expected start, expected end]
  [1, 'UTC', '2026-11-22T10:00:00Z', '2026-11-01T00:00:00.000Z', '2026-12-01T00:00:00.000Z'],
  [1, 'UTC', '2026-12-31T23:59:59.999Z', '2026-12-01T00:00:00.000Z', '2027-01-01T00:00:00.000Z'],
  [1, 'UTC', '2027-01-01T00:00:00Z', '2027-01-01T00:00:00.000Z', '2027-02-01T00:00:00.000Z'],
  [15, 'UTC', '2026-11-14T23:59:59Z', '2026-10-15T00:00:00.000Z', '2026-11-15T00:00:00.000Z'],
  [15, 'UTC', '2026-11-15T00:00:00Z', '2026-11-15T00:00:00.000Z', '2026-12-15T00:00:00.000Z'],
  // the year rolls over inside a period
  [20, 'UTC', '2027-01-05T00:00:00Z', '2026-12-20T00:00:00.000Z', '2027-01-20T00:00:00.000Z'],
  // February: day 28 is the latest allowed, so no month ever clamps
  [28, 'UTC', '2027-02-27T12:00:00Z', '2027-01-28T00:00:00.000Z', '2027-02-28T00:00:00.000Z'],
  [28, 'UTC', '2027-03-01T12:00:00Z', '2027-02-28T00:00:00.000Z', '2027-03-28T00:00:00.000Z'],
  // local midnight: 05:00Z is midnight in New York in November (EST), 04:00Z in October (EDT)
  [15, 'America/New_York', '2026-11-15T04:59:59Z', '2026-10-15T04:00:00.000Z', '2026-11-15T05:00:00.000Z'],
  [15, 'America/New_York', '2026-11-15T05:00:00Z', '2026-11-15T05:00:00.000Z', '2026-12-15T05:00:00.000Z'],
  // east of UTC the new year starts before it does in UTC
  [1, 'Asia/Tokyo', '2026-12-31T15:00:00Z', '2026-12-31T15:00:00.000Z', '2027-01-31T15:00:00.000Z'],
  [1, 'Asia/Tokyo', '2026-12-31T14:59:59Z', '2026-11-30T15:00:00.000Z', '2026-12-31T15:00:00.000Z'],
])('billing_day %i in %s at %s → [%s, %s)', async (day, tz, at, start, end) => {
  expect(await period(day, tz, at)).toEqual([start, end]);
});

test('tenants reject a billing_day outside 1..28 and an unknown time zone', async () => {
  await expect(db.pool.query(`insert into flagmeter.tenants (slug, name, billing_day) values ('x29', 'x', 29)`)).rejects.toThrow(/check constraint/);
  await expect(db.pool.query(`insert into flagmeter.tenants (slug, name, timezone) values ('xtz', 'x', 'Mars/Olympus')`)).rejects.toThrow(/check constraint/);
});

test('report.usage_current counts only the current period of each tenant', async () => {
  const { rows: [t] } = await db.pool.query(
    `insert into flagmeter.tenants (slug, name, billing_day, timezone) values ('period-t', 'P', 1, 'UTC') returning id`);
  const { rows: [p] } = await db.pool.query(`select period_start from flagmeter.billing_period(1, 'UTC', now())`);
  const start: Date = p.period_start;
  await db.pool.query(
    `insert into flagmeter.events (id, tenant_id, feature, tokens, occurred_at) values
       (gen_random_uuid(), $1, 'f', 100, $2::timestamptz - interval '1 second'),
       (gen_random_uuid(), $1, 'f', 40, $2::timestamptz),
       (gen_random_uuid(), $1, 'g', 2, $2::timestamptz + interval '1 minute')`, [t.id, start]);
  const { rows: [u] } = await db.pool.query(`select used_tokens, event_count from report.usage_current where tenant = 'period-t'`);
  expect(u).toEqual({ used_tokens: 42, event_count: 2 });
  const { rows: features } = await db.pool.query(`select feature, tokens from report.usage_by_feature where tenant = 'period-t' order by feature`);
  expect(features).toEqual([{ feature: 'f', tokens: 40 }, { feature: 'g', tokens: 2 }]);
});
