// A bounded buffer answers 503 + Retry-After when the database cannot keep up, and shutdown
// answers every pending request. The database is held up by a lock on the rollups table, which
// the insert trigger needs.
import { afterEach, beforeEach, expect, test } from '@jest/globals';
import type pg from 'pg';
import { get, post, startTestApp } from '../helpers/app.ts';
import { addTenants, createTestDb, sums, type TestDb } from '../helpers/db.ts';
import { waitUntil } from '../helpers/net.ts';
import type { FlagMeter } from '../../server/runtime.ts';

let db: TestDb;
let locker: pg.PoolClient | undefined;
const events = (n: number, feature = 'bp') => Array.from({ length: n }, () => ({ tenant: 'acme-corp', feature, tokens: 2 }));

beforeEach(async () => {
  db = await createTestDb();
  await addTenants(db.pool, [{ slug: 'acme-corp' }]);
});
afterEach(async () => {
  locker?.release();
  locker = undefined;
  await db.drop();
});

async function blockWrites(): Promise<pg.PoolClient> {
  locker = await db.pool.connect();
  await locker.query('begin');
  await locker.query('lock table flagmeter.rollups in exclusive mode');
  return locker;
}

test('a full buffer answers 503 with Retry-After at once, and the buffered requests still commit', async () => {
  const app = await startTestApp(db.url, { EVENTS_MAX_PER_REQUEST: '5', BATCH_MAX_EVENTS: '5', BUFFER_MAX_EVENTS: '10', BATCH_MAX_CONCURRENT: '1', BATCH_MAX_WAIT_MS: '1' });
  try {
    const lock = await blockWrites();
    const first = post(app.url, events(5));
    const second = post(app.url, events(5));
    await waitUntil(async () => (await get(app.url, '/api/health')).body.buffer.writing === 5);
    await waitUntil(async () => (await get(app.url, '/api/health')).body.buffer.waiting === 5);

    const started = Date.now();
    const refused = await post(app.url, events(1));
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(refused.body.error.code).toBe('buffer_full');
    expect(Date.now() - started).toBeLessThan(1000); // refused, not queued behind the stall

    await lock.query('commit');
    expect((await first).status).toBe(201);
    expect((await second).status).toBe(201);
    const s = await sums(db.pool);
    expect(s.eventCount).toBe(10);
    expect(s.rollups).toEqual(s.events);
  } finally {
    await app.stop();
  }
});

test('shutdown writes out every buffered request before it stops', async () => {
  // a batch would wait a minute to fill: only shutdown can flush these
  const app = await startTestApp(db.url, { BATCH_MAX_WAIT_MS: '60000' });
  const sizes = Array.from({ length: 20 }, (_, i) => 1 + (i % 3));
  const total = sizes.reduce((a, b) => a + b, 0);
  const pending = sizes.map((n) => post(app.url, events(n, 'shutdown')));
  await waitUntil(async () => app.writer.stats().waiting === total);

  await app.stop();
  const answers = await Promise.all(pending);
  expect(answers.map((a) => a.status)).toEqual(Array(20).fill(201));
  const { rows } = await db.pool.query(`select sum(event_count)::int n from flagmeter.rollups where feature = 'shutdown'`);
  expect(rows[0].n).toBe(total);
  await expect(fetch(`${app.url}/api/health`)).rejects.toThrow(); // no longer listening
});

test('shutdown with the database stuck answers queued requests with 503 and the in-flight one with its real outcome', async () => {
  const app = await startTestApp(db.url, { BATCH_MAX_CONCURRENT: '1', BATCH_MAX_WAIT_MS: '1', SHUTDOWN_TIMEOUT_MS: '300' });
  const lock = await blockWrites();
  const inFlight = post(app.url, events(3, 'stuck'));
  await waitUntil(async () => app.writer.stats().writing === 3);
  const queued = post(app.url, events(2, 'stuck'));
  await waitUntil(async () => app.writer.stats().waiting === 2);

  const stopped = app.stop();
  const refused = await queued;
  expect(refused.status).toBe(503);
  expect(refused.body.error.code).toBe('shutting_down');
  expect(refused.headers.get('retry-after')).toBeTruthy();

  await lock.query('commit');
  expect((await inFlight).status).toBe(201);
  await stopped;
  const { rows } = await db.pool.query(`select sum(event_count)::int n from flagmeter.rollups where feature = 'stuck'`);
  expect(rows[0].n).toBe(3);
});
