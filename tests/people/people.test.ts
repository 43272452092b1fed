// People over HTTP: the seed's register/login/logout contract, sessions (revoked by logout, by
// disabling, by a password change; idle and absolute lifetimes), sign-in throttling, the cookie's
// attributes, CSRF, the audit trail, and that no password or token reaches a log line.
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { pino } from 'pino';
import { loadConfig } from '../../server/config.ts';
import { startFlagMeter, type FlagMeter } from '../../server/runtime.ts';
import { startTestApp } from '../helpers/app.ts';
import { addTenants, createTestDb, type TestDb } from '../helpers/db.ts';
import { addPerson, call, login } from '../helpers/people.ts';

const ADMIN_KEY = 'fm_live_peopleadmin1_CCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCC';
const ADMIN_PASSWORD = 'correct horse battery staple';
let db: TestDb;
let app: FlagMeter;
let base: string;
let logged = '';

beforeAll(async () => {
  db = await createTestDb();
  await addTenants(db.pool, [{ slug: 'acme' }, { slug: 'globex' }]);
  // every log line at every level is kept, to show that no secret is ever in one
  const sink = new Writable({ write(chunk, _enc, done) { logged += chunk.toString(); done(); } });
  const config = loadConfig({
    DATABASE_URL: db.url, PORT: '0', HOST: '127.0.0.1', FLAGMETER_DEMO: 'false', TENANT_CACHE_TTL_MS: '0', USAGE_CACHE_TTL_MS: '0',
    FLAGMETER_AUTH: 'true', FLAGMETER_ADMIN_KEY: ADMIN_KEY, FLAGMETER_ADMIN_PASSWORD: ADMIN_PASSWORD,
    LOGIN_MAX_PER_ACCOUNT: '1000', LOGIN_MAX_PER_ADDRESS: '1000', LOG_LEVEL: 'trace',
  });
  app = await startFlagMeter(config, 'serve', pino({ level: 'trace' }, sink));
  base = app.url;
});
afterAll(async () => {
  await app.stop();
  await db.drop();
});

const audit = async () => (await db.pool.query(`select action, target, person_name, key_id, after from report.audit_log order by id`)).rows;

