// Generic webhooks end to end against real receivers on 127.0.0.1 (allowed by WEBHOOK_ALLOW_HOSTS):
// changes made over the API are written to the outbox in their transaction, delivered signed (checked
// with the standardwebhooks package), once and in order per flag, retried with backoff, and the
// endpoint is disabled after repeated failures (Slack is told); a delivery can be resent.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { Webhook } from 'standardwebhooks';
import { loadConfig, type Config } from '../../server/config.ts';
import { insertEvents } from '../../server/db/events.ts';
import { runTick } from '../../server/jobs/tick.ts';
import { startWorker, type Worker } from '../../server/jobs/worker.ts';
import type { FlagMeter } from '../../server/runtime.ts';
import { deliverEndpoint } from '../../server/webhooks/deliver.ts';
import { makePolicy, policyFor } from '../../server/webhooks/ssrf.ts';
import { startTestApp } from '../helpers/app.ts';
import { createTestDb, silentLog, type TestDb } from '../helpers/db.ts';
import { startReceiver, type Receiver, type Request } from '../helpers/receiver.ts';
import { startSlackStandIn } from '../helpers/slack-stand-in.ts';

let db: TestDb;
let app: FlagMeter;
let worker: Worker;
const ENV = { WEBHOOK_ALLOW_HOSTS: '127.0.0.1/32', ALERT_RETRY_BASE_MS: '1', ALERT_RETRY_MAX_MS: '2', LOG_LEVEL: 'silent' };
const config: Config = loadConfig(ENV);
const receivers: Receiver[] = [];

beforeAll(async () => {
  db = await createTestDb();
  app = await startTestApp(db.url, ENV);
  worker = await startWorker({ config, pool: db.pool, databaseUrl: db.url, log: silentLog, work: false });
});
afterAll(async () => {
  await worker.stop();
  await app.stop();
  await Promise.all(receivers.map((r) => r.close()));
  await db.drop();
});

