// The evaluation counter against a real PostgreSQL 18: N counts are N rows' worth in
// flagmeter.flag_evaluations, split by value and by hour (the clock is Date.now() when the counter's
// own clock is not running), counts made while a flush is writing go to the next one, and a failed
// flush keeps its counts.
import { afterAll, afterEach, beforeAll, expect, jest, test } from '@jest/globals';
import { addTenants, createTestDb, silentLog as log, type TestDb } from '../helpers/db.ts';
import { EvaluationCounter } from '../../server/flags/counter.ts';
import { makePool } from '../../server/db/pool.ts';

let db: TestDb;
let tenantId: number;
let envId: number;
const HOUR = 3_600_000;

beforeAll(async () => {
  db = await createTestDb();
  await addTenants(db.pool, [{ slug: 'acme' }]);
  tenantId = (await db.pool.query(`select id from flagmeter.tenants where slug = 'acme'`)).rows[0].id;
  envId = (await db.pool.query(`select id from flagmeter.environments where name = 'prod'`)).rows[0].id;
});
afterEach(async () => {
  jest.restoreAllMocks();
  await db.pool.query('delete from flagmeter.flag_evaluations');
});
afterAll(async () => {
  await db.drop();
});

const stored = async () => (await db.pool.query(
  `select flag_key, value, extract(epoch from hour) * 1000 as hour, evaluations::int as n from flagmeter.flag_evaluations order by hour, flag_key, value`)).rows
  .map((r) => ({ key: r.flag_key, value: r.value, hour: Number(r.hour), n: r.n }));

test('N evaluations are written as N, by value (a JSON flag by variant) and by hour', async () => {
  const counter = new EvaluationCounter(db.pool, 0, log);
  const t0 = Math.floor(Date.now() / HOUR) * HOUR - 2 * HOUR;
  let now = t0 + 10 * 60_000;
  jest.spyOn(Date, 'now').mockImplementation(() => now);
  const flag = counter.tally(tenantId, envId, 'model');
  const json = counter.tally(tenantId, envId, 'config');
  const values = ['gpt-4o', 'gpt-4o-mini', 'o3'];
  for (let i = 0; i < 10_000; i++) counter.count(flag, { value: values[i % 3], variant: 'x' });
  for (let i = 0; i < 50; i++) counter.count(json, { value: { tokens: i }, variant: i % 2 ? 'big' : 'small' });
  now = t0 + HOUR + 1; // the next hour
  for (let i = 0; i < 7; i++) counter.count(flag, { value: 'o3', variant: 'c' });
  counter.countValue(tenantId, envId, 'flat', true);
  await counter.flush();
  expect(await stored()).toEqual([
    { key: 'config', value: 'big', hour: t0, n: 25 }, { key: 'config', value: 'small', hour: t0, n: 25 },
    { key: 'model', value: 'gpt-4o', hour: t0, n: 3334 }, { key: 'model', value: 'gpt-4o-mini', hour: t0, n: 3333 }, { key: 'model', value: 'o3', hour: t0, n: 3333 },
    { key: 'flat', value: 'true', hour: t0 + HOUR, n: 1 }, { key: 'model', value: 'o3', hour: t0 + HOUR, n: 7 },
  ]);
  expect(counter.evaluated).toBe(10_058);
  // a second flush adds what came since, to the same rows
  for (let i = 0; i < 3; i++) counter.count(flag, { value: 'o3', variant: 'c' });
  await counter.flush();
  expect((await stored()).find((r) => r.hour === t0 + HOUR && r.key === 'model')).toMatchObject({ n: 10 });
});

test('counts made while a flush writes go to the next flush; a failed flush keeps its counts', async () => {
  const counter = new EvaluationCounter(db.pool, 0, log);
  const flag = counter.tally(tenantId, envId, 'busy');
  for (let i = 0; i < 100; i++) counter.count(flag, { value: true, variant: 'on' });
  const writing = counter.flush();
  for (let i = 0; i < 23; i++) counter.count(flag, { value: true, variant: 'on' });
  await writing;
  expect((await stored()).reduce((a, r) => a + r.n, 0)).toBe(100);
  await counter.flush();
  expect((await stored()).reduce((a, r) => a + r.n, 0)).toBe(123);

  // a pool on a database that does not exist: the counts wait; the same counter, given a working pool, writes them
  const nowhere = new URL(db.url);
  nowhere.pathname = '/flagmeter_no_such_database';
  const broken = makePool(nowhere.toString(), 1, log);
  try {
    const failing = new EvaluationCounter(broken, 0, log);
    const t = failing.tally(tenantId, envId, 'busy');
    for (let i = 0; i < 5; i++) failing.count(t, { value: true, variant: 'on' });
    await failing.flush();
    expect(failing.failures).toBe(1);
    expect((await stored()).reduce((a, r) => a + r.n, 0)).toBe(123);
    Object.assign(failing, { pool: db.pool });
    await failing.flush();
    expect((await stored()).reduce((a, r) => a + r.n, 0)).toBe(128);
  } finally {
    await broken.end();
  }
});
