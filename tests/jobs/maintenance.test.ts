// tick()'s maintenance: compaction to tenant-local hours and partition retention must leave every
// report sum unchanged; partitions for the coming months exist.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { loadConfig } from '../../server/config.ts';
import { insertEvents, type EventRow } from '../../server/db/events.ts';
import { runTick, type EnqueueDelivery } from '../../server/jobs/tick.ts';
import { addTenants, createTestDb, type TestDb } from '../helpers/db.ts';

let db: TestDb;
beforeAll(async () => { db = await createTestDb(); });
afterAll(() => db.drop());

// no tenant here has thresholds low enough to alert: maintenance is what is under test
const noAlerts: EnqueueDelivery = async () => { throw new Error('no alert expected'); };

async function reportSnapshot() {
  const q = async (sql: string) => (await db.pool.query(sql)).rows;
  return {
    daily: await q(`select * from report.usage_daily order by tenant, day, feature`),
    current: await q(`select tenant, used_tokens, event_count from report.usage_current order by tenant`),
    byFeature: await q(`select tenant, feature, tokens, event_count from report.usage_by_feature order by tenant, feature`),
    total: await q(`select tenant_id, sum(tokens)::bigint t, sum(event_count)::bigint n from flagmeter.usage_buckets group by 1 order by 1`),
  };
}

test('compaction and retention keep the report sums unchanged', async () => {
  // Kolkata is UTC+05:30: its local hours start at :30 UTC, so a UTC-hour compaction would move
  // tokens across its local midnights; tenant-local hours must not.
  const ids = await addTenants(db.pool, [
    { slug: 'kolkata', timezone: 'Asia/Kolkata', quota: 10_000_000 },
    { slug: 'utc', quota: 10_000_000 },
  ]);
  const rows: EventRow[] = [];
  const now = Date.now();
  const add = (tenantId: number, at: number, tokens: number, feature: string) =>
    rows.push({ id: randomUUID(), tenantId, feature, tokens, occurredAt: new Date(at).toISOString(), key: null, user: null });
  for (const tenantId of Object.values(ids)) {
    // five days ago, around a Kolkata midnight (18:30 UTC), every 7 minutes for 3 hours
    const base = Date.UTC(new Date(now - 5 * 86_400_000).getUTCFullYear(), new Date(now - 5 * 86_400_000).getUTCMonth(), new Date(now - 5 * 86_400_000).getUTCDate(), 17, 0);
    for (let m = 0; m < 180; m += 7) add(tenantId, base + m * 60_000, 10 + m, m % 2 ? 'gpt-4o' : 'claude');
    // recent usage stays in minutes
    for (let m = 0; m < 10; m++) add(tenantId, now - m * 60_000, 5, 'gpt-4o');
  }
  // twenty months ago: a raw-event partition that retention must drop
  const old = new Date(now - 600 * 86_400_000);
  add(ids.utc!, old.getTime(), 999, 'ancient');
  await insertEvents(db.pool, rows);
  await db.pool.query('select flagmeter.ensure_event_partitions(21, 0)');
  const oldPartition = `events_${old.getUTCFullYear()}_${String(old.getUTCMonth() + 1).padStart(2, '0')}`;
  expect((await db.pool.query('select to_regclass($1) r', [`flagmeter.${oldPartition}`])).rows[0].r).not.toBeNull();

  const before = await reportSnapshot();
  const result = await runTick(db.pool, noAlerts, loadConfig({ EVENTS_RETENTION_MONTHS: '13', ROLLUP_COMPACT_AFTER_DAYS: '3' }));
  const after = await reportSnapshot();

  expect(result.rollupsCompacted).toBeGreaterThan(40);
  expect(result.partitionsDropped).toContain(oldPartition);
  expect(after).toEqual(before);

  const { rows: [counts] } = await db.pool.query(`select
      (select count(*)::int from flagmeter.rollups where minute < now() - interval '3 days') old_minutes,
      (select count(*)::int from flagmeter.rollups_hourly) hours,
      (select count(*)::int from flagmeter.events where feature = 'ancient') ancient_events`);
  expect(counts).toMatchObject({ old_minutes: 0, ancient_events: 0 });
  expect(counts.hours).toBeGreaterThan(0);
  // every Kolkata hourly bucket starts at :30 UTC (a local hour)
  const { rows: minutes } = await db.pool.query(
    `select distinct extract(minute from hour at time zone 'UTC')::int m from flagmeter.rollups_hourly where tenant_id = $1`, [ids.kolkata]);
  expect(minutes).toEqual([{ m: 30 }]);

  // a second tick finds nothing more to do, and the sums still hold
  const again = await runTick(db.pool, noAlerts, loadConfig({}));
  expect(again.rollupsCompacted).toBe(0);
  expect(await reportSnapshot()).toEqual(before);
});

test('the tick keeps next month\'s events partition ready and prunes old idempotency keys', async () => {
  const next = new Date();
  next.setUTCMonth(next.getUTCMonth() + 1, 1);
  const name = `events_${next.getUTCFullYear()}_${String(next.getUTCMonth() + 1).padStart(2, '0')}`;
  await db.pool.query(`drop table if exists flagmeter.${name}`);
  const ids = await addTenants(db.pool, [{ slug: 'keys' }]);
  await db.pool.query(`insert into flagmeter.event_keys (tenant_id, idempotency_key, event_id, received_at)
    values ($1, 'old', gen_random_uuid(), now() - interval '8 days'), ($1, 'fresh', gen_random_uuid(), now())`, [ids.keys]);
  const result = await runTick(db.pool, noAlerts, loadConfig({ IDEMPOTENCY_WINDOW_DAYS: '7' }));
  expect(result.partitionsCreated).toBeGreaterThanOrEqual(1);
  expect((await db.pool.query('select to_regclass($1) r', [`flagmeter.${name}`])).rows[0].r).not.toBeNull();
  expect(result.keysPruned).toBe(1);
  const { rows } = await db.pool.query('select idempotency_key from flagmeter.event_keys where tenant_id = $1', [ids.keys]);
  expect(rows).toEqual([{ idempotency_key: 'fresh' }]);
});
