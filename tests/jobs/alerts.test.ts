// Threshold crossings, the outbox, and Slack delivery with retries — on a real PostgreSQL with a
// real pg-boss and a real HTTP server standing in for Slack. Handlers and tick() are called directly.
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { loadConfig, type Config } from '../../server/config.ts';
import { insertEvents } from '../../server/db/events.ts';
import { makePool } from '../../server/db/pool.ts';
import { deliverAlert } from '../../server/jobs/deliver.ts';
import { runTick } from '../../server/jobs/tick.ts';
import { ALERT_QUEUE, startWorker, type Worker } from '../../server/jobs/worker.ts';
import { addTenants, createTestDb, silentLog, type TestDb } from '../helpers/db.ts';
import { startSlackStandIn, type SlackStandIn } from '../helpers/slack-stand-in.ts';

let db: TestDb;
let worker: Worker;
let slack: SlackStandIn;

const configFor = (env: Record<string, string> = {}): Config => loadConfig({
  // the stand-ins listen on 127.0.0.1, which the SSRF guard refuses unless allowed
  WEBHOOK_ALLOW_PRIVATE: 'true', SLACK_WEBHOOK_URL: slack.url, ALERT_RETRY_BASE_MS: '1000', ALERT_MAX_ATTEMPTS: '4', LOG_LEVEL: 'silent', ...env,
});

beforeAll(async () => {
  db = await createTestDb();
  slack = await startSlackStandIn();
  worker = await startWorker({ config: configFor(), pool: db.pool, databaseUrl: db.url, log: silentLog, work: false });
});
afterAll(async () => {
  await worker.stop();
  await slack.close();
  await db.drop();
});

async function tenant(opts: { quota?: number; billingDay?: number; timezone?: string } = {}): Promise<{ slug: string; id: number }> {
  const slug = `t-${randomUUID().slice(0, 8)}`;
  const ids = await addTenants(db.pool, [{ slug, quota: opts.quota ?? 1000, ...opts }]);
  return { slug, id: ids[slug]! };
}

async function use(tenantId: number, tokens: number, occurredAt = new Date().toISOString(), feature = 'gpt-4o'): Promise<void> {
  await insertEvents(db.pool, [{ id: randomUUID(), tenantId, feature, tokens, occurredAt, key: null, user: null }]);
}

async function alertsOf(tenantId: number) {
  const { rows } = await db.pool.query(
    'select id, threshold, status, attempts, last_error, delivered_at, period_start from flagmeter.alerts where tenant_id = $1 order by threshold, period_start', [tenantId]);
  return rows;
}

/** Delivery jobs waiting in pg-boss for these alerts (the outbox's other half). */
async function jobsFor(alertIds: number[]) {
  const { rows } = await db.pool.query(
    `select (data->>'alertId')::bigint as alert_id, start_after, created_on from pgboss.job
     where name = $1 and (data->>'alertId')::bigint = any($2::bigint[]) order by created_on`, [ALERT_QUEUE, alertIds]);
  return rows;
}

