// Period sums from the daily rollups (flagmeter.period_usage) against the raw events they count:
// local days in zones with odd offsets, compaction, a tenant changing its zone mid-period, and the
// migration that backfilled the daily rows from existing history.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { insertEvents, type EventRow } from '../../server/db/events.ts';
import { committedMigrations } from '../../server/db/migrate.ts';
import { addTenants, createTestDb, type TestDb } from '../helpers/db.ts';
import { insertEventsOldSchema, onlyKeysOf } from '../helpers/old-schema.ts';
import type { Pool } from '../../server/db/pool.ts';

const ZONES = ['UTC', 'Asia/Kolkata', 'America/St_Johns', 'Pacific/Chatham', 'America/Los_Angeles'];
const DAY = 86_400_000;

/** Events at pseudo-random instants over the last `days` days (a few minutes ahead too), in batches of mixed size. */
function history(tenantIds: number[], days: number, n: number): EventRow[][] {
  const now = Date.now();
  const rows: EventRow[] = [];
  for (let i = 0; i < n; i++) {
    const at = now + 5 * 60_000 - ((i * 7_919_993) % (days * DAY));
    rows.push({ id: randomUUID(), tenantId: tenantIds[i % tenantIds.length]!, feature: `f${i % 3}`, tokens: 1 + (i * 37) % 500, occurredAt: new Date(at).toISOString(), key: null, user: null });
  }
  const batches: EventRow[][] = [];
  for (let i = 0, size = 1; i < rows.length; i += size, size = size === 1 ? 97 : 1) batches.push(rows.slice(i, i + size));
  return batches;
}

/** What a period holds, counted from the raw events (each at the start of its UTC minute, as the rollups count it). */
const fromEvents = `
  select e.feature, sum(e.tokens)::bigint as tokens, count(*)::bigint as event_count
  from flagmeter.events e
  where e.tenant_id = $1 and date_trunc('minute', e.occurred_at, 'UTC') >= $2 and date_trunc('minute', e.occurred_at, 'UTC') < $3
  group by 1 order by 1`;
const fromPeriodUsage = `select * from flagmeter.period_usage($1, $4, $2, $3) order by 1`;

/** period_usage and the raw events agree on this tenant's period [start, end) in zone tz. */
async function expectPeriodExact(pool: Pool, tenantId: number, tz: string, start: Date, end: Date): Promise<number> {
  const [daily, events] = await Promise.all([
    pool.query(fromPeriodUsage, [tenantId, start, end, tz]),
    pool.query(fromEvents, [tenantId, start, end]),
  ]);
  expect({ tenantId, tz, start, rows: daily.rows }).toEqual({ tenantId, tz, start, rows: events.rows });
  return events.rows.reduce((a, r) => a + Number(r.tokens), 0);
}

let db: TestDb;
beforeAll(async () => { db = await createTestDb(); });
afterAll(async () => { await db.drop(); });