async function call(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(`${app.url}${path}`, {
    method, headers: body === undefined ? {} : { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

async function receiver(script: number[] = [], fallback = 200): Promise<Receiver> {
  const r = await startReceiver(script, fallback);
  receivers.push(r);
  return r;
}

async function endpoint(r: Receiver, eventTypes: string[], tenant: string | null): Promise<{ id: number; secret: string }> {
  const created = await call('POST', '/api/webhooks', { tenant, url: r.url, eventTypes });
  expect(created.status).toBe(201);
  return created.body;
}

/** Runs the delivery handler until nothing is due (a failed attempt's backoff is a millisecond here). */
async function drain(id: number, cfg: Config = config): Promise<void> {
  for (let i = 0; i < 50; i++) {
    const run = await deliverEndpoint(db.pool, cfg, policyFor(cfg), id);
    if (run.attempts.length === 0) {
      const { rows: [due] } = await db.pool.query(`select count(*)::int n from flagmeter.webhook_deliveries d join flagmeter.webhook_endpoints e on e.id = d.endpoint_id
        where d.endpoint_id = $1 and d.status = 'pending' and e.enabled`, [id]);
      if (due.n === 0) return;
      await new Promise((r) => setTimeout(r, 5));
    }
  }
  throw new Error('deliveries still pending');
}

const verified = (secret: string, r: Request) => new Webhook(secret).verify(r.body, r.headers as Record<string, string>) as any;

describe('flag changes', () => {
  test('reach a subscribed endpoint once each, in order per flag, signed; other tenants\' do not', async () => {
    expect((await call('POST', '/api/tenants', { slug: 'acme', name: 'Acme' })).status).toBe(201);
    expect((await call('POST', '/api/tenants', { slug: 'other', name: 'Other' })).status).toBe(201);
    // the first attempt fails: the retry must still come before that flag's later changes
    const r = await receiver([500]);
    const ep = await endpoint(r, ['flag.changed'], 'acme');
    expect(ep.secret).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);

    const flag = (key: string, percentage: number, tenant = 'acme') =>
      call('POST', '/api/features', { tenant, env: 'dev', key, enabled: true, strategy: 'percentage', percentage });
    for (const [key, p] of [['a', 10], ['b', 10], ['a', 20], ['b', 20], ['a', 30]] as const) expect((await flag(key, p)).status).toBeLessThan(300);
    await flag('a', 99, 'other');
    expect((await call('DELETE', '/api/features', { tenant: 'acme', env: 'dev', key: 'b' })).status).toBeLessThan(300);
    expect((await call('POST', '/api/features/promote', { tenant: 'acme', from: 'dev', to: 'prod', keys: ['a'] })).status).toBe(200);

    await drain(ep.id);
    const delivered = r.received.slice(1).map((x) => verified(ep.secret, x));
    // one delivery per change (the failed first attempt was retried, not duplicated)
    expect(delivered).toHaveLength(7);
    expect(new Set(r.received.slice(1).map((x) => x.headers['webhook-id'])).size).toBe(7);
    expect(r.received[0]!.headers['webhook-id']).toBe(r.received.find((x, i) => i > 0 && verified(ep.secret, x).data.key === 'a')!.headers['webhook-id']);
    const seq = (env: string, key: string) => delivered.filter((d) => d.data.environment === env && d.data.key === key)
      .map((d) => [d.data.action, d.data.before?.percentage ?? null, d.data.after?.percentage ?? null]);
    expect(seq('dev', 'a')).toEqual([['create', null, 10], ['update', 10, 20], ['update', 20, 30]]);
    expect(seq('dev', 'b')).toEqual([['create', null, 10], ['update', 10, 20], ['delete', 20, null]]);
    expect(seq('prod', 'a')).toEqual([['promote', null, 30]]);
    expect(delivered.every((d) => d.type === 'flag.changed' && d.data.tenant === 'acme' && typeof d.timestamp === 'string')).toBe(true);

    const log = (await call('GET', `/api/webhooks/${ep.id}/deliveries`)).body.deliveries;
    expect(log).toHaveLength(7);
    expect(log.every((d: any) => d.status === 'delivered' && d.nextAttemptAt === null)).toBe(true);
    expect(log.map((d: any) => d.attempts).sort()).toEqual([1, 1, 1, 1, 1, 1, 2]);
  });
});

describe('signing', () => {
  test('a rotation with an overlap signs with both secrets; without one, only the new secret verifies', async () => {
    const r = await receiver();
    const ep = await endpoint(r, ['tenant.created'], null);
    const rotated = (await call('POST', `/api/webhooks/${ep.id}/rotate-secret`, { overlapSeconds: 3600 })).body;
    expect(rotated.secret).not.toBe(ep.secret);
    expect(Date.parse(rotated.previousSecretExpiresAt)).toBeGreaterThan(Date.now());
    await call('POST', '/api/tenants', { slug: 'rot-1', name: 'Rot 1' });
    await drain(ep.id);
    const first = r.received.at(-1)!;
    expect(String(first.headers['webhook-signature']).split(' ')).toHaveLength(2);
    expect(verified(ep.secret, first).data.tenant).toBe('rot-1');
    expect(verified(rotated.secret, first).data.tenant).toBe('rot-1');

    const again = (await call('POST', `/api/webhooks/${ep.id}/rotate-secret`, { overlapSeconds: 0 })).body;
    expect(again.previousSecretExpiresAt).toBeNull();
    await call('POST', '/api/tenants', { slug: 'rot-2', name: 'Rot 2' });
    await drain(ep.id);
    const second = r.received.at(-1)!;
    expect(verified(again.secret, second).data.tenant).toBe('rot-2');
    expect(() => verified(rotated.secret, second)).toThrow();
    // the listing never shows a secret
    expect(JSON.stringify((await call('GET', '/api/webhooks')).body)).not.toContain('whsec_');
  });
});

describe('retries and disabling', () => {
  test('an endpoint that keeps failing is disabled after WEBHOOK_DISABLE_AFTER_FAILURES attempts, Slack is told; enabled and resent, it delivers', async () => {
    const slack = await startSlackStandIn();
    const cfg = loadConfig({ ...ENV, WEBHOOK_MAX_ATTEMPTS: '2', WEBHOOK_DISABLE_AFTER_FAILURES: '3', SLACK_WEBHOOK_URL: slack.url });
    try {
      const r = await receiver([], 503);
      const ep = await endpoint(r, ['tenant.created', 'tenant.deleted'], null);
      await call('POST', '/api/tenants', { slug: 'doomed', name: 'Doomed' });
      expect((await call('DELETE', '/api/tenants/doomed?confirm=doomed')).status).toBe(200);
      await drain(ep.id, cfg);
      // created: two attempts, then failed; deleted: one attempt, the third failure in a row disables
      expect(r.received).toHaveLength(3);
      const after = (await call('GET', `/api/webhooks/${ep.id}`)).body;
      expect(after).toMatchObject({ enabled: false, consecutiveFailures: 3, disabledReason: expect.stringContaining('3 failed attempts in a row') });
      expect(slack.delivered().map((m) => m.body.text)).toEqual([expect.stringMatching(new RegExp(`^FlagMeter: webhook endpoint ${ep.id} of the installation \\(http://127\\.0\\.0\\.1:\\d+/…hook\\) was disabled after 3 failed attempts in a row \\(the last: HTTP 503\\)`))]);
      const log = (await call('GET', `/api/webhooks/${ep.id}/deliveries`)).body.deliveries;
      expect(log.map((d: any) => [d.type, d.status, d.attempts, d.lastStatus, d.lastError])).toEqual([
        ['tenant.deleted', 'pending', 1, 503, 'HTTP 503'], ['tenant.created', 'failed', 2, 503, 'HTTP 503']]);
      expect(JSON.stringify(log)).not.toContain('receiver failure');

      // disabled: the worker leaves it alone
      await deliverEndpoint(db.pool, cfg, policyFor(cfg), ep.id);
      expect(r.received).toHaveLength(3);

      const fixed = await receiver();
      expect((await call('PATCH', `/api/webhooks/${ep.id}`, { url: fixed.url, enabled: true })).body).toMatchObject({ enabled: true, consecutiveFailures: 0, disabledReason: null });
      const resent = await call('POST', `/api/webhooks/${ep.id}/deliveries/${log[1].id}/resend`);
      expect(resent.body).toMatchObject({ status: 'pending', attempts: 0 });
      await drain(ep.id, cfg);
      // the resent one is older, so it goes first; both arrive once
      expect(fixed.received.map((x) => verified(ep.secret, x).type)).toEqual(['tenant.created', 'tenant.deleted']);
      expect((await call('POST', `/api/webhooks/${ep.id}/deliveries/999999/resend`)).status).toBe(404);
    } finally {
      await slack.close();
    }
  });
});

describe('the other event types', () => {
  test('quota.threshold_crossed, quota.exhausted and reservation.expired, with their data', async () => {
    await call('POST', '/api/tenants', { slug: 'metered', name: 'Metered', monthlyQuota: 100 });
    const r = await receiver();
    const ep = await endpoint(r, ['quota.threshold_crossed', 'quota.exhausted', 'reservation.expired'], 'metered');
    const { rows: [t] } = await db.pool.query(`select id from flagmeter.tenants where slug = 'metered'`);
    await insertEvents(db.pool, [{ id: randomUUID(), tenantId: t.id, feature: 'f', tokens: 85, occurredAt: new Date().toISOString(), key: null, user: null }]);
    await runTick(db.pool, worker.enqueue, config);
    await insertEvents(db.pool, [{ id: randomUUID(), tenantId: t.id, feature: 'f', tokens: 20, occurredAt: new Date().toISOString(), key: null, user: null }]);
    await runTick(db.pool, worker.enqueue, config);
    await db.pool.query(`insert into flagmeter.reservations (tenant_id, id, tokens, expires_at) values ($1, gen_random_uuid(), 5, now() - interval '1 minute')`, [t.id]);
    await runTick(db.pool, worker.enqueue, config);
    await drain(ep.id);
    const got = r.received.map((x) => verified(ep.secret, x));
    expect(got.map((g) => [g.type, g.data.threshold ?? g.data.tokens])).toEqual([['quota.threshold_crossed', 80], ['quota.exhausted', 100], ['reservation.expired', 5]]);
    expect(got[0].data).toMatchObject({ tenant: 'metered', feature: null, usedTokens: 85, quota: 100 });
  });

  test('an endpoint hears only what it subscribed to; a tenant\'s endpoint only its tenant', async () => {
    const r = await receiver();
    const ep = await endpoint(r, ['tenant.deleted'], null);
    await call('POST', '/api/tenants', { slug: 'quiet', name: 'Quiet' });
    await call('DELETE', '/api/tenants/quiet?confirm=quiet');
    await drain(ep.id);
    expect(r.received.map((x) => verified(ep.secret, x)).map((g) => [g.type, g.data.tenant])).toEqual([['tenant.deleted', 'quiet']]);
  });
});

test('the minute tick deletes old events with nothing pending, and their log; pending ones stay', async () => {
  const r = await receiver();
  const ep = await endpoint(r, ['tenant.created'], null);
  // the other tests' endpoints would get (and keep pending) deliveries of these events too
  await db.pool.query('update flagmeter.webhook_endpoints set enabled = false where id <> $1', [ep.id]);
  await call('POST', '/api/tenants', { slug: 'old-done', name: 'Old' });
  await drain(ep.id);
  // a pending one: made while enabled, not delivered because the endpoint is then paused
  await call('POST', '/api/tenants', { slug: 'old-pending', name: 'Old' });
  await call('PATCH', `/api/webhooks/${ep.id}`, { enabled: false });
  await db.pool.query(`update flagmeter.webhook_events set created_at = now() - interval '31 days' where subject in ('tenant:old-done', 'tenant:old-pending')`);
  const result = await runTick(db.pool, worker.enqueue, config);
  expect(result.webhookEventsPruned).toBe(1);
  const { rows } = await db.pool.query(`select ev.subject, d.status from flagmeter.webhook_deliveries d join flagmeter.webhook_events ev on ev.id = d.event_id where d.endpoint_id = $1`, [ep.id]);
  expect(rows).toEqual([{ subject: 'tenant:old-pending', status: 'pending' }]);
});

test('a change that names nothing to change is refused, not answered as a success', async () => {
  const r = await receiver();
  const ep = await endpoint(r, ['tenant.created'], null);
  const answer = await call('PATCH', `/api/webhooks/${ep.id}`, {});
  expect(answer.status).toBe(400);
  expect(answer.body.error.message).toMatch(/at least one of url, description, eventTypes, enabled/);
  // a rotation takes {} for its defaults, but a body it is: an empty one is refused like everywhere else
  const empty = await fetch(`${app.url}/api/webhooks/${ep.id}/rotate-secret`, { method: 'POST', headers: { 'content-type': 'application/json' } });
  expect(empty.status).toBe(400);
});

describe('the SSRF guard on endpoints', () => {
  test('a forbidden URL is refused when registered or changed, and at send when it got in another way', async () => {
    for (const url of ['http://169.254.169.254/', 'http://127.0.0.2:9/x', 'http://[::1]:9/x', 'http://[::ffff:10.0.0.1]/', 'http://0x0a000001/']) {
      expect((await call('POST', '/api/webhooks', { url, eventTypes: ['tenant.created'] })).body.error.code).toBe('webhook_refused');
    }
    const r = await receiver();
    const ep = await endpoint(r, ['tenant.created'], null);
    expect((await call('PATCH', `/api/webhooks/${ep.id}`, { url: 'http://127.0.0.2/' })).body.error.code).toBe('webhook_refused');
    await call('POST', '/api/tenants', { slug: 'ssrf-late', name: 'Late' });
    const strict = makePolicy({ allowPrivate: false, allowHosts: [] });
    const run = await deliverEndpoint(db.pool, config, strict, ep.id);
    expect(run.attempts).toEqual([expect.objectContaining({ status: 'retrying', error: expect.stringMatching(/^refused: webhooks may not call a loopback address/) })]);
    expect(r.received).toEqual([]);
  });
});
