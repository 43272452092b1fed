// Two FlagMeter servers on one database: with Valkey, a flag written on one is seen by an
// evaluation on the other within a second (the cached set is dropped through pub/sub, not by its
// TTL); without Valkey, within FLAG_CACHE_TTL_MS.
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { startReplicaPair, valkeyUp } from '../helpers/app.ts';
import { addTenants, createTestDb, type TestDb } from '../helpers/db.ts';
import { waitUntil } from '../helpers/net.ts';
import { SHARED_VALKEY_URL, cleanPrefix, uniquePrefix } from '../helpers/valkey.ts';
import type { FlagMeter } from '../../server/runtime.ts';

let db: TestDb;
const prefix = uniquePrefix('flags');
beforeAll(async () => {
  db = await createTestDb();
  await addTenants(db.pool, [{ slug: 'acme' }]);
});
afterAll(async () => {
  await db.drop();
  await cleanPrefix(prefix);
});

const json = { 'content-type': 'application/json' };
const write = (app: FlagMeter, enabled: boolean, env = 'prod') => fetch(`${app.url}/api/features`, {
  method: 'POST', headers: json, body: JSON.stringify({ tenant: 'acme', env, key: 'shared', enabled, strategy: 'boolean' }),
}).then((r) => r.status);
const value = (app: FlagMeter, env = 'prod') => fetch(`${app.url}/ofrep/v1/evaluate/flags/shared`, {
  method: 'POST', headers: json, body: JSON.stringify({ context: { tenant: 'acme', env, targetingKey: 'u' } }),
}).then(async (r) => (await r.json()).value as boolean);

const pair = (env: Record<string, string>) => startReplicaPair(db.url, env);

test('with Valkey: a write on one server is seen on the other within a second', async () => {
  // an hour-long TTL: only the invalidation message can make the other server reload
  const [a, b] = await pair({ VALKEY_URL: SHARED_VALKEY_URL, VALKEY_PREFIX: prefix, FLAG_CACHE_TTL_MS: '3600000' });
  try {
    await waitUntil(() => valkeyUp([a, b]), 5000);
    expect(await write(a, true)).toBe(201);
    expect(await value(b)).toBe(true); // b has the set cached now
    // until b's subscriber has joined the channel a message can go unheard: write until b follows once
    let flip = false;
    await waitUntil(async () => {
      flip = !flip;
      await write(a, !flip);
      await new Promise((r) => setTimeout(r, 50));
      return (await value(b)) === !flip;
    }, 5000);
    for (const enabled of [false, true, false]) {
      expect(await write(a, enabled)).toBe(200);
      const start = Date.now();
      await waitUntil(async () => (await value(b)) === enabled, 1000);
      expect(Date.now() - start).toBeLessThan(1000);
      // and the writer itself sees it at once
      expect(await value(a)).toBe(enabled);
    }
  } finally {
    await a.stop();
    await b.stop();
  }
});

test('without Valkey: the other server catches up within FLAG_CACHE_TTL_MS', async () => {
  const [a, b] = await pair({ FLAG_CACHE_TTL_MS: '300' });
  try {
    expect(await write(a, true, 'dev')).toBe(201);
    expect(await value(b, 'dev')).toBe(true);
    expect(await write(a, false, 'dev')).toBe(200);
    expect(await value(a, 'dev')).toBe(false);
    await waitUntil(async () => (await value(b, 'dev')) === false, 2000);
  } finally {
    await a.stop();
    await b.stop();
  }
});
