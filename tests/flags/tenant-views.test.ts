// What a tenant-bound caller sees of the flag service beyond its own flags: the environments'
// flag counts (its own and the global ones, never other tenants'), and who made each change in a
// flag's history (the person signed in, or the key's name; nobody only for what no caller did).
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { startTestApp } from '../helpers/app.ts';
import { addTenants, createTestDb, type TestDb } from '../helpers/db.ts';
import { addPerson, call, login } from '../helpers/people.ts';
import type { FlagMeter } from '../../server/runtime.ts';

const ADMIN = 'fm_live_tviewsadmin1_DDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDD';
let db: TestDb;
let app: FlagMeter;

const flag = (tenant: string | undefined, key: string, env = 'dev') => ({ ...(tenant ? { tenant } : {}), env, key, enabled: true, strategy: 'boolean' });

beforeAll(async () => {
  db = await createTestDb();
  await addTenants(db.pool, [{ slug: 'acme' }, { slug: 'globex' }]);
  app = await startTestApp(db.url, { FLAGMETER_AUTH: 'true', FLAGMETER_ADMIN_KEY: ADMIN });
});
afterAll(async () => {
  await app.stop();
  await db.drop();
});

test("a tenant-bound key counts its own and the global flags per environment, not other tenants'", async () => {
  for (const body of [flag('acme', 'a1'), flag('globex', 'g1'), flag('globex', 'g2'), flag('globex', 'g3', 'prod'), flag(undefined, 'everyone')]) {
    expect((await call(app.url, 'POST', '/api/features', { bearer: ADMIN, body })).status).toBe(201);
  }
  const acmeRead = (await call(app.url, 'POST', '/api/keys', { bearer: ADMIN, body: { name: 'acme reader', scopes: ['read'], tenant: 'acme' } })).body.key;
  const counts = async (key: string) => Object.fromEntries((await call(app.url, 'GET', '/api/environments', { bearer: key })).body.environments.map((e: any) => [e.name, e.flags]));
  expect(await counts(acmeRead)).toEqual({ dev: 2, staging: 0, prod: 0 });
  expect(await counts(ADMIN)).toEqual({ dev: 4, staging: 0, prod: 1 });
});

test("a flag's history names who made each change: the person signed in, or the key", async () => {
  const session = await addPerson(app.url, ADMIN, { name: 'dana@example.com', password: 'a long passphrase 42', scopes: ['flags', 'read'], tenant: 'acme' });
  // a browser's write: the cookie, from this site
  const origin = { origin: app.url };
  expect((await call(app.url, 'POST', '/api/features', { cookie: session, headers: origin, body: flag('acme', 'by-person') })).status).toBe(201);
  const key = (await call(app.url, 'POST', '/api/keys', { bearer: ADMIN, body: { name: 'deploy bot', scopes: ['flags', 'read'], tenant: 'acme' } })).body;
  expect((await call(app.url, 'POST', '/api/features', { bearer: key.key, body: { ...flag('acme', 'by-person'), enabled: false } })).status).toBe(200);

  const history = (await call(app.url, 'GET', '/api/audit-logs?tenant=acme&env=dev&key=by-person', { cookie: session })).body.items;
  expect(history.map((e: any) => [e.action, e.actor, e.personName, e.keyName])).toEqual([
    ['flag.update', { kind: 'key', name: 'deploy bot' }, null, 'deploy bot'],
    ['flag.create', { kind: 'person', name: 'dana@example.com' }, 'dana@example.com', null],
  ]);
  // the admin audit says the same, and keeps the name once the key is revoked
  expect((await call(app.url, 'DELETE', `/api/keys/${key.id}`, { bearer: ADMIN })).status).toBe(200);
  const entries = (await call(app.url, 'GET', '/api/audit?action=flag&tenant=acme', { bearer: ADMIN })).body.entries;
  expect(entries.filter((e: any) => e.target.endsWith('/by-person')).map((e: any) => e.actor)).toEqual([
    { kind: 'key', name: 'deploy bot' }, { kind: 'person', name: 'dana@example.com' },
  ]);
  // and finds them by that name
  const byName = (await call(app.url, 'GET', `/api/audit?actor=${encodeURIComponent('deploy bot')}`, { bearer: ADMIN })).body.entries;
  expect(byName.map((e: any) => [e.action, e.target])).toEqual([['flag.update', 'flag:acme/dev/by-person']]);
});
