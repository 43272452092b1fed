// TRUST_PROXY (#20): a hop count or the proxies' addresses, as Express's `trust proxy` takes them.
// `true` (believe the left-most X-Forwarded-For, which the client writes) is refused at start-up.
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { ConfigError, loadConfig } from '../../server/config.ts';
import type { FlagMeter } from '../../server/runtime.ts';
import { startTestApp } from '../helpers/app.ts';
import { createTestDb, type TestDb } from '../helpers/db.ts';
import { call } from '../helpers/people.ts';

let db: TestDb;
beforeAll(async () => {
  db = await createTestDb();
});
afterAll(async () => {
  await db.drop();
});

const failedFrom = async (address: string) => (await db.pool.query(
  `select count(*)::int as n from flagmeter.audit_log where action = 'person.login_failed' and after->>'address' = $1`, [address])).rows[0].n;

test('TRUST_PROXY=true is refused with what to set instead; a hop count and address lists are taken', () => {
  expect(() => loadConfig({ TRUST_PROXY: 'true' })).toThrow(ConfigError);
  expect(() => loadConfig({ TRUST_PROXY: 'true' })).toThrow(/TRUST_PROXY="true": .*TRUST_PROXY=1 .*TRUST_PROXY=loopback,10\.0\.0\.0\/8/);
  expect(() => loadConfig({ TRUST_PROXY: 'proxy.internal' })).toThrow(/'proxy.internal' is not a proxy address/);
  expect(loadConfig({ TRUST_PROXY: '1' }).TRUST_PROXY).toBe(1);
  expect(loadConfig({ TRUST_PROXY: 'loopback, 10.0.0.0/8' }).TRUST_PROXY).toEqual(['loopback', '10.0.0.0/8']);
  expect(loadConfig({}).TRUST_PROXY).toBe(false);
});

test('one trusted hop: a forged left-most X-Forwarded-For neither escapes the address throttle nor reaches the audit log', async () => {
  const app: FlagMeter = await startTestApp(db.url, { FLAGMETER_AUTH: 'true', TRUST_PROXY: '1', LOGIN_MAX_PER_ADDRESS: '3', LOGIN_MAX_PER_ACCOUNT: '100' });
  try {
    // the proxy appends the address it saw (203.0.113.50); the client writes whatever it likes before it
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) {
      const r = await call(app.url, 'POST', '/auth/login', { headers: { 'x-forwarded-for': `10.66.0.${i}, 203.0.113.50` }, body: { name: `spray${i}`, password: 'a wrong password' } });
      statuses.push(r.status);
    }
    expect(statuses).toEqual([401, 401, 401, 429, 429]);
    expect(await failedFrom('203.0.113.50')).toBe(3);
    expect(await failedFrom('10.66.0.0')).toBe(0);
  } finally {
    await app.stop();
  }
});

test('trusted addresses: only proxies in the list are skipped, the first other address is the client', async () => {
  const app: FlagMeter = await startTestApp(db.url, { FLAGMETER_AUTH: 'true', TRUST_PROXY: 'loopback' });
  try {
    await call(app.url, 'POST', '/auth/login', { headers: { 'x-forwarded-for': '10.77.0.1, 198.51.100.44' }, body: { name: 'nobody', password: 'a wrong password' } });
    expect(await failedFrom('198.51.100.44')).toBe(1);
    expect(await failedFrom('10.77.0.1')).toBe(0);
  } finally {
    await app.stop();
  }
});
