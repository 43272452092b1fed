// A fresh database per test file, cloned from the migrated template (~30 ms).
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { pino } from 'pino';
import { makePool, type Pool } from '../../server/db/pool.ts';

export const silentLog = pino({ level: 'silent' });

export interface TestDb { url: string; name: string; pool: Pool; drop(): Promise<void> }

function adminUrl(): string {
  const url = process.env.FLAGMETER_TEST_ADMIN_URL;
  if (!url) throw new Error('FLAGMETER_TEST_ADMIN_URL is not set: run the tests through jest (globalSetup).');
  return url;
}

async function admin<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client(adminUrl());
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

/** `migrated: false`: an empty database, for tests that apply migrations themselves. */
export async function createTestDb({ migrated = true } = {}): Promise<TestDb> {
  const name = `t_${randomBytes(6).toString('hex')}`;
  await admin((c) => c.query(`create database ${name}${migrated ? ' template flagmeter_test_template' : ''}`));
  const u = new URL(adminUrl());
  u.pathname = `/${name}`;
  const url = u.toString();
  const pool = makePool(url, 20, silentLog);
  return {
    url, name, pool,
    drop: async () => {
      await pool.end();
      await admin((c) => c.query(`drop database if exists ${name} with (force)`));
    },
  };
}

/** Creates tenants and returns their ids by slug. */
export async function addTenants(pool: Pool, tenants: { slug: string; quota?: number; billingDay?: number; timezone?: string }[]): Promise<Record<string, number>> {
  const { rows } = await pool.query<{ id: number; slug: string }>(
    `insert into flagmeter.tenants (slug, name, monthly_quota, billing_day, timezone)
     select slug, slug, coalesce(quota, 1000000), coalesce(day, 1), coalesce(tz, 'UTC')
     from unnest($1::text[], $2::bigint[], $3::int[], $4::text[]) as t(slug, quota, day, tz)
     returning id, slug`,
    [tenants.map((t) => t.slug), tenants.map((t) => t.quota ?? null), tenants.map((t) => t.billingDay ?? null), tenants.map((t) => t.timezone ?? null)]);
  return Object.fromEntries(rows.map((r) => [r.slug, r.id]));
}

/** Event sums, minute rollup sums and daily rollup sums per tenant, to prove the trigger kept them equal. */
export async function sums(pool: Pool): Promise<{ events: Record<string, number>; rollups: Record<string, number>; daily: Record<string, number>; eventCount: number; rollupCount: number; dailyCount: number }> {
  const perTenant = (table: string) =>
    `(select coalesce(jsonb_object_agg(tenant_id, s), '{}') from (select tenant_id, sum(tokens)::bigint s from ${table} group by 1) x)`;
  const { rows: [r] } = await pool.query(`
    select
      ${perTenant('flagmeter.events')} as events,
      ${perTenant('flagmeter.rollups')} as rollups,
      ${perTenant('flagmeter.rollups_daily')} as daily,
      (select count(*) from flagmeter.events)::int as event_count,
      (select coalesce(sum(event_count), 0) from flagmeter.rollups)::int as rollup_count,
      (select coalesce(sum(event_count), 0) from flagmeter.rollups_daily)::int as daily_count`);
  return { events: r.events, rollups: r.rollups, daily: r.daily, eventCount: r.event_count, rollupCount: r.rollup_count, dailyCount: r.daily_count };
}

/**
 * Folds the per-user rollup until it has passed every transaction that had begun when this was
 * called; answers how many rows the folds wrote. One fold stops at the oldest transaction still
 * running anywhere on the PostgreSQL server (transaction ids are per server), and the tests' server
 * runs every other test file's database too: a single fold may legitimately leave events unfolded.
 */
export async function foldUserRollupsCaughtUp(pool: Pool, timeoutMs = 20_000): Promise<number> {
  const { target } = (await pool.query<{ target: string }>('select pg_snapshot_xmax(pg_current_snapshot())::text as target')).rows[0]!;
  const deadline = Date.now() + timeoutMs;
  let folded = 0;
  for (;;) {
    folded += (await pool.query<{ n: number }>('select flagmeter.fold_user_rollups() as n')).rows[0]!.n;
    const { below } = (await pool.query<{ below: string }>('select folded_below::text as below from flagmeter.user_rollup_watermark')).rows[0]!;
    if (BigInt(below) >= BigInt(target)) return folded;
    if (Date.now() > deadline) throw new Error(`the per-user fold did not pass transaction ${target} within ${timeoutMs} ms (watermark ${below}): a transaction stays open on the server`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
