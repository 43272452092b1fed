// Deleting a tenant leaves nothing of it to the next tenant that takes its slug: not its flag
// history (allow-listed user ids included) nor any other audit entry about it, and not its keys,
// which stop working at once on the replica that deleted it and, through Valkey, on the others.
// Without Valkey another replica may trust a cached key until KEY_CACHE_TTL_MS, but it cannot write
// into the new tenant: the key's tenant id is not the new tenant's.
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { startTestApp } from '../helpers/app.ts';
import { createTestDb, type TestDb } from '../helpers/db.ts';
import { waitUntil } from '../helpers/net.ts';
import { call } from '../helpers/people.ts';
import { SHARED_VALKEY_URL, cleanPrefix, uniquePrefix } from '../helpers/valkey.ts';
import type { FlagMeter } from '../../server/runtime.ts';

const ADMIN = 'fm_live_deletionadm1_EEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEE';
const SECRET_USER = 'user-8c1f-only-the-old-tenant-knows';
let db: TestDb;
const prefix = uniquePrefix('tenant-deletion');
// long key and flag caches: only an invalidation can make a replica forget a key this quickly
const env = { FLAGMETER_AUTH: 'true', FLAGMETER_ADMIN_KEY: ADMIN, KEY_CACHE_TTL_MS: '600000' };

beforeAll(async () => { db = await createTestDb(); });
afterAll(async () => {
  await db.drop();
  await cleanPrefix(prefix);
});

const admin = (app: FlagMeter, method: string, path: string, body?: unknown) => call(app.url, method, path, { bearer: ADMIN, body });
const event = (app: FlagMeter, key: string, tenant: string) => call(app.url, 'POST', '/api/events', { bearer: key, body: { tenant, feature: 'f', tokens: 3 } });

/** A tenant with a tenant-bound key that has written a flag (with an allow list) and an event. */
async function tenantWithHistory(app: FlagMeter, slug: string): Promise<string> {
  expect((await admin(app, 'POST', '/api/tenants', { slug, name: 'First of the name' })).status).toBe(201);
  const key = (await admin(app, 'POST', '/api/keys', { name: 'old key', scopes: ['ingest', 'flags', 'read'], tenant: slug })).body.key;
  const flag = { tenant: slug, env: 'dev', key: 'vip', enabled: true, strategy: 'targeting', allow: [SECRET_USER] };
  expect((await call(app.url, 'POST', '/api/features', { bearer: key, body: flag })).status).toBe(201);
  expect((await event(app, key, slug)).status).toBe(201);
  return key;
}

const deleteTenant = async (app: FlagMeter, slug: string) => expect((await admin(app, 'DELETE', `/api/tenants/${slug}?confirm=${slug}`)).status).toBe(200);

test("a new tenant with a deleted one's slug sees none of its audit, and the old key is refused at once", async () => {
  const app = await startTestApp(db.url, env);
  try {
    const oldKey = await tenantWithHistory(app, 'reborn');
    await deleteTenant(app, 'reborn');
    expect((await admin(app, 'POST', '/api/tenants', { slug: 'reborn', name: 'Second of the name' })).status).toBe(201);

    // the key was cached a moment ago: it is refused now, and nothing reached the new tenant
    expect((await event(app, oldKey, 'reborn')).status).toBe(401);
    expect((await call(app.url, 'GET', '/api/audit-logs', { bearer: oldKey })).status).toBe(401);
    const { rows: [stored] } = await db.pool.query(`select count(*)::int n from flagmeter.events e join flagmeter.tenants t on t.id = e.tenant_id where t.slug = 'reborn'`);
    expect(stored.n).toBe(0);

    // the flag history of the new tenant is empty, for its own key and for an admin
    const newKey = (await admin(app, 'POST', '/api/keys', { name: 'new key', scopes: ['read'], tenant: 'reborn' })).body.key;
    expect((await call(app.url, 'GET', '/api/audit-logs', { bearer: newKey })).body).toMatchObject({ items: [], total: 0 });
    expect((await admin(app, 'GET', '/api/audit-logs?tenant=reborn&env=dev&key=vip')).body).toMatchObject({ items: [], total: 0 });
    // the admin audit of the slug: the deletion (who, and the settings it had) and the new tenant, nothing of the old tenant's data
    const entries = (await admin(app, 'GET', '/api/audit?tenant=reborn')).body.entries;
    expect(entries.map((e: any) => [e.action, e.after?.name ?? e.before?.name ?? null])).toEqual([
      ['key.create', 'new key'], ['tenant.create', 'Second of the name'], ['tenant.delete', 'First of the name'],
    ]);
    // and the old tenant's user ids are nowhere in the audit log
    const { rows: [leak] } = await db.pool.query(`select count(*)::int n from flagmeter.audit_log where before::text like $1 or after::text like $1`, [`%${SECRET_USER}%`]);
    expect(leak.n).toBe(0);
  } finally {
    await app.stop();
  }
});

test('with Valkey, the other replica refuses the deleted tenant\'s key at once (not after its cache TTL)', async () => {
  const valkeyEnv = { ...env, VALKEY_URL: SHARED_VALKEY_URL, VALKEY_PREFIX: prefix };
  const a = await startTestApp(db.url, valkeyEnv);
  const b = await startTestApp(db.url, valkeyEnv).catch(async (err) => { await a.stop(); throw err; });
  try {
    // b hears a's messages once its subscriber has joined: revoke throwaway keys on a until b refuses one
    await waitUntil(async () => {
      const probe = (await admin(a, 'POST', '/api/keys', { name: 'probe', scopes: ['read'] })).body;
      expect((await call(b.url, 'GET', '/api/tenants', { bearer: probe.key })).status).toBe(200);
      await admin(a, 'DELETE', `/api/keys/${probe.id}`);
      await new Promise((r) => setTimeout(r, 50));
      return (await call(b.url, 'GET', '/api/tenants', { bearer: probe.key })).status === 401;
    }, 10_000);

    const oldKey = await tenantWithHistory(a, 'twice');
    expect((await event(b, oldKey, 'twice')).status).toBe(201); // b has the key cached now
    await deleteTenant(a, 'twice');
    await waitUntil(async () => (await call(b.url, 'GET', '/api/usage/twice', { bearer: oldKey })).status === 401, 2000);
  } finally {
    await b.stop();
    await a.stop();
  }
});

test('without Valkey, a replica that still trusts the key cannot write into the new tenant of the slug', async () => {
  const a = await startTestApp(db.url, env);
  const b = await startTestApp(db.url, env).catch(async (err) => { await a.stop(); throw err; });
  try {
    const oldKey = await tenantWithHistory(a, 'same-name');
    expect((await event(b, oldKey, 'same-name')).status).toBe(201);
    await deleteTenant(a, 'same-name');
    expect((await admin(a, 'POST', '/api/tenants', { slug: 'same-name', name: 'Newcomer' })).status).toBe(201);
    // b's tenant lookup may still hold the old tenant for one request (refused: it is gone), then the new one
    await waitUntil(async () => {
      const refused = await event(b, oldKey, 'same-name');
      expect([401, 409]).toContain(refused.status);
      return refused.status === 401 && refused.body.error.message === 'The API key is not valid: its tenant was deleted.';
    });
    const { rows: [stored] } = await db.pool.query(`select count(*)::int n from flagmeter.events e join flagmeter.tenants t on t.id = e.tenant_id where t.slug = 'same-name'`);
    expect(stored.n).toBe(0);
  } finally {
    await b.stop();
    await a.stop();
  }
});
