// The per-end-user daily rollups against the raw events: concurrent batches (no deadlock, nothing
// lost), the "no user" remainder, report.usage_by_user and report.periods, and the migration that
// backfilled the user rows from retained events.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import pg from 'pg';
import { insertEvents, type EventRow } from '../../server/db/events.ts';
import { committedMigrations } from '../../server/db/migrate.ts';
import { addTenants, createTestDb, foldUserRollupsCaughtUp, type TestDb } from '../helpers/db.ts';
import { insertEventsOldSchema, onlyKeysOf } from '../helpers/old-schema.ts';

const DAY = 86_400_000;
let db: TestDb;
beforeAll(async () => { db = await createTestDb(); });
afterAll(async () => { await db.drop(); });

function batch(tenantIds: number[], n: number, seed: number): EventRow[] {
  const now = Date.now();
  return Array.from({ length: n }, (_, i) => {
    const k = seed * 1000 + i;
    return {
      id: randomUUID(), tenantId: tenantIds[k % tenantIds.length]!, feature: `f${k % 3}`, tokens: 1 + (k * 31) % 700,
      occurredAt: new Date(now - ((k * 7_919_993) % (20 * DAY))).toISOString(), key: null, user: k % 5 === 0 ? null : `u${k % 11}`,
    };
  });
}

/** Per tenant, day, feature and zone: what rollups_daily holds and what daily_user_usage adds up to. */
const dailyVsUsers = `
  select d.tenant_id, d.day, d.feature, d.timezone, d.tokens, d.event_count,
    (select sum(u.tokens)::bigint from flagmeter.daily_user_usage(d.tenant_id, d.day, d.day + 1) u where u.feature = d.feature and u.timezone = d.timezone) as user_tokens,
    (select sum(u.event_count)::bigint from flagmeter.daily_user_usage(d.tenant_id, d.day, d.day + 1) u where u.feature = d.feature and u.timezone = d.timezone) as user_events
  from flagmeter.rollups_daily d order by 1, 2, 3, 4`;

const dailyCols = 'select tenant_id, day, feature, timezone, tokens, event_count from flagmeter.rollups_daily order by 1, 2, 3, 4';

/** Named users' totals from the raw events, from the folded rollup, and from daily_user_usage (folded + not yet). */
const perUser = `
  select tenant_id, end_user, sum(tokens)::bigint as tokens, count(*)::bigint as events from flagmeter.events
  where end_user is not null group by 1, 2 order by 1, 2`;
const perUserRollup = `
  select tenant_id, end_user, sum(tokens)::bigint as tokens, sum(event_count)::bigint as events from flagmeter.rollups_daily_users
  group by 1, 2 order by 1, 2`;
const perUserRead = `
  select t.id as tenant_id, u.end_user, sum(u.tokens)::bigint as tokens, sum(u.event_count)::bigint as events
  from flagmeter.tenants t cross join lateral flagmeter.daily_user_usage(t.id, '2000-01-01', '2100-01-01') u
  where u.end_user is not null group by 1, 2 order by 1, 2`;
/** Named events at or past the fold's insertion watermark: what readers add to the rollup. */
const unfolded = `select count(*)::int as n from flagmeter.events
  where end_user is not null and xact_id >= (select folded_below from flagmeter.user_rollup_watermark)`;
const watermark = async () => Number((await db.pool.query('select folded_below from flagmeter.user_rollup_watermark')).rows[0].folded_below);

