// Threshold alerts on the money budgets — the tenant's monthly budget and a feature's limit in
// money — through the same minute job, outbox and delivery as the token alerts: once per period
// and threshold, the message in money, retried with backoff, posted to a real HTTP stand-in for Slack.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { loadConfig, type Config } from '../../server/config.ts';
import { listAlerts } from '../../server/db/alerts.ts';
import { insertEvents } from '../../server/db/events.ts';
import { makePool } from '../../server/db/pool.ts';
import { deliverAlert } from '../../server/jobs/deliver.ts';
import { runTick } from '../../server/jobs/tick.ts';
import { startWorker, type Worker } from '../../server/jobs/worker.ts';
import { addTenants, createTestDb, silentLog, type TestDb } from '../helpers/db.ts';
import { startSlackStandIn, type SlackStandIn } from '../helpers/slack-stand-in.ts';

let db: TestDb;
let worker: Worker;
let slack: SlackStandIn;

const configFor = (env: Record<string, string> = {}): Config => loadConfig({
  WEBHOOK_ALLOW_PRIVATE: 'true', SLACK_WEBHOOK_URL: slack.url, ALERT_RETRY_BASE_MS: '1000', ALERT_MAX_ATTEMPTS: '4', LOG_LEVEL: 'silent', ...env,
});

beforeAll(async () => {
  db = await createTestDb();
  slack = await startSlackStandIn();
  worker = await startWorker({ config: configFor(), pool: db.pool, databaseUrl: db.url, log: silentLog, work: false });
  // m-alert: 1,000 per million plain tokens, so 1,000 tokens cost 1.00 (USD and EUR)
  await db.pool.query(`insert into flagmeter.prices (model, currency, effective_from, input, output, cached, plain)
    values ('m-alert', 'USD', '2000-01-01', 1000, 1000, 1000, 1000), ('m-alert', 'EUR', '2000-01-01', 1000, 1000, 1000, 1000)`);
});
afterAll(async () => {
  await worker.stop();
  await slack.close();
  await db.drop();
});

/** A tenant with a token quota (large unless given) and a money budget (null: none). */
async function tenant(opts: { quota?: number; budget?: string | null; currency?: string } = {}): Promise<{ slug: string; id: number }> {
  const slug = `b-${randomUUID().slice(0, 8)}`;
  const ids = await addTenants(db.pool, [{ slug, quota: opts.quota ?? 1_000_000_000 }]);
  await db.pool.query('update flagmeter.tenants set monthly_budget = $2::numeric, currency = $3::text where id = $1',
    [ids[slug], opts.budget === undefined ? '500' : opts.budget, opts.currency ?? 'USD']);
  return { slug, id: ids[slug]! };
}

const use = (tenantId: number, tokens: number, feature = 'm-alert') =>
  insertEvents(db.pool, [{ id: randomUUID(), tenantId, feature, tokens, occurredAt: new Date().toISOString(), key: null, user: null }]);

async function moneyAlerts(tenantId: number) {
  const { rows } = await db.pool.query(
    `select threshold, feature, unit, used_tokens, quota, trim_scale(used_cost)::text as used_cost, trim_scale(budget)::text as budget, status
     from flagmeter.alerts where tenant_id = $1 order by unit, feature nulls first, threshold`, [tenantId]);
  return rows;
}

/** Delivers the alerts and answers the texts the stand-in received for them. */
async function deliver(config: Config, ids: number[]): Promise<string[]> {
  const before = slack.delivered().length;
  for (const id of ids) expect(await deliverAlert(db.pool, worker.enqueue, config, id)).toMatchObject({ status: 'delivered', attempts: 1 });
  return slack.delivered().slice(before).map((r) => r.body.text);
}