describe('threshold crossings', () => {
  test('an alert is sent once when usage crosses 80%, and once more at 100%', async () => {
    const config = configFor();
    const t = await tenant({ quota: 1000 });
    await use(t.id, 790);
    expect((await runTick(db.pool, worker.enqueue, config)).alerts).toEqual([]);

    await use(t.id, 60); // 85%
    const first = await runTick(db.pool, worker.enqueue, config);
    expect(first.alerts).toHaveLength(1);
    expect(await jobsFor(first.alerts)).toHaveLength(1);
    const before = slack.delivered().length;
    expect(await deliverAlert(db.pool, worker.enqueue, config, first.alerts[0]!)).toMatchObject({ status: 'delivered', attempts: 1 });
    expect(slack.delivered().slice(before).map((r) => r.body)).toEqual([
      { text: `FlagMeter: tenant '${t.slug}' has hit 85% of 1,000 tokens this month.` }]);

    // later ticks and a duplicate job change nothing
    expect((await runTick(db.pool, worker.enqueue, config)).alerts).toEqual([]);
    expect(await deliverAlert(db.pool, worker.enqueue, config, first.alerts[0]!)).toEqual({ status: 'stale' });

    await use(t.id, 160); // 101%
    const second = await runTick(db.pool, worker.enqueue, config, { recent: '10 minutes' });
    expect(second.alerts).toHaveLength(1);
    await deliverAlert(db.pool, worker.enqueue, config, second.alerts[0]!);
    expect(slack.delivered().slice(before).map((r) => r.body.text)).toEqual([
      `FlagMeter: tenant '${t.slug}' has hit 85% of 1,000 tokens this month.`,
      `FlagMeter: tenant '${t.slug}' has hit 101% of 1,000 tokens this month.`]);
    expect((await alertsOf(t.id)).map((a) => [a.threshold, a.status])).toEqual([[80, 'delivered'], [100, 'delivered']]);
  });

  test('per-tenant thresholds are honoured; an empty list means no alerts', async () => {
    const t = await tenant({ quota: 100 });
    await db.pool.query('update flagmeter.tenants set alert_thresholds = $2 where id = $1', [t.id, [50]]);
    await use(t.id, 60);
    await runTick(db.pool, worker.enqueue, configFor());
    expect((await alertsOf(t.id)).map((a) => a.threshold)).toEqual([50]);
    const quiet = await tenant({ quota: 100 });
    await db.pool.query(`update flagmeter.tenants set alert_thresholds = '{}' where id = $1`, [quiet.id]);
    await use(quiet.id, 500);
    await runTick(db.pool, worker.enqueue, configFor());
    expect(await alertsOf(quiet.id)).toEqual([]);
  });

  test('several workers ticking at the same time still produce one alert and one job', async () => {
    const t = await tenant({ quota: 1000 });
    await use(t.id, 900);
    const pools = Array.from({ length: 5 }, () => makePool(db.url, 2, silentLog));
    try {
      const results = await Promise.all(pools.map((p) => runTick(p, worker.enqueue, configFor())));
      const rows = await alertsOf(t.id);
      expect(rows).toHaveLength(1);
      // exactly one of the five ticks inserted it (and so enqueued it)
      expect(results.flatMap((r) => r.alerts).filter((id) => id === rows[0].id)).toHaveLength(1);
      expect(await jobsFor([rows[0].id])).toHaveLength(1);
    } finally {
      await Promise.all(pools.map((p) => p.end()));
    }
  });

  test('a new billing period re-arms the thresholds', async () => {
    const t = await tenant({ quota: 1000, billingDay: 5, timezone: 'Europe/Berlin' });
    const { rows: [p] } = await db.pool.query(`select period_start from flagmeter.billing_period(5, 'Europe/Berlin', now())`);
    const current: Date = p.period_start;
    const previous = new Date(current.getTime() - 10 * 86_400_000); // inside the previous period
    await use(t.id, 900, previous.toISOString());
    const inPrevious = await runTick(db.pool, worker.enqueue, configFor(), { asOf: new Date(previous.getTime() + 3600_000) });
    expect(inPrevious.alerts).toHaveLength(1);
    // the new period starts from zero: nothing to alert yet
    expect((await runTick(db.pool, worker.enqueue, configFor(), { asOf: new Date(current.getTime() + 60_000) })).alerts).toEqual([]);
    await use(t.id, 850, new Date(current.getTime() + 120_000).toISOString());
    expect((await runTick(db.pool, worker.enqueue, configFor(), { asOf: new Date(current.getTime() + 180_000) })).alerts).toHaveLength(1);
    const rows = await alertsOf(t.id);
    expect(rows.map((a) => a.threshold)).toEqual([80, 80]);
    expect(rows[0].period_start.getTime()).toBeLessThan(current.getTime());
    expect(rows[1].period_start.toISOString()).toBe(current.toISOString());
  });
});

