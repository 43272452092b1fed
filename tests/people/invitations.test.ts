// Invitations (#20): links built from PUBLIC_URL (the Host header only outside production, with a
// warning), and pending invitations listed (who made them, scopes, tenant, expiry) and revoked.
import http from 'node:http';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { pino } from 'pino';
import { loadConfig } from '../../server/config.ts';
import { startFlagMeter, type FlagMeter } from '../../server/runtime.ts';
import { startTestApp } from '../helpers/app.ts';
import { addTenants, createTestDb, type TestDb } from '../helpers/db.ts';
import { addPerson, call, type Answer } from '../helpers/people.ts';

const ADMIN_KEY = 'fm_live_invitations1_FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF';
const auth = { FLAGMETER_AUTH: 'true', FLAGMETER_ADMIN_KEY: ADMIN_KEY };
let db: TestDb;

beforeAll(async () => {
  db = await createTestDb();
  await addTenants(db.pool, [{ slug: 'acme' }]);
});
afterAll(async () => {
  await db.drop();
});

/** POST /api/invitations with a Host header of our choosing (fetch will not send one). */
function inviteWithHost(base: string, host: string, body: unknown): Promise<Answer> {
  const url = new URL('/api/invitations', base);
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST', headers: { host, authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' } }, (res) => {
      let text = '';
      res.on('data', (c) => { text += c; });
      res.on('end', () => resolve({ status: res.statusCode!, body: JSON.parse(text), headers: new Headers() }));
    });
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

describe('the invitation link', () => {
  test('PUBLIC_URL is the link\'s base, whatever Host the request names', async () => {
    const app = await startTestApp(db.url, { ...auth, PUBLIC_URL: 'https://flagmeter.example.com/' });
    try {
      const inv = await inviteWithHost(app.url, 'evil.example', { scopes: ['read'] });
      expect(inv.status).toBe(201);
      expect(inv.body.url).toBe(`https://flagmeter.example.com/#/register/${inv.body.token}`);
    } finally {
      await app.stop();
    }
  });

  test('in production without PUBLIC_URL: 503 public_url_unset, and nothing is created', async () => {
    const app = await startTestApp(db.url, { ...auth, NODE_ENV: 'production' });
    try {
      const before = (await db.pool.query('select count(*)::int as n from flagmeter.invitations')).rows[0].n;
      const r = await inviteWithHost(app.url, 'evil.example', { scopes: ['read'] });
      expect([r.status, r.body.error.code]).toEqual([503, 'public_url_unset']);
      expect(r.body.error.message).toContain('PUBLIC_URL');
      expect((await db.pool.query('select count(*)::int as n from flagmeter.invitations')).rows[0].n).toBe(before);
    } finally {
      await app.stop();
    }
  });

  test('in development without PUBLIC_URL: the request\'s host, and a warning in the log', async () => {
    let logged = '';
    const sink = new Writable({ write(chunk, _enc, done) { logged += chunk.toString(); done(); } });
    const config = loadConfig({ DATABASE_URL: db.url, PORT: '0', HOST: '127.0.0.1', FLAGMETER_DEMO: 'false', ...auth });
    const app: FlagMeter = await startFlagMeter(config, 'serve', pino({ level: 'warn' }, sink));
    try {
      const inv = await inviteWithHost(app.url, 'localhost:4000', { scopes: ['read'] });
      expect(inv.body.url).toBe(`http://localhost:4000/#/register/${inv.body.token}`);
      expect(logged).toContain('PUBLIC_URL is not set');
    } finally {
      await app.stop();
    }
  });
});