describe('the seed\'s contract', () => {
  test('login → {ok, token, tenant} and the HttpOnly cookie token; the token works as Bearer and as the cookie', async () => {
    const r = await call(base, 'POST', '/auth/login', { body: { name: 'admin', password: ADMIN_PASSWORD } });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ ok: true, token: expect.stringMatching(/^fm_sess_[A-Za-z0-9_-]{43}$/), tenant: null });
    const cookie = r.headers.get('set-cookie')!;
    expect(cookie).toBe(`token=${r.body.token}; Path=/; HttpOnly; SameSite=Lax; Max-Age=${12 * 3600}`);
    expect(r.headers.get('cache-control')).toBe('no-store');
    const me = { kind: 'person', name: 'admin', scopes: ['ingest', 'read', 'admin', 'flags', 'evaluate', 'check'], tenant: null };
    expect((await call(base, 'GET', '/api/me', { bearer: r.body.token })).body).toEqual(me);
    expect((await call(base, 'GET', '/api/me', { cookie: r.body.token })).body).toEqual(me);
    // only its hash is stored
    const { rows } = await db.pool.query(`select encode(token_hash, 'hex') h from flagmeter.sessions`);
    expect(JSON.stringify(rows)).not.toContain(r.body.token.slice(8));
  });

  test('an unknown name and a wrong password get the same 401; so does a tenant that is not the person\'s', async () => {
    const wrong = await call(base, 'POST', '/auth/login', { body: { name: 'admin', password: 'not the password at all' } });
    const unknown = await call(base, 'POST', '/auth/login', { body: { name: 'nobody-here', password: 'not the password at all' } });
    const otherTenant = await call(base, 'POST', '/auth/login', { body: { tenant: 'acme', name: 'admin', password: ADMIN_PASSWORD } });
    const malformed = await call(base, 'POST', '/auth/login', { body: { name: 'No Such Name!', password: 'not the password at all' } });
    for (const r of [wrong, unknown, otherTenant, malformed]) {
      expect(r.status).toBe(401);
      expect(r.body).toEqual({ error: { code: 'invalid_credentials', message: 'The name or the password is wrong.' } });
      expect(r.headers.get('set-cookie')).toBeNull();
    }
    // a name with a bidi override would lie in the audit log: refused before anything else
    const bidi = await call(base, 'POST', '/auth/login', { body: { name: 'admin\u202e', password: 'x' } });
    expect(bidi).toMatchObject({ status: 400, body: { error: { details: [{ field: 'name' }] } } });
  });

  test('register with an invitation → {ok, tenant}; the person gets its scopes and tenant; it creates no tenant', async () => {
    const tenantsBefore = (await db.pool.query('select count(*)::int n from flagmeter.tenants')).rows[0].n;
    const inv = await call(base, 'POST', '/api/invitations', { bearer: ADMIN_KEY, body: { tenant: 'acme', scopes: ['read', 'flags'] } });
    expect(inv.status).toBe(201);
    expect(inv.body).toEqual({ id: expect.any(Number), token: expect.stringMatching(/^fm_inv_/), url: `${base}/#/register/${inv.body.token}`, expiresAt: expect.any(String), scopes: ['read', 'flags'], tenant: 'acme', name: null });
    expect(Date.parse(inv.body.expiresAt) - Date.now()).toBeGreaterThan(71 * 3600_000);
    const reg = await call(base, 'POST', '/auth/register', { body: { tenant: 'acme', name: 'Wile.E@Acme.example', password: 'a long enough password', invitation: inv.body.token } });
    expect(reg).toMatchObject({ status: 201, body: { ok: true, tenant: 'acme' } });
    const token = await login(base, 'wile.e@acme.example', 'a long enough password');
    expect((await call(base, 'GET', '/api/me', { bearer: token })).body).toEqual({ kind: 'person', name: 'wile.e@acme.example', scopes: ['read', 'flags'], tenant: 'acme' });
    expect((await db.pool.query('select count(*)::int n from flagmeter.tenants')).rows[0].n).toBe(tenantsBefore);
    // used: never again
    const again = await call(base, 'POST', '/auth/register', { body: { name: 'roadrunner', password: 'a long enough password', invitation: inv.body.token } });
    expect(again).toMatchObject({ status: 400, body: { error: { code: 'invalid_invitation', details: [{ field: 'invitation' }] } } });
  });

  test('bad registrations: expired invitation, weak password, taken name, wrong tenant or name, bad token', async () => {
    const invite = async (body: object = { scopes: ['read'] }) => (await call(base, 'POST', '/api/invitations', { bearer: ADMIN_KEY, body })).body.token as string;
    const register = (body: object) => call(base, 'POST', '/auth/register', { body });
    const expired = await invite();
    await db.pool.query(`update flagmeter.invitations set expires_at = now() - interval '1 second'`);
    expect((await register({ name: 'late', password: 'a long enough password', invitation: expired })).body.error.code).toBe('invalid_invitation');

    const inv = await invite();
    const weak = await register({ name: 'weakling', password: 'short', invitation: inv });
    expect(weak).toMatchObject({ status: 400, body: { error: { details: [{ field: 'password', message: 'password must be at least 12 characters' }] } } });
    const taken = await register({ name: 'admin', password: 'a long enough password', invitation: inv });
    expect(taken).toMatchObject({ status: 409, body: { error: { code: 'name_taken', details: [{ field: 'name' }] } } });
    const tenant = await register({ tenant: 'globex', name: 'someone', password: 'a long enough password', invitation: inv });
    expect(tenant).toMatchObject({ status: 400, body: { error: { details: [{ field: 'tenant' }] } } });
    expect((await register({ name: 'bad name!', password: 'a long enough password', invitation: inv })).body.error.details[0].field).toBe('name');
    expect((await register({ name: 'someone', password: 'a long enough password', invitation: 'fm_inv_guess' })).status).toBe(400);
    // none of the failures used it up
    expect((await register({ name: 'someone', password: 'a long enough password', invitation: inv })).status).toBe(201);

    const named = await invite({ scopes: ['read'], name: 'only-me' });
    expect((await register({ name: 'not-me', password: 'a long enough password', invitation: named })).body.error.details[0].field).toBe('name');
    expect((await call(base, 'POST', '/api/invitations', { bearer: ADMIN_KEY, body: { scopes: ['admin'], tenant: 'acme' } })).body.error.details[0].field).toBe('scopes');
    expect((await call(base, 'POST', '/api/invitations', { bearer: ADMIN_KEY, body: { scopes: ['read'], tenant: 'nope' } })).status).toBe(404);
  });

  test('logout ends the session (Bearer and cookie alike) and clears the cookie', async () => {
    const token = await login(base, 'admin', ADMIN_PASSWORD);
    const out = await call(base, 'POST', '/auth/logout', { cookie: token });
    expect(out).toMatchObject({ status: 200, body: { ok: true } });
    expect(out.headers.get('set-cookie')).toBe('token=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0');
    for (const auth of [{ bearer: token }, { cookie: token }]) {
      const r = await call(base, 'GET', '/api/tenants', auth);
      expect(r).toMatchObject({ status: 401, body: { error: { message: 'The session has ended or is not valid: sign in again.' } } });
    }
    // a Bearer session logs out the same way
    const other = await login(base, 'admin', ADMIN_PASSWORD);
    expect((await call(base, 'POST', '/auth/logout', { bearer: other })).status).toBe(200);
    expect((await call(base, 'GET', '/api/me', { bearer: other })).status).toBe(401);
  });
});

