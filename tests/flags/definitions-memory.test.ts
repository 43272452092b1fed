// Flag definitions from memory: GET /api/features and the OFREP bulk 304 answer without a query
// (every statement the app sends goes through its pools: each checkout is counted by the pools'
// own `acquire` event, on a real PostgreSQL 18), their ETag is the set's version and changes on
// every write here and on another replica (through Valkey), and the 24 h counts shown are those in
// flagmeter.flag_evaluations, read back after each flush.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { startReplicaPair, startTestApp, valkeyUp } from '../helpers/app.ts';
import { addTenants, createTestDb, type TestDb } from '../helpers/db.ts';
import { waitUntil } from '../helpers/net.ts';
import { SHARED_VALKEY_URL, cleanPrefix, uniquePrefix } from '../helpers/valkey.ts';
import type { FlagMeter } from '../../server/runtime.ts';

const ADMIN = 'fm_live_flagsmemory1_MMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMM';
// every periodic refresh an hour away: only requests could query during the test
const QUIET = { FLAGMETER_AUTH: 'true', FLAGMETER_ADMIN_KEY: ADMIN, FLAG_CACHE_TTL_MS: '3600000', FLAG_COUNTS_FLUSH_MS: '3600000', TENANT_CACHE_TTL_MS: '3600000', KEY_CACHE_TTL_MS: '600000' };
const prefix = uniquePrefix('flagsmem');
let db: TestDb;

beforeAll(async () => {
  db = await createTestDb();
  await addTenants(db.pool, [{ slug: 'acme' }]);
});
afterAll(async () => {
  await db.drop();
  await cleanPrefix(prefix);
});

async function call(app: FlagMeter, method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${app.url}${path}`, {
    method, headers: { authorization: `Bearer ${ADMIN}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, tag: res.headers.get('etag'), body: text ? JSON.parse(text) : undefined };
}

const upsert = (app: FlagMeter, flag: Record<string, unknown>) => call(app, 'POST', '/api/features', { env: 'prod', enabled: true, strategy: 'boolean', ...flag });
const LIST = '/api/features?tenant=acme&env=prod';
const bulk = (app: FlagMeter, tag?: string) => call(app, 'POST', '/ofrep/v1/evaluate/flags', { context: { tenant: 'acme', env: 'prod', targetingKey: 'alice', plan: 'pro' } }, tag ? { 'if-none-match': tag } : {});

/** Checkouts of the app's pools (a pool.query or a transaction each) while `fn` runs. */
async function checkouts(app: FlagMeter, fn: () => Promise<void>): Promise<number> {
  let n = 0;
  const count = () => { n++; };
  const pools = [app.pool, app.reportingPool];
  for (const p of pools) p.on('acquire', count);
  try {
    await fn();
  } finally {
    for (const p of pools) p.off('acquire', count);
  }
  return n;
}

