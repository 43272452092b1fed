// withTransaction when the database goes away mid-transaction (a restart, a failover): the caller
// gets a rejected promise, the process lives on, and the pool does not hand the dead connection out again.
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { createTestDb, type TestDb } from '../helpers/db.ts';
import { withTransaction } from '../../server/db/pool.ts';

let db: TestDb;
beforeAll(async () => { db = await createTestDb(); });
afterAll(async () => { await db.drop(); });

test('a connection killed inside a transaction rejects the transaction instead of crashing the process', async () => {
  const work = withTransaction(db.pool, async (client) => {
    const { rows: [me] } = await client.query<{ pid: number }>('select pg_backend_pid() pid');
    // another session kills this one, as a server shutdown would, while it is inside the transaction
    await db.pool.query('select pg_terminate_backend($1)', [me!.pid]);
    await client.query('select pg_sleep(5)');
  });
  await expect(work).rejects.toThrow(/terminat|not queryable/);
  // the pool dropped the dead client: every connection it hands out works
  const pids = await Promise.all(Array.from({ length: 5 }, () => db.pool.query('select 1 one')));
  expect(pids.map((r) => r.rows[0].one)).toEqual([1, 1, 1, 1, 1]);
  expect(db.pool.totalCount).toBeLessThanOrEqual(5);
});
