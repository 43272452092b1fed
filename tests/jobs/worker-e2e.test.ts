// The whole path with nothing called by hand: events over HTTP, the worker's fast crossing check,
// a real pg-boss worker delivering to a Slack stand-in that first answers 429 Retry-After: 2.
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { get, post, startTestApp } from '../helpers/app.ts';
import { addTenants, createTestDb, type TestDb } from '../helpers/db.ts';
import { startSlackStandIn, type SlackStandIn } from '../helpers/slack-stand-in.ts';
import type { FlagMeter } from '../../server/runtime.ts';

let db: TestDb;
let slack: SlackStandIn;
let app: FlagMeter;

beforeAll(async () => {
  db = await createTestDb();
  await addTenants(db.pool, [{ slug: 'acme-corp', quota: 1000 }]);
  slack = await startSlackStandIn([{ status: 429, headers: { 'Retry-After': '2' } }], { status: 200 });
  app = await startTestApp(db.url, { WEBHOOK_ALLOW_PRIVATE: 'true', SLACK_WEBHOOK_URL: slack.url, ALERT_CHECK_INTERVAL_MS: '200', ALERT_RETRY_BASE_MS: '100' }, 'all');
});
afterAll(async () => {
  await app.stop();
  await slack.close();
  await db.drop();
});

test('crossing 80% over HTTP ends in exactly one Slack message, retried no sooner than Retry-After', async () => {
  expect((await post(app.url, { tenant: 'acme-corp', feature: 'gpt-4o', tokens: 820 })).status).toBe(201);
  const deadline = Date.now() + 60_000;
  while (slack.delivered().length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));

  expect(slack.received).toHaveLength(2);
  expect(slack.received[1]!.at - slack.received[0]!.at).toBeGreaterThanOrEqual(2000);
  expect(slack.delivered().map((r) => r.body.text)).toEqual(["FlagMeter: tenant 'acme-corp' has hit 82% of 1,000 tokens this month."]);

  const alerts = await get(app.url, '/api/alerts?tenant=acme-corp');
  expect(alerts.body.alerts).toEqual([expect.objectContaining({
    tenant: 'acme-corp', threshold: 80, status: 'delivered', attempts: 2, lastError: null, percent: 82, usedTokens: 820, quota: 1000,
  })]);
  const usage = await get(app.url, '/api/usage/acme-corp');
  expect(usage.body.alerts.map((a: { threshold: number; status: string }) => [a.threshold, a.status])).toEqual([[80, 'delivered']]);
}, 90_000);

test('GET /api/alerts rejects bad query parameters', async () => {
  expect((await get(app.url, '/api/alerts?limit=0')).status).toBe(400);
  expect((await get(app.url, '/api/alerts?tenant=acme-corp&colour=red')).status).toBe(400);
  expect((await get(app.url, '/api/alerts?tenant=nobody')).body).toEqual({ alerts: [] });
});