describe('one server', () => {
  let app: FlagMeter;
  beforeAll(async () => {
    app = await startTestApp(db.url, QUIET);
  });
  afterAll(async () => {
    await app.stop();
  });

  test('a 304 of the list or of the bulk evaluation, and a 200 of the list, send no statement to PostgreSQL', async () => {
    expect((await upsert(app, { tenant: 'acme', key: 'own-flag', strategy: 'percentage', percentage: 40 })).status).toBe(201);
    expect((await upsert(app, { key: 'global-flag' })).status).toBe(201);
    const first = await call(app, 'GET', LIST);
    expect(first.body.items.map((i: any) => i.key)).toEqual(['global-flag', 'own-flag']);
    const firstBulk = await bulk(app);
    expect(firstBulk.status).toBe(200);
    const perRequest = await checkouts(app, async () => {
      for (let i = 0; i < 100; i++) {
        expect((await call(app, 'GET', LIST, undefined, { 'if-none-match': first.tag! })).status).toBe(304);
        expect((await bulk(app, firstBulk.tag!)).status).toBe(304);
      }
      for (let i = 0; i < 20; i++) expect((await call(app, 'GET', LIST)).body).toEqual(first.body);
    });
    expect(perRequest).toBe(0);
    // the instrument sees the app's statements: a write is a transaction, the next list reloads the set
    expect(await checkouts(app, async () => {
      await upsert(app, { tenant: 'acme', key: 'own-flag', strategy: 'percentage', percentage: 50 });
      await call(app, 'GET', LIST);
    })).toBeGreaterThanOrEqual(2);
  });

  test('the global list (no tenant): the global flags alone, not inherited, with every tenant\'s counts', async () => {
    await addTenants(db.pool, [{ slug: 'globex' }]);
    for (const tenant of ['acme', 'globex']) {
      expect((await call(app, 'POST', '/ofrep/v1/evaluate/flags/global-flag', { context: { tenant, env: 'prod', targetingKey: 'u' } })).status).toBe(200);
    }
    await app.flags!.counter.flush();
    const global = await call(app, 'GET', '/api/features?env=prod');
    const { rows } = await db.pool.query(`select count(distinct tenant_id)::int as tenants, sum(evaluations)::int as n from flagmeter.flag_evaluations where flag_key = 'global-flag'`);
    expect(rows[0].tenants).toBe(2);
    expect(global.body.items.map((i: any) => [i.key, i.tenant, i.inherited, i.evaluations24h])).toEqual([['global-flag', null, false, rows[0].n]]);
    expect(await checkouts(app, async () => {
      expect((await call(app, 'GET', '/api/features?env=prod', undefined, { 'if-none-match': global.tag! })).status).toBe(304);
    })).toBe(0);
  });

  test('the ETag changes on every write that changes what the set holds: own flag, global flag, segment', async () => {
    let tag = (await call(app, 'GET', LIST)).tag!;
    let bulkTag = (await bulk(app)).tag!;
    const changes: [string, () => Promise<{ status: number }>][] = [
      ['own flag', () => upsert(app, { tenant: 'acme', key: 'own-flag', enabled: false })],
      ['global flag', () => upsert(app, { key: 'global-flag', enabled: false })],
      ['new flag', () => upsert(app, { tenant: 'acme', key: 'another' })],
      ['segment', () => call(app, 'POST', '/api/segments', { tenant: 'acme', name: 'pros', constraints: [{ contextName: 'plan', operator: 'in', values: ['pro'] }] })],
      ['deleted flag', () => call(app, 'DELETE', '/api/features', { tenant: 'acme', env: 'prod', key: 'another' })],
    ];
    for (const [what, change] of changes) {
      expect([what, (await change()).status]).toEqual([what, expect.any(Number)]);
      const list = await call(app, 'GET', LIST, undefined, { 'if-none-match': tag });
      expect([what, list.status]).toEqual([what, 200]);
      expect(list.tag).not.toBe(tag);
      const again = await bulk(app, bulkTag);
      expect([what, again.status]).toEqual([what, 200]);
      tag = list.tag!;
      bulkTag = again.tag!;
      expect((await call(app, 'GET', LIST, undefined, { 'if-none-match': tag })).status).toBe(304);
      expect((await bulk(app, bulkTag)).status).toBe(304);
    }
  });

  test('a random variant is never frozen by a 304: the bulk tag then hashes the answer', async () => {
    expect((await call(app, 'POST', '/api/features', { tenant: 'acme', env: 'prod', key: 'coin', enabled: true, type: 'string', onValue: 'x', offValue: 'y', strategies: [], stickiness: 'random',
      variants: [{ name: 'heads', weight: 50, value: 'h' }, { name: 'tails', weight: 50, value: 't' }] })).status).toBe(201);
    const noUser = () => call(app, 'POST', '/ofrep/v1/evaluate/flags', { context: { tenant: 'acme', env: 'prod' } });
    const seen = new Set<string>();
    for (let i = 0; i < 40 && seen.size < 2; i++) seen.add((await noUser()).body.flags.find((f: any) => f.key === 'coin').variant);
    expect([...seen].sort()).toEqual(['heads', 'tails']);
    await call(app, 'DELETE', '/api/features', { tenant: 'acme', env: 'prod', key: 'coin' });
  });

  test('the 24 h counts, latest evaluation and stale mark are what flagmeter.flag_evaluations holds, read back after a flush', async () => {
    // in dev, which nothing has listed yet: its first read is whole
    const DEV = '/api/features?tenant=acme&env=dev';
    for (const key of ['counted', 'old-one', 'ancient']) await upsert(app, { tenant: 'acme', env: 'dev', key });
    // older rows: 30 hours ago (outside the 24 h sums, still the latest evaluation), 40 days ago (stale, had the flag not just been written)
    await db.pool.query(`insert into flagmeter.flag_evaluations select t.id, e.id, k, date_trunc('hour', now() - a), 'true', 7, now() - a
      from flagmeter.tenants t, flagmeter.environments e, (values ('old-one', interval '30 hours'), ('ancient', interval '40 days')) v(k, a)
      where t.slug = 'acme' and e.name = 'dev'`);
    const before = await call(app, 'GET', DEV);
    for (let i = 0; i < 5; i++) expect((await call(app, 'POST', '/ofrep/v1/evaluate/flags/counted', { context: { tenant: 'acme', env: 'dev', targetingKey: `u${i}` } })).body.value).toBe(true);
    // not flushed yet: the list (and its tag) are as before
    expect((await call(app, 'GET', DEV, undefined, { 'if-none-match': before.tag! })).status).toBe(304);
    await app.flags!.counter.flush();
    const after = await call(app, 'GET', DEV, undefined, { 'if-none-match': before.tag! });
    expect(after.status).toBe(200);
    const item = (key: string) => after.body.items.find((i: any) => i.key === key);
    const { rows } = await db.pool.query(`select flag_key, max(last_at) as at from flagmeter.flag_evaluations group by 1`);
    const last = Object.fromEntries(rows.map((r) => [r.flag_key, r.at.toISOString()]));
    expect(item('counted')).toMatchObject({ evaluations24h: 5, byValue24h: { true: 5 }, lastEvaluatedAt: last.counted, stale: false });
    expect(item('old-one')).toMatchObject({ evaluations24h: 0, byValue24h: {}, lastEvaluatedAt: last['old-one'], stale: false });
    expect(item('ancient')).toMatchObject({ evaluations24h: 0, lastEvaluatedAt: last.ancient });
    // a second flush reads only the last 25 hours: the older evaluations are still known
    await app.flags!.counter.flush();
    const again = await call(app, 'GET', DEV);
    expect(again.tag).toBe(after.tag);
    expect(again.body).toEqual(after.body);
  });
});