describe('sessions', () => {
  test('every sign-in is a new session; signing in with an old cookie ends it', async () => {
    const first = await login(base, 'admin', ADMIN_PASSWORD);
    const second = await call(base, 'POST', '/auth/login', { body: { name: 'admin', password: ADMIN_PASSWORD }, cookie: first });
    expect(second.body.token).not.toBe(first);
    expect((await call(base, 'GET', '/api/me', { cookie: first })).status).toBe(401);
    expect((await call(base, 'GET', '/api/me', { cookie: second.body.token })).status).toBe(200);
  });

  test('disabling a person ends their sessions and refuses their sign-in with the same 401', async () => {
    const token = await addPerson(base, ADMIN_KEY, { name: 'temp', password: 'only here for a while', scopes: ['read'] });
    expect((await call(base, 'GET', '/api/tenants', { bearer: token })).status).toBe(200);
    const admin = await login(base, 'admin', ADMIN_PASSWORD);
    const r = await call(base, 'PATCH', '/api/people/temp', { bearer: admin, body: { disabled: true } });
    expect(r).toMatchObject({ status: 200, body: { name: 'temp', disabledAt: expect.any(String) } });
    expect((await call(base, 'GET', '/api/tenants', { bearer: token })).status).toBe(401);
    const again = await call(base, 'POST', '/auth/login', { body: { name: 'temp', password: 'only here for a while' } });
    expect(again.body).toEqual({ error: { code: 'invalid_credentials', message: 'The name or the password is wrong.' } });
    // an admin cannot lock themselves out
    expect((await call(base, 'PATCH', '/api/people/admin', { bearer: admin, body: { disabled: true } })).status).toBe(400);
    expect((await call(base, 'PATCH', '/api/people/admin', { bearer: admin, body: { scopes: ['read'] } })).status).toBe(400);
    expect((await call(base, 'PATCH', '/api/people/nobody', { bearer: admin, body: { disabled: true } })).status).toBe(404);
    // scopes change at once for the live session
    const person = await addPerson(base, ADMIN_KEY, { name: 'scoped', password: 'only here for a while', scopes: ['read'] });
    expect((await call(base, 'PATCH', '/api/people/scoped', { bearer: admin, body: { scopes: ['ingest'] } })).body.scopes).toEqual(['ingest']);
    expect((await call(base, 'GET', '/api/tenants', { bearer: person })).status).toBe(403);
  });

  test('a password change ends the person\'s other sessions, keeps this one, and needs the current password', async () => {
    await addPerson(base, ADMIN_KEY, { name: 'changer', password: 'first password here', scopes: ['read'] });
    const here = await login(base, 'changer', 'first password here');
    const elsewhere = await login(base, 'changer', 'first password here');
    const wrong = await call(base, 'PUT', '/api/me/password', { bearer: here, body: { current: 'not it at all!', password: 'second password here' } });
    expect(wrong).toMatchObject({ status: 400, body: { error: { details: [{ field: 'current' }] } } });
    const weak = await call(base, 'PUT', '/api/me/password', { bearer: here, body: { current: 'first password here', password: 'short' } });
    expect(weak.body.error.details[0].field).toBe('password');
    const ok = await call(base, 'PUT', '/api/me/password', { bearer: here, body: { current: 'first password here', password: 'second password here' } });
    expect(ok).toMatchObject({ status: 200, body: { ok: true, sessionsEnded: 2 } });
    expect((await call(base, 'GET', '/api/me', { bearer: here })).status).toBe(200);
    expect((await call(base, 'GET', '/api/me', { bearer: elsewhere })).status).toBe(401);
    expect((await call(base, 'POST', '/auth/login', { body: { name: 'changer', password: 'first password here' } })).status).toBe(401);
    await login(base, 'changer', 'second password here');
    // a key has no password
    expect((await call(base, 'PUT', '/api/me/password', { bearer: ADMIN_KEY, body: { current: 'x', password: 'second password here' } })).status).toBe(403);
  });

  test('a person\'s open live stream ends when the session does', async () => {
    const token = await login(base, 'admin', ADMIN_PASSWORD);
    const res = await fetch(`${base}/api/stream`, { headers: { cookie: `token=${token}` } });
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    await reader.read();
    expect((await call(base, 'POST', '/auth/logout', { bearer: token })).status).toBe(200);
    // the stream is checked on every poll (500 ms): it ends, rather than serving a signed-out person
    for (;;) if ((await reader.read()).done) break;
  });

  test('idle and absolute lifetimes', async () => {
    const idle = await login(base, 'changer', 'second password here');
    const old = await login(base, 'changer', 'second password here');
    const sessionId = async (t: string) => (await call(base, 'GET', '/api/me', { bearer: t })).status;
    expect([await sessionId(idle), await sessionId(old)]).toEqual([200, 200]);
    const { createHash } = await import('node:crypto');
    const h = (t: string) => createHash('sha256').update(t).digest();
    await db.pool.query(`update flagmeter.sessions set last_seen_at = now() - interval '121 minutes' where token_hash = $1`, [h(idle)]);
    await db.pool.query(`update flagmeter.sessions set expires_at = now() - interval '1 second' where token_hash = $1`, [h(old)]);
    expect([await sessionId(idle), await sessionId(old)]).toEqual([401, 401]);
    // use keeps a session alive: last_seen_at moves (to within a minute)
    const active = await login(base, 'changer', 'second password here');
    await db.pool.query(`update flagmeter.sessions set last_seen_at = now() - interval '100 minutes' where token_hash = $1`, [h(active)]);
    expect(await sessionId(active)).toBe(200);
    const { rows } = await db.pool.query(`select last_seen_at > now() - interval '1 minute' fresh from flagmeter.sessions where token_hash = $1`, [h(active)]);
    expect(rows[0].fresh).toBe(true);
  });
});