describe('pending invitations', () => {
  let app: FlagMeter;
  beforeAll(async () => {
    app = await startTestApp(db.url, { ...auth, PUBLIC_URL: 'https://flagmeter.example.com', LOGIN_MAX_PER_ACCOUNT: '100' });
  });
  afterAll(async () => {
    await app.stop();
  });
  const list = async (bearer = ADMIN_KEY) => (await call(app.url, 'GET', '/api/invitations', { bearer })).body.invitations as any[];

  test('listed with who made them, scopes, tenant and expiry; used ones are not listed; never a token', async () => {
    const byKey = await call(app.url, 'POST', '/api/invitations', { bearer: ADMIN_KEY, body: { scopes: ['read', 'check'], tenant: 'acme', name: 'invited.one' } });
    expect(byKey.status).toBe(201);
    const boss = await addPerson(app.url, ADMIN_KEY, { name: 'boss', password: 'the one in charge here', scopes: ['admin'] });
    const byPerson = await call(app.url, 'POST', '/api/invitations', { bearer: boss, body: { scopes: ['flags'] } });
    const pending = await list();
    expect(pending).toEqual(expect.arrayContaining([
      { id: byKey.body.id, scopes: ['read', 'check'], tenant: 'acme', name: 'invited.one', createdAt: expect.any(String), expiresAt: byKey.body.expiresAt,
        createdByKeyId: 'invitations1', createdByKeyName: 'admin (FLAGMETER_ADMIN_KEY)', createdByPerson: null, status: 'pending' },
      expect.objectContaining({ id: byPerson.body.id, scopes: ['flags'], tenant: null, createdByKeyId: null, createdByPerson: 'boss' }),
    ]));
    // the one addPerson used to register boss is not pending any more (those before are the link tests')
    expect(pending.filter((i) => i.id >= byKey.body.id)).toHaveLength(2);
    expect(JSON.stringify(pending)).not.toContain('fm_inv_');
  });

  test('revoked: the link stops working, the list drops it, the audit log says who; a second revoke is 409, an unknown id 404', async () => {
    const inv = await call(app.url, 'POST', '/api/invitations', { bearer: ADMIN_KEY, body: { scopes: ['read'] } });
    const r = await call(app.url, 'DELETE', `/api/invitations/${inv.body.id}`, { bearer: ADMIN_KEY });
    expect(r).toMatchObject({ status: 200, body: { id: inv.body.id, status: 'revoked', scopes: ['read'] } });
    expect((await list()).map((i) => i.id)).not.toContain(inv.body.id);
    const reg = await call(app.url, 'POST', '/auth/register', { body: { name: 'too.late', password: 'a long enough password', invitation: inv.body.token } });
    expect([reg.status, reg.body.error.code]).toEqual([400, 'invalid_invitation']);
    const again = await call(app.url, 'DELETE', `/api/invitations/${inv.body.id}`, { bearer: ADMIN_KEY });
    expect([again.status, again.body.error.code]).toEqual([409, 'invitation_revoked']);
    expect((await call(app.url, 'DELETE', '/api/invitations/999999', { bearer: ADMIN_KEY })).status).toBe(404);
    expect((await call(app.url, 'DELETE', '/api/invitations/abc', { bearer: ADMIN_KEY })).status).toBe(400);
    const audit = await db.pool.query(`select key_id, before, after from report.audit_log where action = 'invitation.revoke' and target = $1`, [`invitation:${inv.body.id}`]);
    expect(audit.rows).toEqual([{ key_id: 'invitations1', before: expect.objectContaining({ status: 'pending' }), after: { status: 'revoked' } }]);
  });

  test('only admins list and revoke', async () => {
    const reader = await addPerson(app.url, ADMIN_KEY, { name: 'reader', password: 'reads but never writes', scopes: ['read', 'flags'] });
    const inv = await call(app.url, 'POST', '/api/invitations', { bearer: ADMIN_KEY, body: { scopes: ['read'] } });
    expect((await call(app.url, 'GET', '/api/invitations', { bearer: reader })).status).toBe(403);
    expect((await call(app.url, 'DELETE', `/api/invitations/${inv.body.id}`, { bearer: reader })).status).toBe(403);
  });
});