describe('delivery', () => {
  async function crossedAlert(): Promise<number> {
    const t = await tenant({ quota: 100 });
    await use(t.id, 85);
    const { alerts } = await runTick(db.pool, worker.enqueue, configFor());
    return alerts[0]!;
  }

  test('a stand-in answering 500 twice then 200 gets exactly one delivered message after retries with growing delays', async () => {
    const flaky = await startSlackStandIn([{ status: 500 }, { status: 500 }], { status: 200 });
    try {
      const config = configFor({ SLACK_WEBHOOK_URL: flaky.url });
      const id = await crossedAlert();
      const first = await deliverAlert(db.pool, worker.enqueue, config, id);
      const second = await deliverAlert(db.pool, worker.enqueue, config, id);
      const third = await deliverAlert(db.pool, worker.enqueue, config, id);
      expect([first.status, second.status, third.status]).toEqual(['retrying', 'retrying', 'delivered']);
      // base 1 s with equal jitter: attempt 1 waits 0.5–1 s, attempt 2 waits 1–2 s
      expect((first as { retryInMs: number }).retryInMs).toBeGreaterThanOrEqual(500);
      expect((first as { retryInMs: number }).retryInMs).toBeLessThanOrEqual(1000);
      expect((second as { retryInMs: number }).retryInMs).toBeGreaterThanOrEqual(1000);
      expect(flaky.received).toHaveLength(3);
      expect(flaky.delivered()).toHaveLength(1);
      const { rows: [a] } = await db.pool.query('select status, attempts, last_error, delivered_at from flagmeter.alerts where id = $1', [id]);
      expect(a).toMatchObject({ status: 'delivered', attempts: 3, last_error: null });
      expect(a.delivered_at).toBeInstanceOf(Date);
      // each failure left its retry in pg-boss, to start after the backoff
      const jobs = await jobsFor([id]);
      expect(jobs).toHaveLength(3);
      expect(jobs[1].start_after.getTime()).toBeGreaterThan(jobs[1].created_on.getTime());
    } finally {
      await flaky.close();
    }
  });

  test("a 429 with Retry-After: 2 is honoured: the retry is scheduled no sooner than 2 s later", async () => {
    const limited = await startSlackStandIn([{ status: 429, headers: { 'Retry-After': '2' } }]);
    try {
      const id = await crossedAlert();
      const outcome = await deliverAlert(db.pool, worker.enqueue, configFor({ SLACK_WEBHOOK_URL: limited.url, ALERT_RETRY_BASE_MS: '100' }), id);
      expect(outcome).toMatchObject({ status: 'retrying', retryInMs: 2000, error: expect.stringContaining('429') });
      const retry = (await jobsFor([id]))[1];
      expect(retry.start_after.getTime() - retry.created_on.getTime()).toBeGreaterThanOrEqual(2000);
    } finally {
      await limited.close();
    }
  });

  test('a stand-in that always fails ends as a failed alert with its error recorded', async () => {
    const broken = await startSlackStandIn([], { status: 503 });
    try {
      const config = configFor({ SLACK_WEBHOOK_URL: broken.url, ALERT_MAX_ATTEMPTS: '3' });
      const id = await crossedAlert();
      const outcomes = [];
      for (let i = 0; i < 3; i++) outcomes.push((await deliverAlert(db.pool, worker.enqueue, config, id)).status);
      expect(outcomes).toEqual(['retrying', 'retrying', 'failed']);
      const { rows: [a] } = await db.pool.query('select status, attempts, last_error from report.alerts where id = $1', [id]);
      expect(a).toEqual({ status: 'failed', attempts: 3, last_error: 'HTTP 503' }); // the remote body is never shown to read keys
      expect(await jobsFor([id])).toHaveLength(3); // no retry is scheduled after the last attempt
    } finally {
      await broken.close();
    }
  });

  test('an unreachable webhook and a timeout are recorded as errors too', async () => {
    const id = await crossedAlert();
    const refused = await deliverAlert(db.pool, worker.enqueue, configFor({ SLACK_WEBHOOK_URL: 'http://127.0.0.1:9/nothing' }), id);
    expect(refused).toMatchObject({ status: 'retrying', error: expect.stringMatching(/ECONNREFUSED/) });
    // a server that accepts the request and never answers
    const silent = http.createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(silent.address() as AddressInfo).port}/`;
      const timedOut = await deliverAlert(db.pool, worker.enqueue, configFor({ SLACK_WEBHOOK_URL: url, ALERT_HTTP_TIMEOUT_MS: '200' }), id);
      expect(timedOut).toMatchObject({ status: 'retrying', attempts: 2, error: 'no answer within 200 ms' });
    } finally {
      silent.closeAllConnections();
      silent.close();
    }
  });

  test("a tenant's own webhook wins over the default; a disabled one skips the alert", async () => {
    const own = await startSlackStandIn();
    try {
      const t = await tenant({ quota: 100 });
      await db.pool.query('insert into flagmeter.slack_webhooks (tenant_id, url) values ($1, $2)', [t.id, own.url]);
      await use(t.id, 95);
      const [id] = (await runTick(db.pool, worker.enqueue, configFor())).alerts;
      expect((await deliverAlert(db.pool, worker.enqueue, configFor(), id!)).status).toBe('delivered');
      expect(own.delivered()).toHaveLength(1);

      await db.pool.query('update flagmeter.slack_webhooks set enabled = false where tenant_id = $1', [t.id]);
      await use(t.id, 10);
      const [id100] = (await runTick(db.pool, worker.enqueue, configFor())).alerts;
      expect(await deliverAlert(db.pool, worker.enqueue, configFor(), id100!)).toMatchObject({ status: 'skipped', error: expect.stringContaining('disabled') });
      expect(own.received).toHaveLength(1);
    } finally {
      await own.close();
    }
  });

  test('webhook URLs must be http(s)', async () => {
    const t = await tenant();
    await expect(db.pool.query('insert into flagmeter.slack_webhooks (tenant_id, url) values ($1, $2)', [t.id, 'ftp://x'])).rejects.toThrow(/check constraint/);
    expect(() => loadConfig({ SLACK_WEBHOOK_URL: 'javascript:alert(1)' })).toThrow(/SLACK_WEBHOOK_URL/);
  });
});