describe('CSRF', () => {
  test('a cookie-authenticated write from another origin is refused and changes nothing; from this origin it passes', async () => {
    const token = await login(base, 'admin', ADMIN_PASSWORD);
    const create = (slug: string, headers: Record<string, string>) => call(base, 'POST', '/api/tenants', { cookie: token, headers, body: { slug, name: slug } });
    for (const headers of [{ origin: 'http://evil.example' }, { 'sec-fetch-site': 'cross-site' }, { 'sec-fetch-site': 'same-site' }, { origin: 'null' }] as Record<string, string>[]) {
      const r = await create('csrf-victim', headers);
      expect(r).toMatchObject({ status: 403, body: { error: { code: 'cross_origin' } } });
    }
    expect((await db.pool.query(`select count(*)::int n from flagmeter.tenants where slug = 'csrf-victim'`)).rows[0].n).toBe(0);
    expect((await create('csrf-ok', { origin: base })).status).toBe(201);
    expect((await create('csrf-ok2', { 'sec-fetch-site': 'same-origin', origin: base })).status).toBe(201);
    // reads are not changes; a Bearer token cannot be sent by another site
    expect((await call(base, 'GET', '/api/tenants', { cookie: token, headers: { 'sec-fetch-site': 'cross-site' } })).status).toBe(200);
    expect((await call(base, 'POST', '/api/tenants', { bearer: token, headers: { origin: 'http://evil.example' }, body: { slug: 'csrf-bearer', name: 'b' } })).status).toBe(201);
    // signing in (or out) from another site's page is refused too
    expect((await call(base, 'POST', '/auth/login', { headers: { origin: 'http://evil.example' }, body: { name: 'admin', password: ADMIN_PASSWORD } })).status).toBe(403);
    expect((await call(base, 'POST', '/auth/logout', { cookie: token, headers: { 'sec-fetch-site': 'cross-site' } })).status).toBe(403);
    expect((await call(base, 'GET', '/api/me', { cookie: token })).status).toBe(200);
  });
});

