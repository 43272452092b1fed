// `flagmeter all` (what npm start runs) gives its jobs a pool of their own, as a separate worker
// process has: with every connection of the main pool taken (ingest under load), the fast
// crossing check still runs, and no job connection shows up as the main pool's.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import type pg from 'pg';
import { startTestApp } from '../helpers/app.ts';
import { addTenants, createTestDb, type TestDb } from '../helpers/db.ts';
import { insertEvents } from '../../server/db/events.ts';
import type { FlagMeter } from '../../server/runtime.ts';

let db: TestDb;
let app: FlagMeter;
let tenantId: number;

beforeAll(async () => {
  db = await createTestDb();
  ({ 'jobs-pool': tenantId } = await addTenants(db.pool, [{ slug: 'jobs-pool', quota: 1000 }]) as { 'jobs-pool': number });
  app = await startTestApp(db.url, { PG_POOL_MAX: '2', JOBS_POOL_MAX: '2', ALERT_CHECK_INTERVAL_MS: '200' }, 'all');
});
afterAll(async () => {
  await app.stop();
  await db.drop();
});

test('role all: the fast crossing check runs while every connection of the main pool is held', async () => {
  const held: pg.PoolClient[] = [];
  for (let i = 0; i < 2; i++) held.push(await app.pool.connect());
  try {
    // written past FlagMeter's pools, so only the job can notice it
    await insertEvents(db.pool, [{ id: randomUUID(), tenantId, feature: 'gpt-4o', tokens: 900, occurredAt: new Date().toISOString(), key: null, user: null }]);
    const deadline = Date.now() + 30_000;
    let thresholds: number[] = [];
    while (thresholds.length === 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      const { rows } = await db.pool.query<{ threshold: number }>('select threshold from flagmeter.alerts where tenant_id = $1 order by threshold', [tenantId]);
      thresholds = rows.map((r) => r.threshold);
    }
    expect(thresholds).toEqual([80]);
    const { rows } = await db.pool.query<{ name: string }>(
      "select distinct application_name as name from pg_stat_activity where datname = current_database() and application_name like 'flagmeter%' order by 1");
    expect(rows.map((r) => r.name)).toContain('flagmeter-jobs');
  } finally {
    for (const c of held) c.release();
  }
}, 60_000);
