// Keys, scopes and tenant isolation, over HTTP on a real database.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { startTestApp } from '../helpers/app.ts';
import { addTenants, createTestDb, sums, type TestDb } from '../helpers/db.ts';
import type { FlagMeter } from '../../server/runtime.ts';

const ADMIN = 'fm_live_testadmin001_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';
let db: TestDb;
let app: FlagMeter;

beforeAll(async () => {
  db = await createTestDb();
  await addTenants(db.pool, [{ slug: 'acme-corp' }, { slug: 'globex-inc' }]);
  app = await startTestApp(db.url, { FLAGMETER_AUTH: 'true', FLAGMETER_ADMIN_KEY: ADMIN, KEY_CACHE_TTL_MS: '200' });
});
afterAll(async () => {
  await app.stop();
  await db.drop();
});

async function call(method: string, path: string, key: string | undefined, body?: unknown) {
  const res = await fetch(`${app.url}${path}`, {
    method,
    headers: { ...(key ? { authorization: `Bearer ${key}` } : {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined, headers: res.headers };
}

async function newKey(scopes: string[], tenant?: string): Promise<{ key: string; id: string }> {
  const r = await call('POST', '/api/keys', ADMIN, { name: `k-${scopes.join('-')}-${tenant ?? 'all'}`, scopes, ...(tenant ? { tenant } : {}) });
  expect(r.status).toBe(201);
  return r.body;
}

const event = (tenant: string, tokens = 5) => ({ tenant, feature: 'gpt-4o', tokens });

describe('authentication', () => {
  test('no key, a malformed key, a wrong secret → 401 with WWW-Authenticate', async () => {
    for (const key of [undefined, 'hello', `${ADMIN.slice(0, -1)}B`]) {
      const r = await call('GET', '/api/tenants', key);
      expect(r.status).toBe(401);
      expect(r.body.error.code).toBe('unauthorized');
      expect(r.headers.get('www-authenticate')).toMatch(/^Bearer/);
    }
  });

  test('X-API-Key works too; health and the OpenAPI document stay public', async () => {
    const res = await fetch(`${app.url}/api/tenants`, { headers: { 'x-api-key': ADMIN } });
    expect(res.status).toBe(200);
    expect((await call('GET', '/api/health', undefined)).status).toBe(200);
    expect((await call('GET', '/api/openapi.json', undefined)).status).toBe(200);
  });

  test('a revoked key is refused within the cache TTL', async () => {
    const { key, id } = await newKey(['read']);
    expect((await call('GET', '/api/tenants', key)).status).toBe(200);
    expect((await call('DELETE', `/api/keys/${id}`, ADMIN)).body.revokedAt).toBeTruthy();
    // this replica forgets at once; another would within KEY_CACHE_TTL_MS
    const r = await call('GET', '/api/tenants', key);
    expect(r.status).toBe(401);
    expect(r.body.error.message).toMatch(/revoked/);
  });

  test('a revocation on another replica reaches this one within the TTL', async () => {
    const other = await startTestApp(db.url, { FLAGMETER_AUTH: 'true', KEY_CACHE_TTL_MS: '200' });
    try {
      const { key, id } = await newKey(['read']);
      expect((await fetch(`${other.url}/api/tenants`, { headers: { authorization: `Bearer ${key}` } })).status).toBe(200);
      await call('DELETE', `/api/keys/${id}`, ADMIN);
      await new Promise((r) => setTimeout(r, 300));
      expect((await fetch(`${other.url}/api/tenants`, { headers: { authorization: `Bearer ${key}` } })).status).toBe(401);
    } finally {
      await other.stop();
    }
  });

  test('an open usage stream ends when its key is revoked; the reconnect gets 401', async () => {
    const { key, id } = await newKey(['read']);
    const other = await newKey(['read']);
    const open = async (k: string) => {
      const res = await fetch(`${app.url}/api/stream`, { headers: { authorization: `Bearer ${k}` } });
      expect(res.status).toBe(200);
      const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
      expect((await reader.read()).value).toMatch(/^retry:/);
      return reader;
    };
    /** Everything the server sends until it ends the stream (undefined if still open after ms). */
    const rest = async (reader: ReadableStreamDefaultReader<string>, ms: number) => {
      let text = '';
      const deadline = Date.now() + ms;
      while (Date.now() < deadline) {
        let wake = () => {};
        const timer = setTimeout(() => wake(), deadline - Date.now());
        const next = await Promise.race([reader.read(), new Promise<undefined>((r) => { wake = () => r(undefined); })]);
        clearTimeout(timer);
        if (!next) break;
        if (next.done) return text;
        text += next.value;
      }
      return undefined;
    };
    const revoked = await open(key);
    const kept = await open(other.key);
    expect((await call('DELETE', `/api/keys/${id}`, ADMIN)).status).toBe(200);
    // one poll (500 ms) after the revocation reached the key cache
    expect(await rest(revoked, 3000)).toBeDefined();
    expect(await rest(kept, 1000)).toBeUndefined();
    await kept.cancel();
    expect((await call('GET', '/api/stream', key)).status).toBe(401);
  });

  test('keys are stored as hashes, never in plain text', async () => {
    const { key } = await newKey(['ingest']);
    const { rows } = await db.pool.query(`select * from flagmeter.api_keys`);
    const dump = JSON.stringify(rows, (_k, v) => (v?.type === 'Buffer' ? Buffer.from(v.data).toString('latin1') : v));
    expect(dump).not.toContain(key);
    // the secret is everything after fm_live_<key id>_ (base64url: it may hold '_' itself)
    const secret = (k: string) => k.slice('fm_live_'.length + 13);
    expect(secret(key)).toHaveLength(32);
    expect(dump).not.toContain(secret(key));
    expect(dump).not.toContain(secret(ADMIN));
    expect(rows.every((r) => Buffer.isBuffer(r.secret_hash) && r.secret_hash.length === 32)).toBe(true);
  });
});

describe('scopes', () => {
  test('a read key cannot ingest; an ingest key cannot read; neither can administer → 403', async () => {
    const read = await newKey(['read']);
    const ingest = await newKey(['ingest']);
    expect((await call('POST', '/api/events', read.key, event('acme-corp'))).status).toBe(403);
    expect((await call('GET', '/api/usage/acme-corp', ingest.key)).status).toBe(403);
    expect((await call('GET', '/api/alerts', ingest.key)).status).toBe(403);
    expect((await call('POST', '/api/tenants', read.key, { slug: 'x', name: 'x' })).status).toBe(403);
    expect((await call('GET', '/api/keys', ingest.key)).status).toBe(403);
    expect((await call('POST', '/api/events', ingest.key, event('acme-corp'))).status).toBe(201);
    expect((await call('GET', '/api/usage/acme-corp', read.key)).status).toBe(200);
  });
  test('an admin key cannot be bound to a tenant', async () => {
    const r = await call('POST', '/api/keys', ADMIN, { name: 'bad', scopes: ['admin'], tenant: 'acme-corp' });
    expect(r.status).toBe(400);
  });
});

describe('a tenant-bound key', () => {
  test('touching another tenant → 403 and nothing stored (single, batch with one foreign event, path, query)', async () => {
    const { key } = await newKey(['ingest', 'read'], 'acme-corp');
    const before = await sums(db.pool);
    const single = await call('POST', '/api/events', key, event('globex-inc'));
    expect(single.status).toBe(403);
    const batch = await call('POST', '/api/events', key, [event('acme-corp'), event('acme-corp'), event('globex-inc')]);
    expect(batch.status).toBe(403);
    expect(batch.body.error.details).toEqual([{ index: 2, field: 'tenant', message: expect.stringContaining('globex-inc') }]);
    expect(await sums(db.pool)).toEqual(before);

    expect((await call('GET', '/api/usage/globex-inc', key)).status).toBe(403);
    expect((await call('GET', '/api/usage/globex-inc/series', key)).status).toBe(403);
    expect((await call('GET', '/api/tenants/globex-inc', key)).status).toBe(403);
    expect((await call('GET', '/api/alerts?tenant=globex-inc', key)).status).toBe(403);
  });

  test('its own tenant works, and lists show only its tenant', async () => {
    const { key } = await newKey(['ingest', 'read'], 'acme-corp');
    expect((await call('POST', '/api/events', key, [event('acme-corp'), event('acme-corp')])).status).toBe(201);
    expect((await call('GET', '/api/usage/acme-corp', key)).status).toBe(200);
    const list = await call('GET', '/api/tenants', key);
    expect(list.body.tenants.map((t: { tenant: string }) => t.tenant)).toEqual(['acme-corp']);
  });
});