describe('throttling', () => {
  test('per account from one address: past LOGIN_MAX_PER_ACCOUNT failures that address gets 429 with Retry-After, even with the right password; a clean address still signs in', async () => {
    await addPerson(base, ADMIN_KEY, { name: 'target', password: 'the right password', scopes: ['read'] });
    const own = await startTestApp(db.url, { FLAGMETER_AUTH: 'true', TRUST_PROXY: '1', LOGIN_MAX_PER_ACCOUNT: '5' });
    try {
      const from = (ip: string, name: string, password: string) => call(own.url, 'POST', '/auth/login', { headers: { 'x-forwarded-for': ip }, body: { name, password } });
      for (let i = 0; i < 5; i++) expect((await from('203.0.113.66', 'target', `guess number ${i}`)).status).toBe(401);
      const refused = await from('203.0.113.66', 'target', 'the right password');
      expect(refused).toMatchObject({ status: 429, body: { error: { code: 'too_many_attempts' } } });
      // one attempt comes back every 900/5 = 180 s
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(150);
      expect(Number(refused.headers.get('retry-after'))).toBeLessThanOrEqual(180);
      // the name is the account, whatever its case; other accounts are not affected
      expect((await from('203.0.113.66', 'TARGET', 'x')).status).toBe(429);
      expect((await from('203.0.113.66', 'admin', ADMIN_PASSWORD)).status).toBe(200);
      // the owner, from an address that has not failed: guesses elsewhere do not lock it out
      expect((await from('198.51.100.23', 'target', 'the right password')).status).toBe(200);
    } finally {
      await own.stop();
    }
  });

  test('successful sign-ins are never counted: more of them than any bucket holds all pass', async () => {
    const own = await startTestApp(db.url, { FLAGMETER_AUTH: 'true', LOGIN_MAX_PER_ACCOUNT: '2', LOGIN_MAX_PER_ADDRESS: '3' });
    try {
      for (let i = 0; i < 8; i++) expect((await call(own.url, 'POST', '/auth/login', { body: { name: 'admin', password: ADMIN_PASSWORD } })).status).toBe(200);
      // one typo, then the right password: still in
      expect((await call(own.url, 'POST', '/auth/login', { body: { name: 'admin', password: 'a typo in it' } })).status).toBe(401);
      expect((await call(own.url, 'POST', '/auth/login', { body: { name: 'admin', password: ADMIN_PASSWORD } })).status).toBe(200);
    } finally {
      await own.stop();
    }
  });

  test('per client address, behind a trusted proxy: X-Forwarded-For names the address; https makes the cookie Secure', async () => {
    const proxied = await startTestApp(db.url, { FLAGMETER_AUTH: 'true', TRUST_PROXY: '1', LOGIN_MAX_PER_ADDRESS: '3', LOGIN_MAX_PER_ACCOUNT: '100' });
    const direct = await startTestApp(db.url, { FLAGMETER_AUTH: 'true' });
    try {
      const from = (ip: string, name: string) => call(proxied.url, 'POST', '/auth/login', { headers: { 'x-forwarded-for': ip }, body: { name, password: 'wrong password!' } });
      for (const name of ['a1', 'a2', 'a3']) expect((await from('203.0.113.7', name)).status).toBe(401);
      const refused = await from('203.0.113.7', 'a4');
      expect(refused.status).toBe(429);
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
      expect((await from('203.0.113.8', 'a4')).status).toBe(401);

      const https = { 'x-forwarded-proto': 'https', 'x-forwarded-for': '198.51.100.1' };
      const secure = await call(proxied.url, 'POST', '/auth/login', { headers: https, body: { name: 'admin', password: ADMIN_PASSWORD } });
      expect(secure.headers.get('set-cookie')).toMatch(/; HttpOnly; SameSite=Lax; Max-Age=\d+; Secure$/);
      // without TRUST_PROXY the header is anyone's to forge: ignored
      const forged = await call(direct.url, 'POST', '/auth/login', { headers: https, body: { name: 'admin', password: ADMIN_PASSWORD } });
      expect(forged.headers.get('set-cookie')).not.toContain('Secure');
    } finally {
      await proxied.stop();
      await direct.stop();
    }
  });
});

