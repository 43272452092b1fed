// Real answers match the OpenAPI document: each operation called the way a client would (every
// success shape: one event, a duplicate, a batch, usage with an alert, …), and with the database
// down (health's 503 body, the 503 of a read). The fuzz test covers the bad requests.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { startTestApp } from '../helpers/app.ts';
import { createTestDb, type TestDb } from '../helpers/db.ts';
import { freePort } from '../helpers/net.ts';
import { operations, schemaChecker, type Operation, type Schema } from '../helpers/openapi.ts';
import type { FlagMeter } from '../../server/runtime.ts';

const ADMIN = 'fm_live_hardenresp01_DDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDD';
const check = schemaChecker();
let db: TestDb;
let app: FlagMeter;
let ops: Operation[];
const answered = new Set<string>();

beforeAll(async () => {
  db = await createTestDb();
  // the webhook test posts to 127.0.0.1, which the SSRF guard refuses unless allowed
  app = await startTestApp(db.url, { WEBHOOK_ALLOW_PRIVATE: 'true', FLAGMETER_AUTH: 'true', FLAGMETER_ADMIN_KEY: ADMIN });
  ops = operations(await (await fetch(`${app.url}/api/openapi.json`)).json());
});
afterAll(async () => {
  await app.stop();
  await db.drop();
});

