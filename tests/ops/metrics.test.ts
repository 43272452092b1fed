// GET /metrics on a real FlagMeter: every named series is exposed, and the ingest, HTTP and alert
// series move when events arrive over HTTP. The worker role serves /metrics on METRICS_PORT.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { post, startTestApp } from '../helpers/app.ts';
import { addTenants, createTestDb, type TestDb } from '../helpers/db.ts';
import { startSlackStandIn, type SlackStandIn } from '../helpers/slack-stand-in.ts';
import type { FlagMeter } from '../../server/runtime.ts';

const NAMED = {
  'flagmeter_http_request_duration_seconds': 'histogram', 'flagmeter_events_ingested_total': 'counter',
  'flagmeter_batch_size_events': 'histogram', 'flagmeter_batch_flush_duration_seconds': 'histogram',
  'flagmeter_batch_flush_failures_total': 'counter', 'flagmeter_buffer_events': 'gauge', 'flagmeter_duplicates_total': 'counter',
  'flagmeter_alerts_sent_total': 'counter', 'flagmeter_alerts_failed_total': 'counter', 'flagmeter_pgboss_queue_depth': 'gauge',
  'flagmeter_usage_cache_reads_total': 'counter',
  'process_resident_memory_bytes': 'gauge', 'nodejs_heap_size_used_bytes': 'gauge', 'nodejs_eventloop_lag_p99_seconds': 'gauge',
};

/** Prometheus text → value per series (`name{labels}`, labels as printed) and `# TYPE name` → type. */
async function scrape(base: string): Promise<Map<string, number | string>> {
  const res = await fetch(`${base}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
  const series = new Map<string, number | string>();
  for (const line of (await res.text()).split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*(?:\{[^}]*\})?) (\S+)$/.exec(line);
    if (m) series.set(m[1]!, Number(m[2]));
    const t = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (t) series.set(`# TYPE ${t[1]}`, t[2]!);
  }
  return series;
}

const value = (s: Map<string, number | string>, key: string) => Number(s.get(key) ?? 0);
const types = (s: Map<string, number | string>) => Object.fromEntries(Object.keys(NAMED).map((n) => [n, s.get(`# TYPE ${n}`)]));

let db: TestDb;
let slack: SlackStandIn;
let failing: SlackStandIn;
let app: FlagMeter;

beforeAll(async () => {
  db = await createTestDb();
  const ids = await addTenants(db.pool, [{ slug: 'acme-corp', quota: 1000 }, { slug: 'globex-inc', quota: 1000 }, { slug: 'initech-llc' }]);
  slack = await startSlackStandIn([], { status: 200 });
  failing = await startSlackStandIn([], { status: 500 });
  await db.pool.query('insert into flagmeter.slack_webhooks (tenant_id, url) values ($1::bigint, $2::text)', [ids['globex-inc'], failing.url]);
  app = await startTestApp(db.url, {
    WEBHOOK_ALLOW_PRIVATE: 'true', SLACK_WEBHOOK_URL: slack.url, ALERT_CHECK_INTERVAL_MS: '200', ALERT_MAX_ATTEMPTS: '1', FLAGMETER_DEMO: 'false',
  }, 'all');
});
afterAll(async () => {
  await app.stop();
  await slack.close();
  await failing.close();
  await db.drop();
});

test('exposes every named series, on the API port', async () => {
  expect(app.metricsUrl).toBe(app.url);
  const s = await scrape(app.url);
  expect(types(s)).toEqual(NAMED);
  expect(s.get('flagmeter_pgboss_queue_depth{queue="alert-delivery"}')).toBeGreaterThanOrEqual(0);
  expect(s.has('flagmeter_pgboss_queue_depth{queue="flagmeter-tick"}')).toBe(true);
});

