// Sign-in throttling uses the rate limiter's buckets, so with Valkey two replicas draw from the same
// bucket of an account: failed attempts spread over replicas are counted together, and successes given back.
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import type { FlagMeter } from '../../server/runtime.ts';
import { startTestApp } from '../helpers/app.ts';
import { createTestDb, type TestDb } from '../helpers/db.ts';
import { call } from '../helpers/people.ts';
import { SHARED_VALKEY_URL, cleanPrefix, uniquePrefix } from '../helpers/valkey.ts';

const prefix = uniquePrefix('login');
let db: TestDb;
let one: FlagMeter;
let two: FlagMeter;

beforeAll(async () => {
  db = await createTestDb();
  const env = { FLAGMETER_AUTH: 'true', FLAGMETER_ADMIN_PASSWORD: 'replicated admin password', VALKEY_URL: SHARED_VALKEY_URL, VALKEY_PREFIX: prefix, LOGIN_MAX_PER_ACCOUNT: '4' };
  one = await startTestApp(db.url, env);
  two = await startTestApp(db.url, env);
});
afterAll(async () => {
  await one.stop();
  await two.stop();
  await db.drop();
  await cleanPrefix(prefix);
});

test('successes are never counted, on either replica (each gives its charge back, never above the bucket)', async () => {
  for (const app of [one, two, one, two, one, two]) {
    expect((await call(app.url, 'POST', '/auth/login', { body: { name: 'admin', password: 'replicated admin password' } })).status).toBe(200);
  }
});

test('four attempts spread over two replicas use up the account; the fifth is refused on either', async () => {
  const attempt = (app: FlagMeter, password: string) => call(app.url, 'POST', '/auth/login', { body: { name: 'admin', password } });
  for (const app of [one, two, one, two]) expect((await attempt(app, 'a wrong password')).status).toBe(401);
  const refused = await attempt(one, 'replicated admin password');
  expect(refused.status).toBe(429);
  expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
  expect((await attempt(two, 'replicated admin password')).status).toBe(429);
});