/** Calls `method path` and checks the answer against the operation `docPath` of the document. */
async function call(base: string, method: string, path: string, docPath: string, body?: unknown, key: string | undefined = ADMIN) {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { ...(key ? { authorization: `Bearer ${key}` } : {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const op = ops.find((o) => o.method === method.toLowerCase() && o.path === docPath);
  expect(op).toBeDefined();
  const documented = op!.responses.get(res.status);
  expect({ [`${method} ${path}`]: res.status, documented: documented !== undefined }).toEqual({ [`${method} ${path}`]: res.status, documented: true });
  answered.add(`${method} ${docPath} ${res.status}`);
  if (res.status === 204) return { status: res.status, body: undefined };
  const text = await res.text();
  const media = (res.headers.get('content-type') ?? '').split(';')[0]!.trim();
  expect({ [`${method} ${path}`]: documented!.contents.has(media) ? media : `${media}, not listed` }).toEqual({ [`${method} ${path}`]: media });
  const json = media === 'application/json' ? JSON.parse(text) : text;
  const schema = documented!.contents.get(media);
  if (schema) expect({ [`${method} ${path} → ${res.status}`]: check(schema, json) }).toEqual({ [`${method} ${path} → ${res.status}`]: [] });
  return { status: res.status, body: json };
}

test('every 2xx documents the schema of its body, for the routes that exist and those to come', () => {
  const missing = ops.flatMap((op) => [...op.responses].filter(([s, r]) => s >= 200 && s < 300 && s !== 204 && (!r.schema || Object.keys(r.schema).length === 0))
    .map(([s]) => `${op.method.toUpperCase()} ${op.path} ${s}`));
  expect(missing).toEqual([]);
});

test('every operation lists the statuses its middleware can answer with', () => {
  const missing = ops.flatMap((op) => {
    const need = [
      ...(op.scope ? [401, 403, 503] : []),
      ...(op.body ? [400, 413, 415] : []),
      ...(op.parameters.length ? [400] : []),
    ];
    return need.filter((s) => !op.responses.has(s)).map((s) => `${op.method.toUpperCase()} ${op.path} ${s}`);
  });
  expect(missing).toEqual([]);
  // the ones the issue found missing
  expect(ops.find((o) => o.path === '/api/audit')!.responses.has(400)).toBe(true);
  expect(ops.find((o) => o.path === '/api/events')!.responses.has(429)).toBe(true);
});

describe('each operation, answered as documented', () => {
  const u = () => app.url;
  test('tenants, webhook, events, usage, series, alerts', async () => {
    expect((await call(u(), 'POST', '/api/tenants', '/api/tenants', { slug: 'hooli', name: 'Hooli', monthlyQuota: 1000 })).status).toBe(201);
    expect((await call(u(), 'PATCH', '/api/tenants/hooli', '/api/tenants/{tenant}', { rateLimitBurst: 500 })).status).toBe(200);
    expect((await call(u(), 'PUT', '/api/tenants/hooli/webhook', '/api/tenants/{tenant}/webhook', { url: 'https://hooks.slack.com/services/T/B/x1y2' })).status).toBe(200);
    const bound = (await call(u(), 'POST', '/api/keys', '/api/keys', { name: 'hooli', scopes: ['read', 'ingest'], tenant: 'hooli' })).body.key;
    expect((await call(u(), 'GET', '/api/tenants/hooli', '/api/tenants/{tenant}', undefined, bound)).body.webhook.url).toBe('https://hooks.slack.com/…x1y2');
    expect((await call(u(), 'POST', '/api/events', '/api/events', { tenant: 'hooli', feature: 'gpt-4o', tokens: 900, id: 'once' })).status).toBe(201);
    expect((await call(u(), 'POST', '/api/events', '/api/events', { tenant: 'hooli', feature: 'gpt-4o', tokens: 900, id: 'once' })).status).toBe(200);
    expect((await call(u(), 'POST', '/api/events', '/api/events', [{ tenant: 'hooli', feature: 'a', tokens: 1 }, { tenant: 'hooli', feature: 'b', tokens: 2, user: 'u1' }])).status).toBe(201);
    // 903 of 1000 tokens: the minute job records the 80% crossing
    await db.pool.query(`select flagmeter.tick()`);
    const usage = await call(u(), 'GET', '/api/usage/hooli', '/api/usage/{tenant}');
    expect(usage.body.alerts.length).toBeGreaterThan(0);
    expect(usage.body.features.length).toBe(3);
    for (const bucket of ['hour', 'day']) expect((await call(u(), 'GET', `/api/usage/hooli/series?bucket=${bucket}`, '/api/usage/{tenant}/series')).status).toBe(200);
    expect((await call(u(), 'GET', '/api/alerts?tenant=hooli', '/api/alerts')).body.alerts.length).toBeGreaterThan(0);
    expect((await call(u(), 'GET', '/api/tenants', '/api/tenants')).body.tenants).toHaveLength(1);
    expect((await call(u(), 'GET', '/api/tenants', '/api/tenants', undefined, bound)).body.tenants).toHaveLength(1);
    expect((await call(u(), 'POST', '/api/events', '/api/events', Array.from({ length: 501 }, () => ({ tenant: 'hooli', feature: 'f', tokens: 1 })))).status).toBe(400);
    expect((await call(u(), 'DELETE', '/api/tenants/hooli/webhook', '/api/tenants/{tenant}/webhook')).status).toBe(204);
  });

  test('keys and the audit log', async () => {
    const made = await call(u(), 'POST', '/api/keys', '/api/keys', { name: 'temp', scopes: ['read'] });
    expect(made.status).toBe(201);
    expect((await call(u(), 'GET', '/api/keys', '/api/keys')).body.keys.length).toBeGreaterThan(1);
    expect((await call(u(), 'DELETE', `/api/keys/${made.body.id}`, '/api/keys/{id}')).body.revokedAt).not.toBeNull();
    expect((await call(u(), 'GET', '/api/audit?limit=50', '/api/audit')).body.entries.length).toBeGreaterThan(3);
    expect((await call(u(), 'GET', '/api/audit?limit=0', '/api/audit')).status).toBe(400);
  });

  test('people: invitation, registration, sign-in, the caller, password, people admin, webhook test, sign-out', async () => {
    const invite = await call(u(), 'POST', '/api/invitations', '/api/invitations', { scopes: ['read'], tenant: 'hooli' });
    expect(invite.status).toBe(201);
    const password = 'a long enough password';
    expect((await call(u(), 'POST', '/auth/register', '/auth/register', { name: 'riley', password, invitation: invite.body.token }, undefined)).body.tenant).toBe('hooli');
    const token = (await call(u(), 'POST', '/auth/login', '/auth/login', { name: 'riley', password }, undefined)).body.token;
    expect((await call(u(), 'GET', '/api/me', '/api/me', undefined, token)).body).toMatchObject({ kind: 'person', name: 'riley', tenant: 'hooli' });
    expect((await call(u(), 'PUT', '/api/me/password', '/api/me/password', { current: password, password: 'another long password' }, token)).status).toBe(200);
    expect((await call(u(), 'GET', '/api/people', '/api/people')).body.people.map((p: { name: string }) => p.name)).toContain('riley');
    expect((await call(u(), 'PATCH', '/api/people/riley', '/api/people/{name}', { scopes: ['read', 'ingest'] })).body.scopes).toEqual(['read', 'ingest']);
    // nothing listens on port 9: a delivery result, not an error of the API
    await call(u(), 'PUT', '/api/tenants/hooli/webhook', '/api/tenants/{tenant}/webhook', { url: 'http://127.0.0.1:9/hook' });
    expect((await call(u(), 'POST', '/api/tenants/hooli/webhook/test', '/api/tenants/{tenant}/webhook/test')).body.delivered).toBe(false);
    expect((await call(u(), 'POST', '/auth/logout', '/auth/logout', undefined, token)).status).toBe(200);
    const pending = await call(u(), 'POST', '/api/invitations', '/api/invitations', { scopes: ['check'] });
    expect((await call(u(), 'GET', '/api/invitations', '/api/invitations')).body.invitations.map((i: { id: number }) => i.id)).toContain(pending.body.id);
    expect((await call(u(), 'DELETE', `/api/invitations/${pending.body.id}`, '/api/invitations/{id}')).body.status).toBe('revoked');
    expect((await call(u(), 'DELETE', `/api/invitations/${pending.body.id}`, '/api/invitations/{id}')).status).toBe(409);
  });

  test('entitlements: a check, a reservation and its release', async () => {
    expect((await call(u(), 'PATCH', '/api/tenants/hooli', '/api/tenants/{tenant}', { quotaHard: true, featureLimits: [{ feature: 'gpt-4o', tokens: 5000, hard: true }] })).status).toBe(200);
    expect((await call(u(), 'POST', '/api/check', '/api/check', { tenant: 'hooli', feature: 'gpt-4o', tokens: 10 })).body.allowed).toBe(true);
    const held = await call(u(), 'POST', '/api/check', '/api/check', { tenant: 'hooli', tokens: 10, reserve: true, id: 'hold-1' });
    expect(held.body.reservation.tokens).toBe(10);
    expect((await call(u(), 'POST', '/api/check', '/api/check', { tenant: 'hooli', tokens: 10_000 })).body.reason).toBe('would_exceed');
    expect((await call(u(), 'DELETE', `/api/reservations/${held.body.reservation.id}`, '/api/reservations/{id}')).body.status).toBe('released');
    expect((await call(u(), 'DELETE', `/api/reservations/${held.body.reservation.id}`, '/api/reservations/{id}')).status).toBe(409);
  });

  test('flags: environments, features (under /api and at the root paths), promotion, their audit, OFREP', async () => {
    expect((await call(u(), 'GET', '/api/environments', '/api/environments')).body.environments.length).toBeGreaterThan(2);
    expect((await call(u(), 'POST', '/api/environments', '/api/environments', { name: 'qa' })).status).toBe(201);
    expect((await call(u(), 'PATCH', '/api/environments/qa', '/api/environments/{name}', { name: 'qa2' })).status).toBe(200);
    expect((await call(u(), 'DELETE', '/api/environments/qa2', '/api/environments/{name}')).status).toBe(200);
    for (const root of ['/api', '']) {
      const flag = { tenant: 'hooli', env: 'dev', key: `f${root.length}`, enabled: true, strategy: 'percentage', percentage: 50 };
      expect((await call(u(), 'POST', `${root}/features`, `${root}/features`, flag)).status).toBe(201);
      expect((await call(u(), 'POST', `${root}/features`, `${root}/features`, { ...flag, percentage: 60 })).status).toBe(200);
      expect((await call(u(), 'GET', `${root}/features?tenant=hooli&env=dev`, `${root}/features`)).body.items.length).toBeGreaterThan(0);
      expect((await call(u(), 'POST', `${root}/features/promote`, `${root}/features/promote`, { tenant: 'hooli', from: 'dev', to: 'staging', dryRun: true, conflictPolicy: 'skip' })).status).toBe(200);
      expect((await call(u(), 'GET', `${root}/audit-logs?tenant=hooli`, `${root}/audit-logs`)).body.items.length).toBeGreaterThan(0);
    }
    const context = { targetingKey: 'u1', tenant: 'hooli', env: 'dev' };
    expect((await call(u(), 'POST', '/ofrep/v1/evaluate/flags/f4', '/ofrep/v1/evaluate/flags/{key}', { context })).status).toBe(200);
    expect((await call(u(), 'POST', '/ofrep/v1/evaluate/flags/nope', '/ofrep/v1/evaluate/flags/{key}', { context })).status).toBe(404);
    expect((await call(u(), 'POST', '/ofrep/v1/evaluate/flags', '/ofrep/v1/evaluate/flags', { context })).body.flags.length).toBeGreaterThan(0);
    for (const root of ['/api', '']) expect((await call(u(), 'DELETE', `${root}/features?tenant=hooli&env=dev&key=f${root.length}`, `${root}/features`)).status).toBe(200);
  });

  test('flags: segments, strategies with JSON variants and parents, their OFREP answers', async () => {
    const segment = { tenant: 'hooli', name: 'pro', constraints: [{ contextName: 'plan', operator: 'in', values: ['pro'] }] };
    expect((await call(u(), 'POST', '/api/segments', '/api/segments', segment)).status).toBe(201);
    expect((await call(u(), 'POST', '/api/segments', '/api/segments', { ...segment, description: 'paying' })).status).toBe(200);
    const config = {
      tenant: 'hooli', env: 'dev', key: 'model', enabled: true, type: 'json', onValue: { model: 'a' }, offValue: {},
      strategies: [{ segments: ['pro'], constraints: [{ contextName: 'appVersion', operator: 'semver_gte', value: '1.0.0' }], variants: [{ name: 'big', weight: 100, value: { model: 'b' } }] }],
    };
    expect((await call(u(), 'POST', '/api/features', '/api/features', config)).status).toBe(201);
    expect((await call(u(), 'POST', '/api/features', '/api/features', { tenant: 'hooli', env: 'dev', key: 'child', enabled: true, strategies: [], dependencies: [{ flag: 'model' }] })).status).toBe(201);
    expect((await call(u(), 'GET', '/api/segments?tenant=hooli', '/api/segments')).body.items[0].usedBy).toHaveLength(1);
    expect((await call(u(), 'DELETE', '/api/segments?tenant=hooli&name=pro', '/api/segments')).status).toBe(409);
    expect((await call(u(), 'DELETE', '/api/features?tenant=hooli&env=dev&key=model', '/api/features')).status).toBe(409);
    const context = { targetingKey: 'u1', tenant: 'hooli', env: 'dev', plan: 'pro', appVersion: '1.2.0' };
    expect((await call(u(), 'POST', '/ofrep/v1/evaluate/flags/model', '/ofrep/v1/evaluate/flags/{key}', { context })).body).toMatchObject({ value: { model: 'b' }, variant: 'big' });
    expect((await call(u(), 'POST', '/ofrep/v1/evaluate/flags', '/ofrep/v1/evaluate/flags', { context })).body.flags.length).toBeGreaterThan(1);
    expect((await call(u(), 'POST', '/api/flags/playground', '/api/flags/playground', { tenant: 'hooli', env: 'dev', context })).body.flags.length).toBeGreaterThan(1);
    const doc = (await call(u(), 'GET', '/api/flags/export?tenant=hooli&env=dev', '/api/flags/export')).body;
    expect(doc.flags.length).toBeGreaterThan(1);
    expect((await call(u(), 'POST', '/api/flags/import', '/api/flags/import', { tenant: 'hooli', env: 'staging', dryRun: true, document: doc })).body.flags.created.length).toBeGreaterThan(1);
    const changed = { ...doc, flags: doc.flags.map((f: { enabled: boolean }) => ({ ...f, enabled: !f.enabled })) };
    expect((await call(u(), 'POST', '/api/flags/import', '/api/flags/import', { tenant: 'hooli', env: 'dev', document: changed })).status).toBe(409);
    for (const key of ['child', 'model']) expect((await call(u(), 'DELETE', `/api/features?tenant=hooli&env=dev&key=${key}`, '/api/features')).status).toBe(200);
    expect((await call(u(), 'DELETE', '/api/segments?tenant=hooli&name=pro', '/api/segments')).status).toBe(200);
    expect((await call(u(), 'DELETE', '/api/segments?tenant=hooli&name=pro', '/api/segments')).status).toBe(404);
  });

  test('reporting: the usage query, past periods and a statement, as JSON and CSV', async () => {
    const q = await call(u(), 'GET', '/api/usage/hooli/query?window=day&groupBy=feature', '/api/usage/{tenant}/query');
    expect(q.body.rows.length).toBeGreaterThan(0);
    expect((await call(u(), 'GET', '/api/usage/hooli/query?window=day&format=csv', '/api/usage/{tenant}/query')).body).toMatch(/^windowStart,/);
    const periods = await call(u(), 'GET', '/api/tenants/hooli/periods', '/api/tenants/{tenant}/periods');
    expect(periods.body.periods.length).toBeGreaterThan(0);
    expect((await call(u(), 'GET', '/api/tenants/hooli/periods?format=csv', '/api/tenants/{tenant}/periods')).status).toBe(200);
    const start = periods.body.periods.at(-1).periodStart;
    expect((await call(u(), 'GET', `/api/tenants/hooli/periods/${start}`, '/api/tenants/{tenant}/periods/{start}')).body.totalTokens).toBeGreaterThan(0);
    expect((await call(u(), 'GET', `/api/tenants/hooli/periods/${start}?format=csv`, '/api/tenants/{tenant}/periods/{start}')).status).toBe(200);
  });

  test('generic webhooks: endpoints, rotation, the delivery log, resend', async () => {
    const made = await call(u(), 'POST', '/api/webhooks', '/api/webhooks', { tenant: 'hooli', url: 'http://127.0.0.1:9/generic', eventTypes: ['flag.changed'], description: 'd' });
    expect(made.status).toBe(201);
    const id = made.body.id;
    expect((await call(u(), 'POST', '/api/webhooks', '/api/webhooks', { tenant: 'nobody', url: 'https://example.com/', eventTypes: ['flag.changed'] })).status).toBe(404);
    expect((await call(u(), 'GET', '/api/webhooks?tenant=hooli', '/api/webhooks')).body.endpoints).toHaveLength(1);
    expect((await call(u(), 'GET', `/api/webhooks/${id}`, '/api/webhooks/{endpoint}')).body.id).toBe(id);
    expect((await call(u(), 'PATCH', `/api/webhooks/${id}`, '/api/webhooks/{endpoint}', { eventTypes: ['flag.changed', 'tenant.deleted'] })).status).toBe(200);
    expect((await call(u(), 'POST', `/api/webhooks/${id}/rotate-secret`, '/api/webhooks/{endpoint}/rotate-secret', {})).body.previousSecretExpiresAt).not.toBeNull();
    await call(u(), 'POST', '/api/features', '/api/features', { tenant: 'hooli', env: 'dev', key: 'hooked', enabled: true, strategy: 'boolean' });
    const log = await call(u(), 'GET', `/api/webhooks/${id}/deliveries?limit=10`, '/api/webhooks/{endpoint}/deliveries');
    expect(log.body.deliveries).toHaveLength(1);
    expect((await call(u(), 'POST', `/api/webhooks/${id}/deliveries/${log.body.deliveries[0].id}/resend`, '/api/webhooks/{endpoint}/deliveries/{delivery}/resend')).body.status).toBe('pending');
    expect((await call(u(), 'DELETE', `/api/webhooks/${id}`, '/api/webhooks/{endpoint}')).status).toBe(204);
    expect((await call(u(), 'GET', `/api/webhooks/${id}`, '/api/webhooks/{endpoint}')).status).toBe(404);
  });

  test('the price book: installation prices, a tenant\'s overrides and currency', async () => {
    const from = new Date(Math.ceil(Date.now() / 60_000) * 60_000 + 3_600_000).toISOString();
    expect((await call(u(), 'GET', '/api/prices', '/api/prices')).body.prices.length).toBeGreaterThan(0);
    expect((await call(u(), 'POST', '/api/prices', '/api/prices', { prices: [{ model: 'gpt-4o', input: '2', output: '8', effectiveFrom: from }] })).status).toBe(201);
    expect((await call(u(), 'POST', '/api/tenants/hooli/prices', '/api/tenants/{tenant}/prices', { prices: [{ model: 'gpt-4o', input: 1, output: 4, effectiveFrom: from }] })).status).toBe(201);
    expect((await call(u(), 'GET', '/api/tenants/hooli/prices', '/api/tenants/{tenant}/prices')).body.overrides).toHaveLength(1);
    // same currency as it has: allowed even with usage
    expect((await call(u(), 'PUT', '/api/tenants/hooli/currency', '/api/tenants/{tenant}/currency', { currency: 'USD' })).status).toBe(200);
    expect((await call(u(), 'PUT', '/api/tenants/hooli/currency', '/api/tenants/{tenant}/currency', { currency: 'EUR' })).status).toBe(409);
    expect((await call(u(), 'PUT', '/api/tenants/hooli/budget', '/api/tenants/{tenant}/budget', { monthlyBudget: '500', hard: true })).status).toBe(200);
    const checked = await call(u(), 'POST', '/api/check', '/api/check', { tenant: 'hooli', feature: 'gpt-4o', tokens: 10 });
    expect(checked.body.budget).toMatchObject({ limit: '500', hard: true });
    expect((await call(u(), 'GET', '/api/usage/hooli', '/api/usage/{tenant}')).body.budget).toMatchObject({ limit: '500' });
  });

  test('deleting a tenant; health, the document, metrics', async () => {
    expect((await call(u(), 'DELETE', '/api/tenants/hooli?confirm=hooli', '/api/tenants/{tenant}')).body.eventsDeleted).toBe(3);
    expect((await call(u(), 'GET', '/api/health', '/api/health', undefined, undefined)).body.status).toBe('healthy');
    expect((await call(u(), 'GET', '/api/openapi.json', '/api/openapi.json', undefined, undefined)).body.openapi).toBe('3.1.0');
    expect((await call(u(), 'GET', '/metrics', '/metrics', undefined, undefined)).body).toContain('flagmeter_');
  });
});

describe('with the database down', () => {
  let down: FlagMeter;
  beforeAll(async () => {
    // nothing listens there: every query fails to connect
    down = await startTestApp(`postgres://postgres:x@127.0.0.1:${await freePort()}/none`);
  });
  afterAll(() => down.stop());

  test('health answers 503 with the body its document shows', async () => {
    const r = await call(down.url, 'GET', '/api/health', '/api/health', undefined, undefined);
    expect(r.status).toBe(503);
    expect(r.body).toMatchObject({ status: 'unhealthy', services: { database: 'down', valkey: 'not_configured' } });
  });
  test('a read answers a documented 503', async () => {
    const r = await call(down.url, 'GET', '/api/tenants', '/api/tenants', undefined, undefined);
    expect(r.status).toBe(503);
    expect(r.body.error.code).toBe('database_unavailable');
  });
});

afterAll(() => {
  // each operation was called at least once with an answer the document lists
  const called = new Set([...answered].map((a) => a.split(' ').slice(0, 2).join(' ')));
  expect(ops.map((o) => `${o.method.toUpperCase()} ${o.path}`).filter((o) => o !== 'GET /api/stream' && !called.has(o))).toEqual([]);
});
