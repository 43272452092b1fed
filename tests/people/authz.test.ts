// One authorization path for keys and people: for every route the console uses (every route in the
// OpenAPI document that needs a scope), a person bound to tenant alpha can neither read nor change
// tenant beta (403, nothing changed), and a person with only `read` can change nothing. The routes
// come from routeDocs, so a route added later is covered, or named here as not yet handled.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { routeDocs } from '../../server/http/route-docs.ts';
import type { FlagMeter } from '../../server/runtime.ts';
import { startTestApp } from '../helpers/app.ts';
import { addTenants, createTestDb, type TestDb } from '../helpers/db.ts';
import { addPerson, call, type Answer } from '../helpers/people.ts';

const ADMIN_KEY = 'fm_live_authzadmin01_DDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDD';
let db: TestDb;
let app: FlagMeter;
let alphaPerson: string;
let reader: string;
let betaKeyId: string;
let betaReservation: string;

beforeAll(async () => {
  db = await createTestDb();
  app = await startTestApp(db.url, { FLAGMETER_AUTH: 'true', FLAGMETER_ADMIN_KEY: ADMIN_KEY, LOGIN_MAX_PER_ACCOUNT: '1000' });
  await addTenants(db.pool, [{ slug: 'alpha' }, { slug: 'beta' }]);
  const asAdmin = { bearer: ADMIN_KEY };
  expect((await call(app.url, 'PUT', '/api/tenants/beta/webhook', { ...asAdmin, body: { url: 'https://hooks.slack.com/services/T/B/beta' } })).status).toBe(200);
  betaKeyId = (await call(app.url, 'POST', '/api/keys', { ...asAdmin, body: { name: 'beta reader', scopes: ['read'], tenant: 'beta' } })).body.id;
  expect((await call(app.url, 'POST', '/api/events', { ...asAdmin, body: { tenant: 'beta', feature: 'f', tokens: 5 } })).status).toBe(201);
  expect((await call(app.url, 'PATCH', '/api/tenants/beta', { ...asAdmin, body: { quotaHard: true } })).status).toBe(200);
  betaReservation = (await call(app.url, 'POST', '/api/check', { ...asAdmin, body: { tenant: 'beta', tokens: 10, reserve: true } })).body.reservation.id;
  expect((await call(app.url, 'POST', '/api/features', { ...asAdmin, body: { tenant: 'beta', env: 'dev', key: 'x', enabled: true, strategy: 'boolean' } })).status).toBe(201);
  // every scope a tenant-bound person can have (admin cannot be bound)
  alphaPerson = await addPerson(app.url, ADMIN_KEY, { name: 'alpha-person', password: 'alpha person password', scopes: ['read', 'ingest', 'flags', 'evaluate'], tenant: 'alpha' });
  reader = await addPerson(app.url, ADMIN_KEY, { name: 'reader', password: 'a person who reads', scopes: ['read'] });
});
afterAll(async () => {
  await app.stop();
  await db.drop();
});

/** Everything a console route could change. */
async function snapshot(): Promise<unknown> {
  const { rows: [r] } = await db.pool.query(`select
    (select jsonb_agg(t order by t.id) from flagmeter.tenants t) tenants,
    (select jsonb_agg(w order by w.tenant_id) from flagmeter.slack_webhooks w) webhooks,
    (select jsonb_agg(jsonb_build_array(k.key_id, k.revoked_at) order by k.id) from flagmeter.api_keys k) keys,
    (select jsonb_agg(jsonb_build_array(p.name, p.scopes, p.disabled_at, p.password_hash) order by p.id) from flagmeter.people p) people,
    (select count(*) from flagmeter.invitations) invitations,
    (select count(*) from flagmeter.events) events,
    (select jsonb_agg(f order by f.tenant_id, f.environment_id, f.key) from flagmeter.flags f) flags,
    (select jsonb_agg(s order by s.tenant_id, s.name) from flagmeter.segments s) segments,
    (select jsonb_agg(jsonb_build_array(r.id, r.status) order by r.id) from flagmeter.reservations r) reservations,
    (select count(*) from flagmeter.audit_log where action not like 'person.log%') changes`);
  return r;
}