describe('per-end-user daily rollups', () => {
  test('four writers at once: no deadlock, user rows equal the raw events, users plus "no user" equal the daily rows', async () => {
    const ids = Object.values(await addTenants(db.pool, [{ slug: 'w1', timezone: 'Asia/Kolkata' }, { slug: 'w2', timezone: 'America/New_York' }, { slug: 'w3' }]));
    await Promise.all([0, 1, 2, 3].map(async (w) => {
      for (let i = 0; i < 15; i++) await insertEvents(db.pool, batch(ids, 200, w * 100 + i));
    }));
    const raw = (await db.pool.query(perUser)).rows;
    // the trigger keeps nothing per user: readers add the events past the watermark, so the sums are exact already
    expect((await db.pool.query(unfolded)).rows[0].n).toBeGreaterThan(0);
    expect((await db.pool.query(perUserRollup)).rows).toEqual([]);
    const exact = async () => {
      const rows = (await db.pool.query(dailyVsUsers)).rows;
      expect(rows.length).toBeGreaterThan(50);
      for (const r of rows) expect([r.tokens, r.event_count]).toEqual([r.user_tokens, r.user_events]);
      expect((await db.pool.query(perUserRead)).rows).toEqual(raw);
    };
    await exact();
    // the minute job folds the events past the watermark and moves it: nothing left past it, nothing lost
    expect(await foldUserRollupsCaughtUp(db.pool)).toBeGreaterThan(0);
    expect((await db.pool.query(unfolded)).rows[0].n).toBe(0);
    expect((await db.pool.query(perUserRollup)).rows).toEqual(raw);
    await exact();
    const { rows: [anon] } = await db.pool.query(`select count(*)::int as n from flagmeter.rollups_daily_users where end_user is null`);
    expect(anon.n).toBe(0);
  });

  test('a fold while writers insert: every sum stays exact, before, during and after', async () => {
    const ids = Object.values(await addTenants(db.pool, [{ slug: 'f1' }, { slug: 'f2', timezone: 'Europe/Berlin' }]));
    let writing = true;
    const writers = Promise.all([0, 1].map(async (w) => {
      for (let i = 0; i < 10; i++) await insertEvents(db.pool, batch(ids, 300, 1000 + w * 100 + i));
      writing = false;
    }));
    let folds = 0;
    while (writing) {
      await db.pool.query('select flagmeter.fold_user_rollups()');
      folds++;
    }
    await writers;
    expect(folds).toBeGreaterThan(0);
    expect((await db.pool.query(perUserRead)).rows).toEqual((await db.pool.query(perUser)).rows);
    await foldUserRollupsCaughtUp(db.pool);
    expect((await db.pool.query(perUserRollup)).rows).toEqual((await db.pool.query(perUser)).rows);
  });

  test('transactions that commit out of order around a fold: none lost, none counted twice', async () => {
    const ids = await addTenants(db.pool, [{ slug: 'ooo', timezone: 'Europe/Berlin' }]);
    /** n events of `tokens` each for `user`, in one statement (one transaction unless `on` has one open);
     * each user its own feature, so that the open transaction's rollup rows do not hold the other's up. */
    const insert = (on: pg.ClientBase | TestDb['pool'], user: string, n: number, tokens: number) => on.query(
      `insert into flagmeter.events (id, tenant_id, feature, tokens, occurred_at, end_user)
       select gen_random_uuid(), $1::bigint, $3::text, $2::int, now(), $3::text from generate_series(1, $4::int)`, [ids.ooo, tokens, user, n]);
    const exact = async () => {
      for (const r of (await db.pool.query(dailyVsUsers)).rows) expect([r.tokens, r.event_count]).toEqual([r.user_tokens, r.user_events]);
      expect((await db.pool.query(perUserRead)).rows).toEqual((await db.pool.query(perUser)).rows);
    };
    const rolled = async (user: string) => (await db.pool.query(
      'select coalesce(sum(tokens), 0)::int as tokens from flagmeter.rollups_daily_users where tenant_id = $1 and end_user = $2', [ids.ooo, user])).rows[0].tokens;
    await db.pool.query('select flagmeter.fold_user_rollups()');
    const early = new pg.Client(db.url);
    await early.connect();
    try {
      // `early` inserts first (the lower transaction id, and it would hold the lower ids of any
      // sequence), then stays open while `late` inserts and commits and a fold runs
      await early.query('begin');
      await insert(early, 'early', 40, 3);
      const { rows: [{ xid }] } = await early.query('select pg_current_xact_id()::text::bigint as xid');
      await insert(db.pool, 'late', 30, 5);
      const { rows: [fold] } = await db.pool.query('select flagmeter.fold_user_rollups() as n');
      expect(fold.n).toBe(0);
      // the watermark stops at the open transaction: a watermark past it would never fold its events
      expect(await watermark()).toBeLessThanOrEqual(Number(xid));
      expect([await rolled('early'), await rolled('late')]).toEqual([0, 0]);
      await exact();
      // more of it after the fold, then it commits: below the position the newer events hold
      await insert(early, 'early', 10, 7);
      await early.query('commit');
      await exact();
      await foldUserRollupsCaughtUp(db.pool);
      expect(await watermark()).toBeGreaterThan(Number(xid));
      expect([await rolled('early'), await rolled('late')]).toEqual([40 * 3 + 10 * 7, 30 * 5]);
      await exact();
      // a second fold moves nothing: counted once
      await db.pool.query('select flagmeter.fold_user_rollups()');
      expect([await rolled('early'), await rolled('late')]).toEqual([40 * 3 + 10 * 7, 30 * 5]);

      // a fold inside a transaction that writes events afterwards: those are left to a later fold
      await early.query('begin');
      await early.query('select flagmeter.fold_user_rollups()');
      await insert(early, 'early', 5, 11);
      await early.query('commit');
      await exact();
      await foldUserRollupsCaughtUp(db.pool);
      expect(await rolled('early')).toBe(40 * 3 + 10 * 7 + 5 * 11);
      await exact();
    } finally {
      await early.end();
    }
    expect((await db.pool.query(perUserRollup)).rows).toEqual((await db.pool.query(perUser)).rows);
  });

  test('report.usage_by_user adds up to the events per tenant and day; report.periods to the events per period', async () => {
    const { rows: byDay } = await db.pool.query(`
      select u.tenant, u.day, sum(u.tokens)::bigint as tokens from report.usage_by_user u group by 1, 2 order by 1, 2`);
    const { rows: raw } = await db.pool.query(`
      select t.slug as tenant, (date_trunc('minute', e.occurred_at, 'UTC') at time zone t.timezone)::date as day, sum(e.tokens)::bigint as tokens
      from flagmeter.events e join flagmeter.tenants t on t.id = e.tenant_id group by 1, 2 order by 1, 2`);
    expect(byDay).toEqual(raw);

    const { rows: periods } = await db.pool.query(`select * from report.periods order by tenant, period_start`);
    expect(periods.length).toBeGreaterThan(3);
    for (const p of periods) {
      const { rows: [r] } = await db.pool.query(`
        select coalesce(sum(e.tokens), 0)::bigint as tokens from flagmeter.events e join flagmeter.tenants t on t.id = e.tenant_id
        where t.slug = $1 and date_trunc('minute', e.occurred_at, 'UTC') >= $2 and date_trunc('minute', e.occurred_at, 'UTC') < $3`, [p.tenant, p.period_start, p.period_end]);
      expect({ tenant: p.tenant, start: p.period_start, tokens: p.tokens }).toEqual({ tenant: p.tenant, start: p.period_start, tokens: r.tokens });
    }
  });
});

