// Feature-limit alerts through the existing path (the tick's transaction, the outbox, Slack), the
// quota_snapshot() contract with the flags service, and the expiry sweep — in SQL on a real database.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { loadConfig, type Config } from '../../server/config.ts';
import { insertEvents } from '../../server/db/events.ts';
import { deliverAlert } from '../../server/jobs/deliver.ts';
import { runTick } from '../../server/jobs/tick.ts';
import { startWorker, type Worker } from '../../server/jobs/worker.ts';
import { addTenants, createTestDb, silentLog, type TestDb } from '../helpers/db.ts';
import { startSlackStandIn, type SlackStandIn } from '../helpers/slack-stand-in.ts';

let db: TestDb;
let worker: Worker;
let slack: SlackStandIn;
let config: Config;

beforeAll(async () => {
  db = await createTestDb();
  slack = await startSlackStandIn();
  config = loadConfig({ WEBHOOK_ALLOW_PRIVATE: 'true', SLACK_WEBHOOK_URL: slack.url, LOG_LEVEL: 'silent' });
  worker = await startWorker({ config, pool: db.pool, databaseUrl: db.url, log: silentLog, work: false });
});
afterAll(async () => {
  await worker.stop();
  await slack.close();
  await db.drop();
});

const use = (tenantId: number, feature: string, tokens: number) =>
  insertEvents(db.pool, [{ id: randomUUID(), tenantId, feature, tokens, occurredAt: new Date().toISOString(), key: null, user: null }]);
const limit = (tenantId: number, feature: string, tokens: number, hard = false) =>
  db.pool.query('insert into flagmeter.feature_limits (tenant_id, feature, tokens, hard) values ($1, $2, $3, $4)', [tenantId, feature, tokens, hard]);

describe('feature-limit alerts', () => {
  test('fire once per tenant, feature, threshold and period, with the feature named; quota alerts unchanged beside them', async () => {
    const { 'fa-co': id } = await addTenants(db.pool, [{ slug: 'fa-co', quota: 100_000 }]);
    await limit(id!, 'gpt-4o', 1000);
    await limit(id!, 'mini', 1000);
    await use(id!, 'gpt-4o', 790);
    expect((await runTick(db.pool, worker.enqueue, config)).alerts).toEqual([]);
    await use(id!, 'gpt-4o', 60); // 85% of gpt-4o's limit; mini untouched; 0.85% of the quota
    const first = await runTick(db.pool, worker.enqueue, config);
    expect(first.alerts).toHaveLength(1);
    const again = await Promise.all([runTick(db.pool, worker.enqueue, config), runTick(db.pool, worker.enqueue, config, { recent: '10 minutes' })]);
    expect(again.flatMap((r) => r.alerts)).toEqual([]);
    const before = slack.delivered().length;
    expect(await deliverAlert(db.pool, worker.enqueue, config, first.alerts[0]!)).toMatchObject({ status: 'delivered' });
    expect(slack.delivered().slice(before).map((r) => r.body.text)).toEqual([
      "FlagMeter: tenant 'fa-co' has hit 85% of its 1,000-token limit on feature 'gpt-4o' this period."]);

    await use(id!, 'gpt-4o', 200); // 105%: the 100% threshold, found by the fast check
    const second = await runTick(db.pool, worker.enqueue, config, { recent: '10 minutes' });
    expect(second.alerts).toHaveLength(1);
    expect((await runTick(db.pool, worker.enqueue, config)).alerts).toEqual([]);
    const { rows } = await db.pool.query(`select feature, threshold, quota from report.alerts where tenant = 'fa-co' order by threshold`);
    expect(rows).toEqual([{ feature: 'gpt-4o', threshold: 80, quota: 1000 }, { feature: 'gpt-4o', threshold: 100, quota: 1000 }]);

    // the quota's own alert still comes once, beside the feature's at the same threshold
    await use(id!, 'mini', 80_000);
    const third = await runTick(db.pool, worker.enqueue, config);
    const made = await db.pool.query(`select feature, threshold from flagmeter.alerts where id = any($1::bigint[]) order by feature nulls first, threshold`, [third.alerts]);
    expect(made.rows).toEqual([{ feature: null, threshold: 80 }, { feature: 'mini', threshold: 80 }, { feature: 'mini', threshold: 100 }]);
    expect((await runTick(db.pool, worker.enqueue, config)).alerts).toEqual([]);
    const api = (await db.pool.query(`select a.feature from flagmeter.alerts a where a.id = $1`, [third.alerts[0]])).rows[0];
    expect(api.feature).toBeNull();
  });
});