describe('the tenant\'s budget', () => {
  test('80% and 100% alert once each, in money ("$412.50 of $500 — 82%")', async () => {
    const config = configFor();
    const t = await tenant();
    await use(t.id, 390_000); // $390: 78%
    expect((await runTick(db.pool, worker.enqueue, config)).alerts).toEqual([]);

    await use(t.id, 22_500); // $412.50: 82.5%
    const first = await runTick(db.pool, worker.enqueue, config);
    expect(first.alerts).toHaveLength(1);
    expect(await deliver(config, first.alerts)).toEqual([`FlagMeter: tenant '${t.slug}', monthly budget: $412.50 of $500 — 82% this period.`]);
    // later ticks, the fast one too, and a duplicate job change nothing
    expect((await runTick(db.pool, worker.enqueue, config)).alerts).toEqual([]);
    expect((await runTick(db.pool, worker.enqueue, config, { recent: '10 minutes' })).alerts).toEqual([]);
    expect(await deliverAlert(db.pool, worker.enqueue, config, first.alerts[0]!)).toEqual({ status: 'stale' });

    await use(t.id, 100_000); // $512.50: 102.5%
    const second = await runTick(db.pool, worker.enqueue, config, { recent: '10 minutes' });
    expect(second.alerts).toHaveLength(1);
    expect(await deliver(config, second.alerts)).toEqual([`FlagMeter: tenant '${t.slug}', monthly budget: $512.50 of $500 — 102% this period.`]);
    expect(await moneyAlerts(t.id)).toEqual([
      { threshold: 80, feature: null, unit: 'money', used_tokens: 412_500, quota: null, used_cost: '412.5', budget: '500', status: 'delivered' },
      { threshold: 100, feature: null, unit: 'money', used_tokens: 512_500, quota: null, used_cost: '512.5', budget: '500', status: 'delivered' },
    ]);
    // the API shows them with the money; quota 0 says no token limit was crossed
    const shown = (await listAlerts(db.pool, { tenant: t.slug, limit: 10 })).reverse();
    expect(shown.map((a) => ({ threshold: a.threshold, unit: a.unit, usedCost: a.usedCost, budget: a.budget, currency: a.currency, percent: a.percent, quota: a.quota })))
      .toEqual([
        { threshold: 80, unit: 'money', usedCost: '412.5', budget: '500', currency: 'USD', percent: 82.5, quota: 0 },
        { threshold: 100, unit: 'money', usedCost: '512.5', budget: '500', currency: 'USD', percent: 102.5, quota: 0 },
      ]);
  });

  test('the quota\'s 80% and the budget\'s 80% are two alerts, each once, even with five workers ticking at once', async () => {
    const t = await tenant({ quota: 500_000, budget: '500' });
    await use(t.id, 450_000); // 90% of the quota, $450: 90% of the budget
    const pools = Array.from({ length: 5 }, () => makePool(db.url, 2, silentLog));
    try {
      const results = await Promise.all(pools.map((p) => runTick(p, worker.enqueue, configFor())));
      const { rows } = await db.pool.query('select id, unit from flagmeter.alerts where tenant_id = $1 order by unit', [t.id]);
      expect(rows.map((r) => r.unit)).toEqual(['money', 'tokens']);
      expect(results.flatMap((r) => r.alerts).sort()).toEqual(rows.map((r) => r.id).sort());
    } finally {
      await Promise.all(pools.map((p) => p.end()));
    }
    const texts = await deliver(configFor(), (await db.pool.query('select id from flagmeter.alerts where tenant_id = $1 order by unit', [t.id])).rows.map((r) => r.id));
    expect(texts).toEqual([
      `FlagMeter: tenant '${t.slug}', monthly budget: $450 of $500 — 90% this period.`,
      `FlagMeter: tenant '${t.slug}' has hit 90% of 500,000 tokens this month.`,
    ]);
  });

  test('a tenant without a budget, or without thresholds, gets no money alert', async () => {
    const none = await tenant({ budget: null });
    const quiet = await tenant();
    await db.pool.query(`update flagmeter.tenants set alert_thresholds = '{}' where id = $1`, [quiet.id]);
    await use(none.id, 900_000);
    await use(quiet.id, 900_000);
    await runTick(db.pool, worker.enqueue, configFor());
    expect(await moneyAlerts(none.id)).toEqual([]);
    expect(await moneyAlerts(quiet.id)).toEqual([]);
  });
});