describe('the migration that added them', () => {
  test('backfills the user rows from the retained events; the daily rows and the report views do not move', async () => {
    const migrations = committedMigrations();
    const at = migrations.findIndex((sql) => sql.includes('create table flagmeter.rollups_daily_users'));
    expect(at).toBeGreaterThan(0);
    const old = await createTestDb({ migrated: false });
    try {
      for (const sql of migrations.slice(0, at)) await old.pool.query(sql);
      const ids = Object.values(await addTenants(old.pool, [{ slug: 'o1', timezone: 'Europe/Berlin' }, { slug: 'o2', timezone: 'Australia/Adelaide' }]));
      for (let i = 0; i < 10; i++) await insertEventsOldSchema(old.pool, batch(ids, 300, i));
      await old.pool.query(`select flagmeter.tick(now(), null, '13 months', '2 days')`);
      const report = `select c.*, coalesce((select jsonb_agg(f order by f.feature) from report.usage_by_feature f where f.tenant = c.tenant), '[]') as features
        from report.usage_current c order by tenant`;
      const before = { report: (await old.pool.query(report)).rows, daily: (await old.pool.query(dailyCols)).rows };

      for (const sql of migrations.slice(at)) await old.pool.query(sql);
      expect(onlyKeysOf(before.report, (await old.pool.query(report)).rows)).toEqual(before.report);
      expect((await old.pool.query(dailyCols)).rows).toEqual(before.daily);
      expect((await old.pool.query(perUserRollup)).rows).toEqual((await old.pool.query(perUser)).rows);
      for (const r of (await old.pool.query(dailyVsUsers)).rows) expect([r.tokens, r.event_count]).toEqual([r.user_tokens, r.user_events]);
    } finally {
      await old.drop();
    }
  });
});
