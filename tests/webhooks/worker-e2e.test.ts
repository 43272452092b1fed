// The whole path with nothing called by hand: a flag changed over HTTP, the worker's poll finds the
// due delivery in the outbox, a real pg-boss job delivers it to a receiver, signed.
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { Webhook } from 'standardwebhooks';
import type { FlagMeter } from '../../server/runtime.ts';
import { startTestApp } from '../helpers/app.ts';
import { addTenants, createTestDb, type TestDb } from '../helpers/db.ts';
import { waitUntil } from '../helpers/net.ts';
import { startReceiver, type Receiver } from '../helpers/receiver.ts';

let db: TestDb;
let app: FlagMeter;
let receiver: Receiver;

beforeAll(async () => {
  db = await createTestDb();
  await addTenants(db.pool, [{ slug: 'acme-corp' }]);
  receiver = await startReceiver([503]);
  app = await startTestApp(db.url, { WEBHOOK_ALLOW_HOSTS: '127.0.0.1', WEBHOOK_POLL_MS: '100', ALERT_RETRY_BASE_MS: '200', ALERT_CHECK_INTERVAL_MS: '0' }, 'all');
});
afterAll(async () => {
  await app.stop();
  await receiver.close();
  await db.drop();
});

test('a flag change reaches the endpoint through pg-boss, retried after a 503, once, counted in /metrics', async () => {
  const post = (path: string, body: unknown) => fetch(`${app.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const ep = await (await post('/api/webhooks', { tenant: 'acme-corp', url: receiver.url, eventTypes: ['flag.changed'] })).json() as { secret: string };
  expect((await post('/api/features', { tenant: 'acme-corp', env: 'prod', key: 'new-model', enabled: true, strategy: 'boolean' })).status).toBe(201);
  await waitUntil(async () => receiver.received.length >= 2, 20_000);
  await new Promise((r) => setTimeout(r, 500)); // nothing more arrives
  expect(receiver.received).toHaveLength(2);
  const [failed, ok] = receiver.received;
  expect(ok!.headers['webhook-id']).toBe(failed!.headers['webhook-id']);
  const msg = new Webhook(ep.secret).verify(ok!.body, ok!.headers as Record<string, string>) as { type: string; data: { key: string; action: string } };
  expect(msg).toMatchObject({ type: 'flag.changed', data: { key: 'new-model', action: 'create' } });
  const metrics = await (await fetch(`${app.url}/metrics`)).text();
  expect(metrics).toContain('flagmeter_webhook_attempts_total{outcome="retrying"} 1');
  expect(metrics).toContain('flagmeter_webhook_attempts_total{outcome="delivered"} 1');
}, 30_000);