describe('a feature\'s limit in money', () => {
  test('crossing it alerts in the tenant\'s currency, at the tenant\'s thresholds; other features do not count', async () => {
    const t = await tenant({ budget: null, currency: 'EUR' });
    await db.pool.query(`update flagmeter.tenants set alert_thresholds = '{50,80}' where id = $1`, [t.id]);
    await db.pool.query(`insert into flagmeter.feature_limits (tenant_id, feature, monthly_budget) values ($1, 'm-alert', 50)`, [t.id]);
    await use(t.id, 24_000); // €24: 48%
    await use(t.id, 900_000, 'm-unpriced'); // costs nothing, and is not m-alert's
    expect((await runTick(db.pool, worker.enqueue, configFor())).alerts).toEqual([]);
    await use(t.id, 17_250); // €41.25: 82.5%
    const { alerts } = await runTick(db.pool, worker.enqueue, configFor());
    expect(alerts).toHaveLength(2);
    expect(await deliver(configFor(), alerts)).toEqual([
      `FlagMeter: tenant '${t.slug}', budget on feature 'm-alert': €41.25 of €50 — 82% this period.`,
      `FlagMeter: tenant '${t.slug}', budget on feature 'm-alert': €41.25 of €50 — 82% this period.`,
    ]);
    expect((await moneyAlerts(t.id)).map((a) => [a.threshold, a.feature, a.unit, a.used_tokens, a.used_cost, a.budget])).toEqual([
      [50, 'm-alert', 'money', 41_250, '41.25', '50'], [80, 'm-alert', 'money', 41_250, '41.25', '50'],
    ]);
  });
});

describe('delivery of a money alert', () => {
  test('a stand-in answering 500 then 200 gets it once after a backoff; a webhook subscriber gets the money in its event', async () => {
    const flaky = await startSlackStandIn([{ status: 500 }], { status: 200 });
    try {
      const t = await tenant({ budget: '10' });
      await db.pool.query(`insert into flagmeter.webhook_endpoints (tenant_id, url, event_types, secret) values ($1, 'https://hooks.example.com/x', '{quota.threshold_crossed}', 'whsec_test')`, [t.id]);
      await use(t.id, 8_500); // $8.50 of $10
      const config = configFor({ SLACK_WEBHOOK_URL: flaky.url });
      const { alerts } = await runTick(db.pool, worker.enqueue, config);
      expect(alerts).toHaveLength(1);
      const first = await deliverAlert(db.pool, worker.enqueue, config, alerts[0]!);
      expect(first).toMatchObject({ status: 'retrying', attempts: 1 });
      expect((first as { retryInMs: number }).retryInMs).toBeGreaterThanOrEqual(500);
      expect(await deliverAlert(db.pool, worker.enqueue, config, alerts[0]!)).toMatchObject({ status: 'delivered', attempts: 2 });
      expect(flaky.delivered().map((r) => r.body.text)).toEqual([`FlagMeter: tenant '${t.slug}', monthly budget: $8.50 of $10 — 85% this period.`]);
      expect(flaky.received).toHaveLength(2);

      const { rows } = await db.pool.query(`select type, payload->'data' as data from flagmeter.webhook_events where tenant = $1`, [t.slug]);
      expect(rows).toEqual([{ type: 'quota.threshold_crossed', data: expect.objectContaining({
        tenant: t.slug, feature: null, threshold: 80, unit: 'money', usedCost: '8.5', budget: '10', currency: 'USD', usedTokens: 8500, quota: null,
      }) }]);
    } finally {
      await flaky.close();
    }
  });
});