describe('daily rollups', () => {
  test('every current and previous period, in zones with :30 and :45 offsets and after compaction, sums exactly what the events hold', async () => {
    const ids = Object.values(await addTenants(db.pool, ZONES.map((tz, i) => ({ slug: `zone-${i}`, timezone: tz, billingDay: 1 + i * 6 }))));
    for (const batch of history(ids, 45, 3000)) await insertEvents(db.pool, batch);
    // compaction moves minute rows older than a day into tenant-local hours; the daily rows stay
    const { rows: [{ tick }] } = await db.pool.query(`select flagmeter.tick(now(), null, '13 months', '1 day') as tick`);
    expect(tick.rollupsCompacted).toBeGreaterThan(1000);

    const { rows: periods } = await db.pool.query<{ id: number; timezone: string; period_start: Date; period_end: Date }>(`
      select t.id, t.timezone, p.period_start, p.period_end
      from flagmeter.tenants t,
        lateral (select now() as at union all select now() - interval '1 month') a,
        lateral flagmeter.billing_period(t.billing_day, t.timezone, a.at) p
      where t.id = any($1::bigint[])`, [ids]);
    expect(periods).toHaveLength(ZONES.length * 2);
    let total = 0;
    for (const p of periods) total += await expectPeriodExact(db.pool, p.id, p.timezone, p.period_start, p.period_end);
    expect(total).toBeGreaterThan(0);

    // the report views read the same sums
    const { rows: current } = await db.pool.query(`
      select c.used_tokens, c.event_count, (select sum(tokens)::bigint from flagmeter.events e where e.tenant_id = t.id
        and date_trunc('minute', e.occurred_at, 'UTC') >= c.period_start and date_trunc('minute', e.occurred_at, 'UTC') < c.period_end) as expected
      from report.usage_current c join flagmeter.tenants t on t.slug = c.tenant where t.id = any($1::bigint[])`, [ids]);
    for (const r of current) expect(r.used_tokens).toBe(r.expected ?? 0);
    const { rows: [byFeature] } = await db.pool.query(`
      select (select sum(tokens) from report.usage_by_feature f join flagmeter.tenants t on t.slug = f.tenant where t.id = any($1::bigint[])) as features,
             (select sum(used_tokens) from report.usage_current c join flagmeter.tenants t on t.slug = c.tenant where t.id = any($1::bigint[])) as tenants`, [ids]);
    expect(byFeature.features).toBe(byFeature.tenants);
  });

  test('a period that does not start at a local midnight is summed from the buckets, exactly', async () => {
    const [id] = Object.values(await addTenants(db.pool, [{ slug: 'odd-period', timezone: 'Asia/Kolkata' }]));
    for (const batch of history([id!], 10, 400)) await insertEvents(db.pool, batch);
    const start = new Date(Date.now() - 4 * DAY - 3_600_000 * 3.25);
    const total = await expectPeriodExact(db.pool, id!, 'Asia/Kolkata', start, new Date(Date.now() + DAY));
    expect(total).toBeGreaterThan(0);
  });

  test('a tenant that changes its time zone mid-period keeps exact sums; a later period reads the daily rows again', async () => {
    const [id] = Object.values(await addTenants(db.pool, [{ slug: 'moves-east', timezone: 'America/Los_Angeles' }]));
    for (const batch of history([id!], 20, 600)) await insertEvents(db.pool, batch);
    await db.pool.query(`update flagmeter.tenants set timezone = 'Asia/Kolkata' where id = $1`, [id]);
    for (const batch of history([id!], 20, 600)) await insertEvents(db.pool, batch);
    const { rows: zones } = await db.pool.query(`select distinct timezone from flagmeter.rollups_daily where tenant_id = $1 order by 1`, [id]);
    expect(zones.map((z) => z.timezone)).toEqual(['America/Los_Angeles', 'Asia/Kolkata']);

    const { rows: [c] } = await db.pool.query(`select used_tokens, period_start, period_end from report.usage_current where tenant = 'moves-east'`);
    expect(c.used_tokens).toBeGreaterThan(0);
    expect(c.used_tokens).toBe(await expectPeriodExact(db.pool, id!, 'Asia/Kolkata', c.period_start, c.period_end));
    const { rows: [later] } = await db.pool.query(`select * from flagmeter.billing_period(1, 'Asia/Kolkata', now() + interval '2 months')`);
    await insertEvents(db.pool, [{ id: randomUUID(), tenantId: id!, feature: 'later', tokens: 42, occurredAt: new Date(later.period_start.getTime() + DAY).toISOString(), key: null, user: null }]);
    expect(await expectPeriodExact(db.pool, id!, 'Asia/Kolkata', later.period_start, later.period_end)).toBe(42);

    // Which rows answered: with the minute rollups gone, only the daily rows still hold the events.
    // The later period has no day in the old zone near it, so the daily rows answer; the current
    // one has, so it is summed from the (now empty) buckets.
    await db.pool.query('delete from flagmeter.rollups where tenant_id = $1', [id]);
    const total = async (p: { period_start: Date; period_end: Date }) => (await db.pool.query(
      `select coalesce(sum(tokens), 0)::bigint t from flagmeter.period_usage($1, 'Asia/Kolkata', $2, $3)`, [id, p.period_start, p.period_end])).rows[0].t;
    expect(await total(later)).toBe(42);
    expect(await total(c)).toBe(0);
  });
});

describe('the migration that added the daily rollups', () => {
  test('backfills them from existing minute and hourly rollups, so no usage figure moves', async () => {
    // a database at the migration before it, with history, then the migration itself
    const migrations = committedMigrations();
    const at = migrations.findIndex((sql) => sql.includes('create table flagmeter.rollups_daily'));
    expect(at).toBeGreaterThan(0);
    const old = await createTestDb({ migrated: false });
    try {
      for (const sql of migrations.slice(0, at)) await old.pool.query(sql);
      const ids = Object.values(await addTenants(old.pool, ZONES.map((tz, i) => ({ slug: `old-${i}`, timezone: tz, billingDay: 3 + i * 5 }))));
      for (const batch of history(ids, 40, 2000)) await insertEventsOldSchema(old.pool, batch);
      await old.pool.query(`select flagmeter.tick(now(), null, '13 months', '2 days')`);
      const report = `select c.*, coalesce((select jsonb_agg(f order by f.feature) from report.usage_by_feature f where f.tenant = c.tenant), '[]') as features
        from report.usage_current c order by tenant`;
      const before = (await old.pool.query(report)).rows;

      for (const sql of migrations.slice(at)) await old.pool.query(sql);
      expect(onlyKeysOf(before, (await old.pool.query(report)).rows)).toEqual(before);
      const { rows: [daily] } = await old.pool.query(`select sum(tokens)::bigint t, sum(event_count)::bigint n from flagmeter.rollups_daily`);
      const { rows: [events] } = await old.pool.query(`select sum(tokens)::bigint t, count(*)::bigint n from flagmeter.events`);
      expect(daily).toEqual(events);
      expect(before.some((r) => r.used_tokens > 0)).toBe(true);
    } finally {
      await old.drop();
    }
  });
});
