// Issue #13, "no input breaks it": NUL and malformed escapes in paths, NUL and unreadable characters
// in names, numbers past their column, webhook URLs shown only to admins, and the smaller ones.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { startTestApp } from '../helpers/app.ts';
import { createTestDb, sums, type TestDb } from '../helpers/db.ts';
import type { FlagMeter } from '../../server/runtime.ts';

const ADMIN = 'fm_live_hardenadmin1_CCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCC';
const HOOK = 'https://hooks.slack.com/services/T000/B000/secretsecretsecret1234';
let db: TestDb;
let app: FlagMeter;
let readKey: string;
let boundKey: string;
let ingestKey: string;

async function call(method: string, path: string, body?: unknown, key: string | null = ADMIN) {
  const res = await fetch(`${app.url}${path}`, {
    method,
    headers: { ...(key ? { authorization: `Bearer ${key}` } : {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

beforeAll(async () => {
  db = await createTestDb();
  app = await startTestApp(db.url, { FLAGMETER_AUTH: 'true', FLAGMETER_ADMIN_KEY: ADMIN });
  expect((await call('POST', '/api/tenants', { slug: 'hooli', name: 'Hooli' })).status).toBe(201);
  expect((await call('PUT', '/api/tenants/hooli/webhook', { url: HOOK })).status).toBe(200);
  readKey = (await call('POST', '/api/keys', { name: 'reader', scopes: ['read'] })).body.key;
  boundKey = (await call('POST', '/api/keys', { name: 'hooli itself', scopes: ['read', 'ingest'], tenant: 'hooli' })).body.key;
  ingestKey = (await call('POST', '/api/keys', { name: 'backend', scopes: ['ingest'] })).body.key;
});
afterAll(async () => {
  await app.stop();
  await db.drop();
});

describe('path parameters', () => {
  test.each([
    ['GET', '/api/usage/%00x'], ['GET', '/api/usage/%00x/series'], ['GET', '/api/tenants/%00x'], ['PATCH', '/api/tenants/%00x'],
    ['DELETE', '/api/tenants/%00x?confirm=%00x'], ['PUT', '/api/tenants/%00x/webhook'], ['DELETE', '/api/tenants/%00x/webhook'],
    ['DELETE', '/api/keys/%00x'], ['GET', '/api/usage/%FF'], ['GET', '/api/tenants/%E0%A4%A'], ['DELETE', '/api/keys/%C0%80'],
    ['GET', '/api/nothing-here/%FF'],
  ])('%s %s → 400, not a 500', async (method, path) => {
    const body = ['PATCH', 'PUT'].includes(method) ? (method === 'PUT' ? { url: HOOK } : { name: 'x' }) : undefined;
    const r = await call(method, path, body);
    expect(r.status).toBe(400);
    expect(r.body.error.code).toMatch(/^invalid_path/);
  });

  test('a slug that cannot be a tenant is a 400 naming the parameter', async () => {
    const r = await call('GET', '/api/tenants/Not%20A%20Slug');
    expect(r.status).toBe(400);
    expect(r.body.error).toMatchObject({ code: 'invalid_path_parameter', details: [{ field: 'tenant' }] });
  });
});

describe('text that reaches PostgreSQL', () => {
  test.each([
    ['POST', '/api/tenants', { slug: 'nul-name', name: 'a\u0000b' }, 'name'],
    ['POST', '/api/tenants', { slug: 'lone', name: 'a\ud800b' }, 'name'],
    ['POST', '/api/tenants', { slug: 'tz', name: 'x', timezone: 'UTC\u0000' }, 'timezone'],
    ['PATCH', '/api/tenants/hooli', { name: 'Hooli\u0000' }, 'name'],
    ['POST', '/api/keys', { name: 'k\u0000', scopes: ['read'] }, 'name'],
    ['PUT', '/api/tenants/hooli/webhook', { url: 'https://hooks.slack.com/a\u0000b' }, 'url'],
  ])('%s %s with NUL or a lone surrogate in %#: 400 naming the field', async (method, path, body, field) => {
    const r = await call(method, path, body);
    expect(r.status).toBe(400);
    expect(r.body.error.details.map((d: { field: string }) => d.field)).toContain(field);
  });

  test('DELETE ?confirm= with a NUL is a 400 too', async () => {
    expect((await call('DELETE', '/api/tenants/hooli?confirm=%00')).status).toBe(400);
    expect((await call('GET', '/api/tenants/hooli')).status).toBe(200);
  });
});

describe('numbers past their column', () => {
  test.each([['rateLimitPerSecond', 2 ** 31], ['rateLimitBurst', 2 ** 31], ['rateLimitBurst', 2 ** 53 - 1], ['monthlyQuota', 2 ** 53], ['billingDay', 2 ** 40]])(
    '%s = %d → 400', async (field, value) => {
      const r = await call('PATCH', '/api/tenants/hooli', { [field]: value });
      expect(r.status).toBe(400);
      expect(r.body.error.details[0].field).toBe(field);
    });
  test('the largest integer fits', async () => {
    const r = await call('PATCH', '/api/tenants/hooli', { rateLimitPerSecond: 2 ** 31 - 1, rateLimitBurst: 2 ** 31 - 1 });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ rateLimitPerSecond: 2 ** 31 - 1, rateLimitBurst: 2 ** 31 - 1 });
    expect((await call('PATCH', '/api/tenants/hooli', { rateLimitPerSecond: null, rateLimitBurst: null })).status).toBe(200);
  });
});

describe('names people read', () => {
  const before = () => sums(db.pool).then((s) => s.eventCount);
  test.each([['a right-to-left override', 'rtl \u202e evil'], ['blank', '   '], ['a tab', 'a\tb'], ['an isolate', 'x\u2066y'], ['a C1 control', 'x\u0085y']])(
    'a feature with %s is refused and nothing is stored', async (_what, feature) => {
      const n = await before();
      const r = await call('POST', '/api/events', { tenant: 'hooli', feature, tokens: 1 }, ingestKey);
      expect(r.status).toBe(400);
      expect(r.body.error.details).toEqual([expect.objectContaining({ field: 'feature' })]);
      expect(await before()).toBe(n);
    });
  test.each([['POST', '/api/tenants', { slug: 'evil', name: 'rtl \u202e evil' }], ['PATCH', '/api/tenants/hooli', { name: ' \n ' }], ['POST', '/api/keys', { name: 'k\u202e', scopes: ['read'] }]])(
    '%s %s with an unreadable name → 400', async (method, path, body) => {
      const r = await call(method, path, body);
      expect(r.status).toBe(400);
      expect(r.body.error.details[0].field).toBe('name');
    });
  test('ordinary names in any script still pass', async () => {
    const r = await call('POST', '/api/events', { tenant: 'hooli', feature: 'gpt-4o · résumé · 日本語 · عربى', tokens: 1 }, ingestKey);
    expect(r.status).toBe(201);
  });
});

describe('the Slack webhook URL is a credential', () => {
  const masked = 'https://hooks.slack.com/…1234';
  test('admin sees it whole; a read key and the tenant\'s own key see it masked', async () => {
    expect((await call('GET', '/api/tenants/hooli')).body.webhook.url).toBe(HOOK);
    for (const key of [readKey, boundKey]) {
      const r = await call('GET', '/api/tenants/hooli', undefined, key);
      expect(r.status).toBe(200);
      expect(r.body.webhook).toEqual({ url: masked, enabled: true });
      expect(JSON.stringify(r.body)).not.toContain('secretsecret');
    }
  });
  test('the audit log never stores it in clear', async () => {
    await call('PUT', '/api/tenants/hooli/webhook', { url: `${HOOK}x`, enabled: false });
    await call('PATCH', '/api/tenants/hooli', { name: 'Hooli Inc' });
    await call('DELETE', '/api/tenants/hooli/webhook');
    const { rows } = await db.pool.query(`select before, after from flagmeter.audit_log`);
    expect(JSON.stringify(rows)).not.toContain('secretsecret');
    expect(JSON.stringify((await call('GET', '/api/audit?limit=1000')).body)).not.toContain('secretsecret');
    expect(JSON.stringify(rows)).toContain('…1234');
    await call('PUT', '/api/tenants/hooli/webhook', { url: HOOK });
  });
});

describe('smaller ones', () => {
  test('revoking a revoked key answers the same and writes no second audit entry', async () => {
    const made = await call('POST', '/api/keys', { name: 'short-lived', scopes: ['read'] });
    const first = await call('DELETE', `/api/keys/${made.body.id}`);
    const second = await call('DELETE', `/api/keys/${made.body.id}`);
    expect(first.status).toBe(200);
    expect(second).toEqual(first);
    const { rows } = await db.pool.query(`select count(*)::int n from flagmeter.audit_log where action = 'key.revoke' and target = $1`, [`key:${made.body.id}`]);
    expect(rows[0].n).toBe(1);
  });
  test('DELETE /api/tenants/:t without confirm explains what to send', async () => {
    const r = await call('DELETE', '/api/tenants/hooli');
    expect(r.status).toBe(400);
    expect(r.body.error).toMatchObject({ code: 'confirmation_required', message: expect.stringContaining('?confirm=hooli') });
  });
});