describe('audit and logs', () => {
  test('sign-ins, failed sign-ins, sign-outs and a person\'s changes are in the audit log with who did it', async () => {
    const token = await login(base, 'admin', ADMIN_PASSWORD);
    expect((await call(base, 'PATCH', '/api/tenants/acme', { bearer: token, body: { monthlyQuota: 777 } })).status).toBe(200);
    const rows = await audit();
    expect(rows).toEqual(expect.arrayContaining([
      expect.objectContaining({ action: 'person.login', target: 'person:admin', person_name: 'admin', key_id: null }),
      expect.objectContaining({ action: 'person.login_failed', target: 'person:nobody-here', person_name: null }),
      expect.objectContaining({ action: 'person.logout', person_name: 'admin' }),
      expect.objectContaining({ action: 'person.register', target: 'person:wile.e@acme.example', person_name: 'wile.e@acme.example' }),
      expect.objectContaining({ action: 'person.disable', target: 'person:temp', person_name: 'admin' }),
      expect.objectContaining({ action: 'person.password', target: 'person:changer', person_name: 'changer' }),
      expect.objectContaining({ action: 'invitation.create', key_id: 'peopleadmin1' }),
      expect.objectContaining({ action: 'tenant.update', target: 'tenant:acme', person_name: 'admin', key_id: null }),
    ]));
    // filters: actor, action (or its prefix), tenant
    const q = async (query: string) => (await call(base, 'GET', `/api/audit?${query}`, { bearer: ADMIN_KEY })).body.entries as { action: string; personName: string | null; keyId: string | null; target: string }[];
    expect((await q('actor=admin&action=tenant.update')).map((e) => e.target)).toEqual(['tenant:acme']);
    expect(new Set((await q('action=person')).map((e) => e.action.split('.')[0]))).toEqual(new Set(['person']));
    expect((await q('actor=peopleadmin1')).every((e) => e.keyId === 'peopleadmin1')).toBe(true);
    const acme = await q('tenant=acme');
    expect(acme.map((e) => e.action)).toEqual(expect.arrayContaining(['tenant.update', 'invitation.create', 'person.register']));
    expect(acme.some((e) => e.target === 'tenant:globex')).toBe(false);
    expect((await call(base, 'GET', '/api/audit?action=DROP%20TABLE', { bearer: ADMIN_KEY })).status).toBe(400);
  });

  test('no password, session token or invitation token is in any log line or audit row', async () => {
    expect(logged.length).toBeGreaterThan(1000); // trace level: every request was logged
    const auditText = JSON.stringify(await audit());
    for (const secret of [ADMIN_PASSWORD, 'a long enough password', 'first password here', 'second password here', 'fm_sess_', 'fm_inv_', 'guess number']) {
      expect(logged).not.toContain(secret);
      expect(auditText).not.toContain(secret);
    }
  });
});