const bodies: Record<string, unknown> = {
  'POST /api/events': { tenant: 'beta', feature: 'f', tokens: 1 },
  'POST /api/check': { tenant: 'beta', tokens: 1, reserve: true },
  'POST /api/features': { tenant: 'beta', env: 'dev', key: 'x', enabled: false, strategy: 'boolean' },
  'POST /features': { tenant: 'beta', env: 'dev', key: 'x', enabled: false, strategy: 'boolean' },
  'POST /api/features/promote': { tenant: 'beta', from: 'dev', to: 'prod', conflictPolicy: 'overwrite' },
  'POST /features/promote': { tenant: 'beta', from: 'dev', to: 'prod', conflictPolicy: 'overwrite' },
  'POST /api/segments': { tenant: 'beta', name: 'x', constraints: [] },
  'POST /api/flags/playground': { tenant: 'beta', env: 'dev', context: {} },
  'POST /api/flags/import': { tenant: 'beta', env: 'dev', document: { format: 'flagmeter.flags/1', segments: [{ name: 'x', constraints: [] }], flags: [{ key: 'x', enabled: false, strategies: [] }] } },
  'POST /ofrep/v1/evaluate/flags/{key}': { context: { tenant: 'beta', targetingKey: 'u1', env: 'dev' } },
  'POST /ofrep/v1/evaluate/flags': { context: { tenant: 'beta', targetingKey: 'u1', env: 'dev' } },
  'POST /api/tenants': { slug: 'gamma', name: 'Gamma' },
  'PATCH /api/tenants/{tenant}': { monthlyQuota: 1 },
  'PUT /api/tenants/{tenant}/webhook': { url: 'https://example.com/hook' },
  'POST /api/keys': { name: 'mine', scopes: ['read'] },
  'POST /api/invitations': { scopes: ['admin'] },
  'PATCH /api/people/{name}': { scopes: ['admin'] },
};
const params: Record<string, string> = { tenant: 'beta', name: 'alpha-person' };
const routes = routeDocs.filter((r) => r.scope !== null).map((r) => ({ ...r, id: `${r.method.toUpperCase()} ${r.path}` }));

/** As the console does it: the session cookie, from this origin. */
function request(token: string, route: (typeof routes)[number]): Promise<Answer> {
  let path = route.path.replace(/\{(\w+)\}/g, (_m, p: string) => (p === 'id' ? (route.path.startsWith('/api/reservations') ? betaReservation : betaKeyId) : params[p] ?? 'x'));
  if (route.id === 'DELETE /api/tenants/{tenant}') path += '?confirm=beta';
  if (route.id === 'GET /api/alerts') path += '?tenant=beta';
  // the flag routes name the tenant in the query (lists, deletes) or in the body
  if (/^(GET|DELETE) (\/api)?\/(features|audit-logs)$/.test(route.id)) path += `?tenant=beta&env=dev${route.id.startsWith('GET') && route.path.endsWith('features') ? '' : '&key=x'}`;
  if (route.id === 'GET /api/flags/export') path += '?tenant=beta&env=dev';
  if (/^(GET|DELETE) \/api\/segments$/.test(route.id)) path += `?tenant=beta${route.method === 'delete' ? '&name=x' : ''}`;
  return call(app.url, route.method.toUpperCase(), path, { cookie: token, headers: { origin: app.url }, ...(route.method === 'get' || route.method === 'delete' ? {} : { body: bodies[route.id] ?? {} }) });
}

