// The console's one transport (web/src/api/http.ts) against a real FlagMeter that wants keys: one
// rule for refusals. A 401 brings the sign-in back (the key is forgotten, with the server's reason);
// a 403 only fails the call with the API's message (the key stays: the caller is known, it just may
// not do this); any other refusal is an ApiError with the API's status, code, message and details;
// an unreachable server is status 0. (In the browser: tests/*/ *.browser.test.ts.)
import { afterAll, beforeAll, beforeEach, expect, test } from '@jest/globals';
import type { FlagMeter } from '../../server/runtime.ts';
import { ApiError, request } from '../../web/src/api/http.ts';
import { apiKey, forgetKey, keyNeeded, setKey } from '../../web/src/session.ts';
import { startTestApp } from '../helpers/app.ts';
import { createTestDb, type TestDb } from '../helpers/db.ts';
import { call } from '../helpers/people.ts';

const ADMIN = 'fm_live_transport001_GGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGG';
let db: TestDb;
let app: FlagMeter;
let readKey = '';

beforeAll(async () => {
  db = await createTestDb();
  app = await startTestApp(db.url, { FLAGMETER_AUTH: 'true', FLAGMETER_ADMIN_KEY: ADMIN });
  readKey = (await call(app.url, 'POST', '/api/keys', { bearer: ADMIN, body: { name: 'transport-read', scopes: ['read'] } })).body.key;
}, 60_000);
afterAll(async () => {
  await app?.stop();
  await db?.drop();
});
beforeEach(() => {
  forgetKey();
  keyNeeded.value = undefined;
});

const refusal = (p: Promise<unknown>) => p.then(() => { throw new Error('expected a refusal'); }, (err: unknown) => err as ApiError);

test('a 401 fails the call and brings the sign-in back with the server\'s reason', async () => {
  setKey('fm_live_nobodyknows2_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA');
  const err = await refusal(request(`${app.url}/api/tenants`));
  expect(err).toBeInstanceOf(ApiError);
  expect(err.status).toBe(401);
  expect(keyNeeded.value).toEqual({ reason: err.message });
  expect(apiKey.value).toBeUndefined();
});

test('a 403 fails with the API\'s message and keeps the key: no sign-in', async () => {
  setKey(readKey);
  const err = await refusal(request(`${app.url}/api/keys`, { method: 'POST', body: { name: 'not-mine', scopes: ['read'] } }));
  expect(err).toMatchObject({ status: 403, code: 'forbidden', message: "This key lacks the 'admin' scope." });
  expect(keyNeeded.value).toBeUndefined();
  expect(apiKey.value).toBe(readKey);
});

test('any other refusal carries status, code, message and the field details', async () => {
  setKey(ADMIN);
  const err = await refusal(request(`${app.url}/api/keys`, { method: 'POST', body: { name: 'no-scopes', scopes: [] } }));
  expect(err).toMatchObject({ status: 400, code: 'invalid_request' });
  expect(err.details.map((d) => d.field)).toContain('scopes');
  expect(keyNeeded.value).toBeUndefined();
});

test('an answer is the API\'s JSON; an unreachable server is status 0', async () => {
  setKey(readKey);
  expect(await request<{ tenants: unknown[] }>(`${app.url}/api/tenants`)).toEqual({ tenants: [] });
  const err = await refusal(request('http://127.0.0.1:9/api/tenants'));
  expect(err).toMatchObject({ status: 0, code: 'network' });
});
