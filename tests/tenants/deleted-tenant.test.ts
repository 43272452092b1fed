// A tenant deleted while its events are in flight must not take other tenants' events down with it:
// not in a shared batch (the writer isolates the requests), and not in the Valkey buffer (the
// drainer drops the deleted tenant's events instead of retrying them forever).
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { startTestApp, post } from '../helpers/app.ts';
import { addTenants, createTestDb, silentLog, type TestDb } from '../helpers/db.ts';
import { SHARED_VALKEY_URL, cleanPrefix, uniquePrefix } from '../helpers/valkey.ts';
import { connectValkey } from '../../server/valkey/connection.ts';
import { ValkeyBuffer } from '../../server/valkey/buffer.ts';
import { Drainer } from '../../server/valkey/drainer.ts';

let db: TestDb;
const prefix = uniquePrefix('deleted');
beforeAll(async () => { db = await createTestDb(); });
afterAll(async () => {
  await db.drop();
  await cleanPrefix(prefix);
});

test('a batch holding a just-deleted tenant: only that request is refused, the others are stored', async () => {
  await addTenants(db.pool, [{ slug: 'stays' }, { slug: 'doomed' }]);
  // a long-lived tenant cache still knows 'doomed' after it is deleted; a long wait puts both requests in one batch
  const app = await startTestApp(db.url, { TENANT_CACHE_TTL_MS: '600000', BATCH_MAX_WAIT_MS: '300' });
  try {
    expect((await post(app.url, [{ tenant: 'stays', feature: 'warm', tokens: 1 }, { tenant: 'doomed', feature: 'warm', tokens: 1 }])).status).toBe(201);
    await db.pool.query(`delete from flagmeter.tenants where slug = 'doomed'`);
    const [stays, doomed] = await Promise.all([
      post(app.url, { tenant: 'stays', feature: 'after', tokens: 5 }),
      post(app.url, { tenant: 'doomed', feature: 'after', tokens: 7 }),
    ]);
    expect(stays.status).toBe(201);
    expect(doomed.status).toBe(409);
    expect(doomed.body.error.code).toBe('tenant_deleted');
    const { rows } = await db.pool.query(`select sum(tokens)::int t from flagmeter.rollups where feature = 'after'`);
    expect(rows[0].t).toBe(5);
  } finally {
    await app.stop();
  }
});

test('the drainer drops buffered events of a deleted tenant and drains the rest', async () => {
  const ids = await addTenants(db.pool, [{ slug: 'kept-b' }, { slug: 'gone-b' }]);
  const valkey = connectValkey({ url: SHARED_VALKEY_URL, prefix, commandTimeoutMs: 1000, log: silentLog });
  await new Promise((resolve) => valkey.once('ready', resolve));
  try {
    const buffer = new ValkeyBuffer(valkey, 1000);
    const row = (tenantId: number, tokens: number) => ({ id: randomUUID(), tenantId, feature: 'drained', tokens, occurredAt: new Date().toISOString(), key: null, user: null });
    await buffer.append([row(ids['gone-b']!, 100), row(ids['kept-b']!, 3)]);
    await buffer.append([row(ids['kept-b']!, 4)]);
    await db.pool.query(`delete from flagmeter.tenants where slug = 'gone-b'`);

    const drainer = new Drainer({ client: valkey, pool: db.pool, log: silentLog, batchEvents: 5000 });
    while (await drainer.drainOnce() > 0);
    expect(await buffer.size()).toBe(0);
    expect(await valkey.xlen('buffer')).toBe(0);
    const { rows } = await db.pool.query(`select tenant_id, sum(tokens)::int t from flagmeter.events where feature = 'drained' group by 1`);
    expect(rows).toEqual([{ tenant_id: ids['kept-b'], t: 7 }]);
  } finally {
    valkey.disconnect();
  }
});