test('ingest series move with the events posted; HTTP latency is labelled by route pattern', async () => {
  const before = await scrape(app.url);
  const one = { tenant: 'initech-llc', feature: 'gpt-4o', tokens: 5, id: 'm-1' };
  expect((await post(app.url, one)).status).toBe(201);
  expect((await post(app.url, one)).status).toBe(200); // duplicate
  expect((await post(app.url, [
    { tenant: 'initech-llc', feature: 'gpt-4o', tokens: 1 }, { tenant: 'initech-llc', feature: 'claude', tokens: 2 },
  ])).status).toBe(201);
  expect((await post(app.url, { tenant: 'initech-llc', feature: 'x', tokens: 0 })).status).toBe(400);
  expect((await fetch(`${app.url}/api/usage/initech-llc`)).status).toBe(200);
  const after = await scrape(app.url);

  const delta = (key: string) => value(after, key) - value(before, key);
  expect(delta('flagmeter_events_ingested_total')).toBe(3);
  expect(delta('flagmeter_duplicates_total')).toBe(1);
  expect(delta('flagmeter_batch_size_events_count')).toBe(3);
  expect(delta('flagmeter_batch_size_events_sum')).toBe(4);
  expect(delta('flagmeter_batch_flush_duration_seconds_count')).toBe(3);
  expect(delta('flagmeter_batch_flush_failures_total')).toBe(0);
  expect(value(after, 'flagmeter_buffer_events')).toBe(0);

  const http = (route: string, status: number) => `flagmeter_http_request_duration_seconds_count{method="POST",route="${route}",status="${status}"}`;
  expect(delta(http('/api/events', 201))).toBe(2);
  expect(delta(http('/api/events', 200))).toBe(1);
  // an error answered by the app-level handler keeps its route pattern
  expect(delta(http('/api/events', 400))).toBe(1);
  expect(delta('flagmeter_http_request_duration_seconds_count{method="GET",route="/api/usage/:tenant",status="200"}')).toBe(1);
  // the test app runs without a usage cache: the read was PostgreSQL's
  expect(delta('flagmeter_usage_cache_reads_total{source="postgres"}')).toBe(1);
  expect(delta('flagmeter_usage_cache_reads_total{source="memory"}')).toBe(0);
  // never the raw URL
  expect([...after.keys()].some((k) => k.includes('initech-llc'))).toBe(false);
});

test('alerts sent and failed count delivery outcomes', async () => {
  const before = await scrape(app.url);
  expect((await post(app.url, { tenant: 'acme-corp', feature: 'gpt-4o', tokens: 850 })).status).toBe(201);
  expect((await post(app.url, { tenant: 'globex-inc', feature: 'gpt-4o', tokens: 850 })).status).toBe(201);
  let after = before;
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    after = await scrape(app.url);
    if (value(after, 'flagmeter_alerts_sent_total') > value(before, 'flagmeter_alerts_sent_total')
      && value(after, 'flagmeter_alerts_failed_total') > value(before, 'flagmeter_alerts_failed_total')) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  expect(value(after, 'flagmeter_alerts_sent_total') - value(before, 'flagmeter_alerts_sent_total')).toBe(1);
  expect(value(after, 'flagmeter_alerts_failed_total') - value(before, 'flagmeter_alerts_failed_total')).toBe(1);
  expect(slack.delivered()).toHaveLength(1);
  expect(failing.received).toHaveLength(1);
}, 30_000);

describe('the worker role', () => {
  let worker: FlagMeter;
  beforeAll(async () => { worker = await startTestApp(db.url, { METRICS_PORT: '0', ALERT_CHECK_INTERVAL_MS: '0' }, 'worker'); });
  afterAll(async () => { await worker.stop(); });

  test('serves /metrics and /api/health on METRICS_PORT, nothing else', async () => {
    expect(worker.url).toBe('');
    const s = await scrape(worker.metricsUrl);
    expect(types(s)).toEqual(NAMED);
    expect(s.has('flagmeter_pgboss_queue_depth{queue="alert-delivery"}')).toBe(true);
    const health = await fetch(`${worker.metricsUrl}/api/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: 'healthy' });
    expect((await fetch(`${worker.metricsUrl}/api/events`)).status).toBe(404);
  });
});

describe('METRICS_TOKEN', () => {
  const TOKEN = 'scrape-me-please-0123';
  let api: FlagMeter;
  let worker: FlagMeter;
  beforeAll(async () => {
    [api, worker] = await Promise.all([
      startTestApp(db.url, { METRICS_TOKEN: TOKEN }),
      startTestApp(db.url, { METRICS_TOKEN: TOKEN, METRICS_PORT: '0', ALERT_CHECK_INTERVAL_MS: '0' }, 'worker'),
    ]);
  });
  afterAll(async () => { await Promise.all([api.stop(), worker.stop()]); });

  test('/metrics answers only requests that carry the token, on the API port and the worker\'s', async () => {
    for (const base of [api.metricsUrl, worker.metricsUrl]) {
      for (const authorization of [undefined, 'Bearer wrong-token-0123456789', TOKEN, `Bearer ${TOKEN}x`]) {
        const res = await fetch(`${base}/metrics`, { headers: authorization ? { authorization } : {} });
        expect({ base, authorization, status: res.status }).toEqual({ base, authorization, status: 401 });
        expect(res.headers.get('www-authenticate')).toMatch(/^Bearer /);
        expect((await res.json()).error.code).toBe('unauthorized');
      }
      const ok = await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
      expect(ok.status).toBe(200);
      expect(await ok.text()).toContain('flagmeter_events_ingested_total');
      // health stays public: load balancers and container checks carry no token
      expect((await fetch(`${base}/api/health`)).status).toBe(200);
    }
  });
});
