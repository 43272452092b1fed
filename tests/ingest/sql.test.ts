// The insert statement and the rollup trigger against a real PostgreSQL: sums, concurrency, idempotency.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { insertEvents, type EventRow } from '../../server/db/events.ts';
import { addTenants, createTestDb, sums, type TestDb } from '../helpers/db.ts';

let db: TestDb;
let ids: Record<string, number>;

beforeAll(async () => {
  db = await createTestDb();
  ids = await addTenants(db.pool, [{ slug: 'a' }, { slug: 'b' }, { slug: 'c' }]);
});
afterAll(() => db.drop());

const row = (tenantId: number, tokens: number, extra: Partial<EventRow> = {}): EventRow => ({
  id: randomUUID(), tenantId, feature: 'gpt-4o', tokens, occurredAt: new Date().toISOString(), key: null, user: null, ...extra,
});

describe('rollups kept by the statement trigger', () => {
  test('sums equal event sums after concurrent batches from several connections, with no deadlock', async () => {
    const features = ['f1', 'f2', 'f3'];
    const minutes = [0, 1, 2].map((m) => new Date(Date.now() - m * 60_000).toISOString());
    const tenants = Object.values(ids);
    let expected = 0;
    // 8 writers x 12 batches x 250 rows, all hitting the same few (tenant, minute, feature) rows
    const writers = Array.from({ length: 8 }, async (_, w) => {
      for (let b = 0; b < 12; b++) {
        const rows = Array.from({ length: 250 }, (_, i) => {
          const tokens = 1 + ((w * 31 + b * 7 + i) % 97);
          expected += tokens;
          return row(tenants[i % 3]!, tokens, { feature: features[(i + b) % 3]!, occurredAt: minutes[(i + w) % 3]! });
        });
        await insertEvents(db.pool, rows);
      }
    });
    await Promise.all(writers);
    const s = await sums(db.pool);
    expect(s.eventCount).toBe(8 * 12 * 250);
    expect(s.rollupCount).toBe(8 * 12 * 250);
    expect(s.dailyCount).toBe(8 * 12 * 250);
    expect(s.rollups).toEqual(s.events);
    expect(s.daily).toEqual(s.events);
    expect(Object.values(s.events).reduce((a, b) => a + Number(b), 0)).toBe(expected);
    const { rows: [{ n }] } = await db.pool.query('select count(*)::int as n from flagmeter.rollups');
    expect(n).toBe(3 * 3 * 3);
  });

  test('rollup minute is the UTC minute of occurred_at', async () => {
    await insertEvents(db.pool, [row(ids.c!, 5, { feature: 'minute-test', occurredAt: '2026-11-03T10:17:59.999+05:30' })]);
    const { rows } = await db.pool.query(`select minute from flagmeter.rollups where feature = 'minute-test'`);
    expect(rows.map((r) => r.minute.toISOString())).toEqual(['2026-11-03T04:47:00.000Z']);
  });
});

describe('idempotency', () => {
  test('the same id twice in one batch is stored once and reported as a duplicate', async () => {
    const key = `same-batch-${randomUUID()}`;
    const dups = await insertEvents(db.pool, [row(ids.a!, 10, { key }), row(ids.a!, 10), row(ids.a!, 10, { key })]);
    expect(dups).toEqual([2]);
    const { rows } = await db.pool.query('select count(*)::int n from flagmeter.events where idempotency_key = $1', [key]);
    expect(rows[0].n).toBe(1);
  });

  test('the same id in two batches is stored once; the same id for another tenant is not a duplicate', async () => {
    const key = `two-batches-${randomUUID()}`;
    expect(await insertEvents(db.pool, [row(ids.a!, 10, { key })])).toEqual([]);
    expect(await insertEvents(db.pool, [row(ids.b!, 10, { key }), row(ids.a!, 10, { key })])).toEqual([1]);
  });

  test('two transactions racing on the same id: the second waits for the first and loses', async () => {
    const key = `race-${randomUUID()}`;
    const first = await db.pool.connect();
    const second = await db.pool.connect();
    try {
      await first.query('begin');
      // first claims the key but has not committed yet
      const claimed = insertEvents(first as never, [row(ids.a!, 7, { key })]);
      expect(await claimed).toEqual([]);
      const racing = insertEvents(second as never, [row(ids.a!, 7, { key })]);
      await new Promise((r) => setTimeout(r, 200));
      const { rows } = await db.pool.query(`select count(*)::int n from pg_stat_activity where wait_event_type = 'Lock' and datname = current_database()`);
      expect(rows[0].n).toBe(1); // the second is blocked on the first's key
      await first.query('commit');
      expect(await racing).toEqual([0]);
    } finally {
      first.release();
      second.release();
    }
    const { rows } = await db.pool.query('select count(*)::int n, sum(tokens)::int t from flagmeter.events where idempotency_key = $1', [key]);
    expect(rows[0]).toEqual({ n: 1, t: 7 });
  });

  test('when the first transaction rolls back, the racing copy is stored', async () => {
    const key = `rollback-${randomUUID()}`;
    const first = await db.pool.connect();
    try {
      await first.query('begin');
      await insertEvents(first as never, [row(ids.a!, 3, { key })]);
      const racing = insertEvents(db.pool, [row(ids.a!, 3, { key })]);
      await new Promise((r) => setTimeout(r, 100));
      await first.query('rollback');
      expect(await racing).toEqual([]);
    } finally {
      first.release();
    }
    const s = await sums(db.pool);
    expect(s.rollups).toEqual(s.events);
  });
});

describe('partitions', () => {
  test('an event outside every monthly partition lands in the default one and moves out when its month is created', async () => {
    const far = '2031-06-15T12:00:00Z';
    await insertEvents(db.pool, [row(ids.b!, 9, { occurredAt: far, feature: 'far' })]);
    const inDefault = await db.pool.query('select count(*)::int n from flagmeter.events_default');
    expect(inDefault.rows[0].n).toBe(1);
    await db.pool.query('select flagmeter.ensure_event_partitions(0, 60)');
    const after = await db.pool.query(`select (select count(*)::int from flagmeter.events_default) d, (select count(*)::int from flagmeter.events_2031_06) m`);
    expect(after.rows[0]).toEqual({ d: 0, m: 1 });
    const s = await sums(db.pool);
    expect(s.rollups).toEqual(s.events); // moving rows did not count them again
    expect(s.daily).toEqual(s.events);
  });
});