describe('quota_snapshot(), the contract with the flags service', () => {
  test('one row per quota (feature null) and per feature limit, with the period usage', async () => {
    const ids = await addTenants(db.pool, [{ slug: 'qs-a', quota: 5000 }, { slug: 'qs-b', quota: 700 }, { slug: 'qs-c', quota: 900 }]);
    await limit(ids['qs-a']!, 'gpt-4o', 1000, true);
    await limit(ids['qs-a']!, 'unused', 50);
    await use(ids['qs-a']!, 'gpt-4o', 300);
    await use(ids['qs-a']!, 'mini', 20);
    await use(ids['qs-b']!, 'mini', 7);
    const { rows } = await db.pool.query(
      `select t.slug, s.feature, s.used, s.limit_tokens from flagmeter.quota_snapshot($1::bigint[]) s
       join flagmeter.tenants t on t.id = s.tenant_id order by t.slug, s.feature nulls first`, [[ids['qs-a'], ids['qs-b']]]);
    expect(rows).toEqual([
      { slug: 'qs-a', feature: null, used: 320, limit_tokens: 5000 },
      { slug: 'qs-a', feature: 'gpt-4o', used: 300, limit_tokens: 1000 },
      { slug: 'qs-a', feature: 'unused', used: 0, limit_tokens: 50 },
      { slug: 'qs-b', feature: null, used: 7, limit_tokens: 700 },
    ]);
    const { rows: [fn] } = await db.pool.query(
      `select provolatile, pg_get_function_result(oid) as result from pg_proc where proname = 'quota_snapshot' and pronamespace = 'flagmeter'::regnamespace`);
    expect(fn).toEqual({ provolatile: 's', result: 'TABLE(tenant_id bigint, feature text, used bigint, limit_tokens bigint)' });
  });
});

describe('the minute job sweeps reservations', () => {
  test('lapsed holds are marked expired; ended holds and check answers past the window are deleted; open ones stay', async () => {
    const { 'sweep-co': id } = await addTenants(db.pool, [{ slug: 'sweep-co' }]);
    await db.pool.query(
      `insert into flagmeter.reservations (tenant_id, id, tokens, status, created_at, expires_at, ended_at) values
         ($1, gen_random_uuid(), 5, 'open', now(), now() + interval '1 hour', null),
         ($1, gen_random_uuid(), 5, 'open', now() - interval '10 minutes', now() - interval '5 minutes', null),
         ($1, gen_random_uuid(), 5, 'settled', now() - interval '9 days', now() - interval '9 days', now() - interval '8 days'),
         ($1, gen_random_uuid(), 5, 'released', now() - interval '1 day', now() - interval '1 day', now() - interval '1 day')`, [id]);
    await db.pool.query(`insert into flagmeter.entitlement_checks (tenant_id, check_id, request, answer, created_at) values
      ($1, 'old', '{}', '{}', now() - interval '8 days'), ($1, 'new', '{}', '{}', now())`, [id]);
    const result = await runTick(db.pool, worker.enqueue, config);
    expect(result).toMatchObject({ reservationsExpired: 1, checksPruned: 1 });
    const { rows } = await db.pool.query(`select status from flagmeter.reservations where tenant_id = $1 order by created_at`, [id]);
    expect(rows.map((r) => r.status)).toEqual(['released', 'expired', 'open']);
    expect((await db.pool.query(`select check_id from flagmeter.entitlement_checks where tenant_id = $1`, [id])).rows).toEqual([{ check_id: 'new' }]);
  });
});
