// The tenant admin API and its audit log, and per-tenant rate limits, over HTTP.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { startTestApp } from '../helpers/app.ts';
import { createTestDb, type TestDb } from '../helpers/db.ts';
import type { FlagMeter } from '../../server/runtime.ts';

const ADMIN = 'fm_live_testadmin002_BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB';
let db: TestDb;
let app: FlagMeter;

beforeAll(async () => {
  db = await createTestDb();
  app = await startTestApp(db.url, { FLAGMETER_AUTH: 'true', FLAGMETER_ADMIN_KEY: ADMIN });
});
afterAll(async () => {
  await app.stop();
  await db.drop();
});

async function call(method: string, path: string, body?: unknown, key = ADMIN) {
  const res = await fetch(`${app.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined, headers: res.headers };
}

describe('tenants', () => {
  test('create, read, update, and every change is in the audit log with before and after', async () => {
    const created = await call('POST', '/api/tenants', { slug: 'hooli', name: 'Hooli', monthlyQuota: 5000, billingDay: 15, timezone: 'America/New_York' });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ tenant: 'hooli', monthlyQuota: 5000, billingDay: 15, timezone: 'America/New_York', alertThresholds: [80, 100], webhook: null });
    expect((await call('POST', '/api/tenants', { slug: 'hooli', name: 'Again' })).status).toBe(409);

    const updated = await call('PATCH', '/api/tenants/hooli', { monthlyQuota: 8000, alertThresholds: [50, 90], rateLimitPerSecond: 100 });
    expect(updated.body).toMatchObject({ monthlyQuota: 8000, alertThresholds: [50, 90], rateLimitPerSecond: 100, billingDay: 15 });
    expect((await call('GET', '/api/tenants/hooli')).body.monthlyQuota).toBe(8000);
    // the usage view follows at once (tenant cache invalidated)
    expect((await call('GET', '/api/usage/hooli')).body.monthlyQuota).toBe(8000);

    const audit = await call('GET', '/api/audit?limit=10');
    const [update, create] = audit.body.entries;
    expect(create).toMatchObject({ action: 'tenant.create', target: 'tenant:hooli', before: null, after: { monthlyQuota: 5000 }, keyId: 'testadmin002' });
    expect(update).toMatchObject({ action: 'tenant.update', before: { monthlyQuota: 5000, alertThresholds: [80, 100] }, after: { monthlyQuota: 8000, alertThresholds: [50, 90] } });
    const { rows } = await db.pool.query(`select action from report.audit_log order by id`);
    expect(rows.map((r) => r.action)).toEqual(['tenant.create', 'tenant.update']);
  });

  test('bad input is refused with the field named; nothing changes', async () => {
    for (const [body, field] of [
      [{ slug: 'Bad Slug', name: 'x' }, 'slug'], [{ slug: 'ok-slug', name: 'x', billingDay: 31 }, 'billingDay'],
      [{ slug: 'ok-slug', name: 'x', timezone: 'Mars/Base' }, 'timezone'], [{ slug: 'ok-slug', name: 'x', monthlyQuota: 0 }, 'monthlyQuota'],
      [{ slug: 'ok-slug', name: 'x', colour: 'red' }, 'colour'], [{ name: 'x' }, 'slug'],
    ] as const) {
      const r = await call('POST', '/api/tenants', body);
      expect(r.status).toBe(400);
      expect(r.body.error.details.map((d: { field: string }) => d.field)).toContain(field);
    }
    expect((await call('PATCH', '/api/tenants/hooli', {})).status).toBe(400);
    expect((await call('PATCH', '/api/tenants/nobody', { name: 'x' })).status).toBe(404);
    expect((await call('GET', '/api/tenants/ok-slug')).status).toBe(404);
  });

  test('the webhook is set, disabled and removed; http(s) only', async () => {
    expect((await call('PUT', '/api/tenants/hooli/webhook', { url: 'ftp://example.com/x' })).status).toBe(400);
    expect((await call('PUT', '/api/tenants/hooli/webhook', { url: 'https://hooks.slack.com/services/T/B/X' })).body).toEqual({ url: 'https://hooks.slack.com/services/T/B/X', enabled: true });
    expect((await call('PUT', '/api/tenants/hooli/webhook', { url: 'https://hooks.slack.com/services/T/B/X', enabled: false })).body.enabled).toBe(false);
    expect((await call('DELETE', '/api/tenants/hooli/webhook')).status).toBe(204);
    expect((await call('GET', '/api/tenants/hooli')).body.webhook).toBeNull();
    const actions = (await call('GET', '/api/audit')).body.entries.map((e: { action: string }) => e.action);
    expect(actions.slice(0, 3)).toEqual(['webhook.delete', 'webhook.set', 'webhook.set']);
  });

  test('delete needs the slug repeated, and removes the tenant with its data', async () => {
    await call('POST', '/api/tenants', { slug: 'doomed', name: 'Doomed' });
    expect((await call('POST', '/api/events', { tenant: 'doomed', feature: 'f', tokens: 9 })).status).toBe(201);
    expect((await call('DELETE', '/api/tenants/doomed')).status).toBe(400);
    expect((await call('DELETE', '/api/tenants/doomed?confirm=other')).status).toBe(400);
    const r = await call('DELETE', '/api/tenants/doomed?confirm=doomed');
    expect(r.body).toEqual({ deleted: 'doomed', eventsDeleted: 1 });
    const { rows: [left] } = await db.pool.query(`select
      (select count(*)::int from flagmeter.tenants where slug = 'doomed') t,
      (select count(*)::int from flagmeter.events e where not exists (select 1 from flagmeter.tenants x where x.id = e.tenant_id)) orphans`);
    expect(left).toEqual({ t: 0, orphans: 0 });
    expect((await call('GET', '/api/audit?limit=1')).body.entries[0]).toMatchObject({ action: 'tenant.delete', before: { tenant: 'doomed' }, after: null });
  });

  test('keys: created (secret shown once), listed without secrets, revoked — all audited', async () => {
    const created = await call('POST', '/api/keys', { name: 'backend', scopes: ['ingest'] });
    expect(created.body.key).toMatch(/^fm_live_[a-z0-9]{12}_[A-Za-z0-9_-]{32}$/);
    const listed = await call('GET', '/api/keys');
    expect(JSON.stringify(listed.body)).not.toContain(created.body.key);
    expect(listed.body.keys.map((k: { id: string }) => k.id)).toContain(created.body.id);
    expect((await call('DELETE', `/api/keys/${created.body.id}`)).status).toBe(200);
    expect((await call('DELETE', '/api/keys/nosuchkey000')).status).toBe(404);
    const entries = (await call('GET', '/api/audit?limit=2')).body.entries;
    expect(entries.map((e: { action: string }) => e.action)).toEqual(['key.revoke', 'key.create']);
    expect(JSON.stringify(entries)).not.toContain(created.body.key);
  });
});

describe('rate limits', () => {
  test('over the limit → 429 with a correct Retry-After and RateLimit headers; it recovers', async () => {
    await call('POST', '/api/tenants', { slug: 'limited', name: 'L', rateLimitPerSecond: 10, rateLimitBurst: 10 });
    const batch = (n: number) => Array.from({ length: n }, () => ({ tenant: 'limited', feature: 'f', tokens: 1 }));
    const ok = await call('POST', '/api/events', batch(8));
    expect(ok.status).toBe(201);
    expect(ok.headers.get('ratelimit-limit')).toBe('10');
    expect(ok.headers.get('ratelimit-remaining')).toBe('2');
    const refused = await call('POST', '/api/events', batch(6));
    expect(refused.status).toBe(429);
    expect(refused.body.error.code).toBe('rate_limited');
    // 4 tokens missing at 10/s: ready again within a second
    expect(refused.headers.get('retry-after')).toBe('1');
    const { rows } = await db.pool.query(`select count(*)::int n from flagmeter.events e join flagmeter.tenants t on t.id = e.tenant_id where t.slug = 'limited'`);
    expect(rows[0].n).toBe(8);
    await new Promise((r) => setTimeout(r, 1000));
    expect((await call('POST', '/api/events', batch(6))).status).toBe(201);
    // a batch larger than the burst can never pass: told to split it
    const tooBig = await call('POST', '/api/events', batch(11));
    expect(tooBig.status).toBe(400);
    expect(tooBig.body.error.code).toBe('batch_exceeds_burst');
  });
});