/** The first snapshot of the usage stream. */
async function streamSnapshot(token: string): Promise<{ tenant: string }[]> {
  const ac = new AbortController();
  const res = await fetch(`${app.url}/api/stream`, { headers: { cookie: `token=${token}` }, signal: ac.signal });
  const reader = res.body!.getReader();
  let text = '';
  while (!/event: snapshot\ndata: .*\n\n/.test(text)) text += new TextDecoder().decode((await reader.read()).value);
  ac.abort();
  return JSON.parse(/event: snapshot\ndata: (.*)\n\n/.exec(text)![1]!).tenants;
}

describe('a person bound to tenant alpha', () => {
  test('gets 403 on every route that names tenant beta or needs admin, and nothing changes', async () => {
    const before = await snapshot();
    const answers: Record<string, number> = {};
    const unhandled: string[] = [];
    // objects of another tenant found by id are not revealed: 404, as if they did not exist
    const foreignObjects = ['DELETE /api/reservations/{id}'];
    for (const route of routes) {
      if (foreignObjects.includes(route.id)) {
        expect((await request(alphaPerson, route)).status).toBe(404);
        continue;
      }
      const names = route.path.includes('{tenant}') || route.scope === 'admin' || ['POST /api/events', 'POST /api/check', 'GET /api/alerts'].includes(route.id)
        || /(features|audit-logs|ofrep|segments|\/flags\/)/.test(route.path);
      if (!names) {
        // tenantless reads: filtered to the caller's tenant, or not a tenant's data (the environments)
        if (!['GET /api/tenants', 'GET /api/stream', 'GET /api/environments'].includes(route.id)) unhandled.push(route.id);
        continue;
      }
      answers[route.id] = (await request(alphaPerson, route)).status;
    }
    expect(unhandled).toEqual([]);
    expect(Object.entries(answers).filter(([, status]) => status !== 403)).toEqual([]);
    expect(Object.keys(answers).length).toBeGreaterThan(15);
    expect(await snapshot()).toEqual(before);
  });

  test('the lists show only tenant alpha: tenants, the live stream, alerts', async () => {
    expect((await call(app.url, 'GET', '/api/tenants', { cookie: alphaPerson })).body.tenants.map((t: { tenant: string }) => t.tenant)).toEqual(['alpha']);
    expect((await streamSnapshot(alphaPerson)).map((t) => t.tenant)).toEqual(['alpha']);
    expect((await call(app.url, 'GET', '/api/alerts', { cookie: alphaPerson })).status).toBe(200);
    // and its own tenant it may read and post to
    expect((await call(app.url, 'GET', '/api/usage/alpha', { cookie: alphaPerson })).status).toBe(200);
    expect((await call(app.url, 'POST', '/api/events', { cookie: alphaPerson, headers: { origin: app.url }, body: { tenant: 'alpha', feature: 'f', tokens: 1 } })).status).toBe(201);
  });
});

describe('a person with only the read scope', () => {
  test('gets 403 on every route that changes something, and on the admin reads; nothing changes', async () => {
    const before = await snapshot();
    const refused: Record<string, number> = {};
    // a read sent as a POST (it carries an evaluation context) changes nothing: the reader may use it
    const postReads = ['POST /api/flags/playground'];
    for (const route of routes.filter((r) => (r.method !== 'get' && !postReads.includes(r.id)) || r.scope === 'admin')) refused[route.id] = (await request(reader, route)).status;
    for (const id of postReads) expect([id, (await request(reader, routes.find((r) => r.id === id)!)).status]).toEqual([id, 200]);
    expect(Object.entries(refused).filter(([, status]) => status !== 403)).toEqual([]);
    expect(Object.keys(refused)).toEqual(expect.arrayContaining(['POST /api/tenants', 'PATCH /api/tenants/{tenant}', 'DELETE /api/keys/{id}', 'POST /api/invitations', 'PATCH /api/people/{name}', 'POST /api/tenants/{tenant}/webhook/test']));
    expect(await snapshot()).toEqual(before);
    // and reads every tenant
    expect((await call(app.url, 'GET', '/api/tenants', { cookie: reader })).body.tenants.map((t: { tenant: string }) => t.tenant)).toEqual(['alpha', 'beta']);
  });
});