test('two servers: the ETag is the same on both, and a write on one changes it on the other within a second (Valkey)', async () => {
  const env = { ...QUIET, VALKEY_URL: SHARED_VALKEY_URL, VALKEY_PREFIX: prefix };
  const [a, b] = await startReplicaPair(db.url, env);
  try {
    await waitUntil(() => valkeyUp([a, b]), 5000);
    const onA = await call(a, 'GET', LIST);
    const onB = await call(b, 'GET', LIST);
    // a version of the data, not of the process: either server's tag is good on the other
    expect(onB.tag).toBe(onA.tag);
    expect((await call(b, 'GET', LIST, undefined, { 'if-none-match': onA.tag! })).status).toBe(304);
    const bulkA = await bulk(a);
    expect((await bulk(b, bulkA.tag!)).status).toBe(304);
    // until b's subscriber has joined the channel a message can go unheard: write until b follows once
    let n = 0;
    await waitUntil(async () => {
      await upsert(a, { tenant: 'acme', key: 'replicated', enabled: n++ % 2 === 0 });
      await new Promise((r) => setTimeout(r, 50));
      return (await call(b, 'GET', LIST)).tag === (await call(a, 'GET', LIST)).tag;
    }, 5000);
    for (const enabled of [false, true]) {
      const tagOnB = (await call(b, 'GET', LIST)).tag!;
      const bulkOnB = (await bulk(b)).tag!;
      expect((await upsert(a, { tenant: 'acme', key: 'replicated', enabled })).status).toBe(200);
      const start = Date.now();
      await waitUntil(async () => (await call(b, 'GET', LIST, undefined, { 'if-none-match': tagOnB })).status === 200, 1000);
      expect(Date.now() - start).toBeLessThan(1000);
      expect((await bulk(b, bulkOnB)).status).toBe(200);
      expect((await call(b, 'GET', LIST)).tag).toBe((await call(a, 'GET', LIST)).tag);
    }
  } finally {
    await a.stop();
    await b.stop();
  }
});
