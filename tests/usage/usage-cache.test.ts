// The usage cache and cross-replica invalidation, on a real database and a real Redis: the shared one
// on 127.0.0.1:6379 (under a prefix of our own, emptied at the end) and, for the outage, a
// redis-server of our own that this file kills and restarts.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { Redis } from 'ioredis';
import { startTestApp } from '../helpers/app.ts';
import { addTenants, createTestDb, silentLog, type TestDb } from '../helpers/db.ts';
import { cleanPrefix, SHARED_VALKEY_URL, startPrivateValkey, uniquePrefix, type PrivateValkey } from '../helpers/valkey.ts';
import type { FlagMeter } from '../../server/runtime.ts';
import type { Pool } from '../../server/db/pool.ts';
import { listUsage } from '../../server/db/tenants.ts';
import { listAlerts } from '../../server/db/alerts.ts';
import { usageBody } from '../../server/db/usage.ts';
import { UsageCache } from '../../server/cache/usage-cache.ts';
import { connectValkey } from '../../server/valkey/connection.ts';

const PREFIX = uniquePrefix('usage-cache');
const ADMIN = 'fm_live_cacheadmin01_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';
const TTL_MS = 3000;

let db: TestDb;
let shared: Redis;
const apps: FlagMeter[] = [];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(what: string, fn: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 3000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (ok(v)) return v;
    if (Date.now() > end) throw new Error(`${what}: still ${JSON.stringify(v)} after ${timeoutMs} ms`);
    await sleep(25);
  }
}

async function call(app: FlagMeter, method: string, path: string, body?: unknown, key = ADMIN) {
  const res = await fetch(`${app.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}
const usage = async (app: FlagMeter, slug: string) => (await call(app, 'GET', `/api/usage/${slug}`)).body;

async function start(env: Record<string, string>): Promise<FlagMeter> {
  const app = await startTestApp(db.url, {
    FLAGMETER_AUTH: 'true', FLAGMETER_ADMIN_KEY: ADMIN, USAGE_CACHE_TTL_MS: String(TTL_MS),
    // long TTLs: only an invalidation can make these replicas forget a tenant or a key in time
    TENANT_CACHE_TTL_MS: '60000', KEY_CACHE_TTL_MS: '60000', ...env,
  });
  apps.push(app);
  return app;
}

/** Stores an event with plain SQL, behind FlagMeter's back (the trigger still rolls it up): only a fresh read sees it. */
async function addTokens(pool: Pool, slug: string, tokens: number, feature = 'sql') {
  await pool.query(
    `insert into flagmeter.events (id, tenant_id, feature, tokens, occurred_at)
     select gen_random_uuid(), id, $2::text, $3::int, now() from flagmeter.tenants where slug = $1::text`, [slug, feature, tokens]);
}

beforeAll(async () => {
  db = await createTestDb();
  await addTenants(db.pool, [{ slug: 'acme-corp', quota: 1000 }, { slug: 'globex-inc' }, { slug: 'doomed' }]);
  shared = new Redis(SHARED_VALKEY_URL, { maxRetriesPerRequest: 1, retryStrategy: () => null });
});

afterAll(async () => {
  await Promise.all(apps.map((a) => a.stop()));
  // keys expire by themselves, but nothing of ours may stay behind in the shared server
  await cleanPrefix(PREFIX);
  expect(await shared.keys(`${PREFIX}*`)).toEqual([]);
  shared.disconnect();
  await db.drop();
});

describe('the usage read statement', () => {
  test('answers what the three queries did: usage, features by tokens, the 20 latest alerts', async () => {
    await addTokens(db.pool, 'globex-inc', 300, 'gpt-4o');
    await addTokens(db.pool, 'globex-inc', 100, 'claude');
    await addTokens(db.pool, 'globex-inc', 100, 'bert');
    // 25 alerts with microsecond timestamps, some sharing created_at (ordered by id then)
    await db.pool.query(
      `insert into flagmeter.alerts (tenant_id, period_start, period_end, threshold, used_tokens, quota, status, attempts, last_error, created_at, last_attempt_at)
       select t.id, p.period_start, p.period_end, 10 * i, 400 + i, 1000000, case when i % 3 = 0 then 'failed' else 'pending' end, i % 4,
              case when i % 3 = 0 then 'boom' end, now() - (i / 2) * interval '1.234567 seconds', case when i % 2 = 0 then now() end
       from flagmeter.tenants t
       cross join lateral flagmeter.billing_period(t.billing_day, t.timezone, now()) p
       cross join generate_series(1, 25) i
       where t.slug = 'globex-inc'`);
    // the answer as the route built it before: the report views and listAlerts, three queries
    const featureUsage = async (slug: string) => (await db.pool.query(
      `select feature, tokens, event_count, percent_of_tenant, input_tokens, output_tokens, cached_tokens, trim_scale(cost)::text as cost
       from report.usage_by_feature where tenant = $1 order by tokens desc, feature`, [slug]))
      .rows.map((r) => ({ feature: r.feature, tokens: r.tokens, eventCount: r.event_count, percent: r.percent_of_tenant,
        inputTokens: r.input_tokens, outputTokens: r.output_tokens, cachedTokens: r.cached_tokens, cost: r.cost }));
    // spend (docs/cost.md): the period's cost and currency, as report.usage_current has them
    const spend = async (slug: string) => (await db.pool.query(
      `select trim_scale(cost)::text as "totalCost", currency from report.usage_current where tenant = $1`, [slug])).rows[0];
    // entitlements added the tenant's limits (the quota, then feature limits), as report.entitlements has them
    const limits = async (slug: string) => (await db.pool.query(
      `select feature, limit_tokens, hard, used, reserved, remaining, overage, round(100.0 * used / limit_tokens, 2) as percent
       from report.entitlements where tenant = $1 order by feature nulls first`, [slug]))
      .rows.map((r) => ({ feature: r.feature, limit: r.limit_tokens, hard: r.hard, used: r.used, reserved: r.reserved, remaining: r.remaining, overage: r.overage, percent: r.percent }));
    const before = async (slug: string) => {
      const [all, features, alerts, l, cost] = await Promise.all([listUsage(db.pool), featureUsage(slug), listAlerts(db.pool, { tenant: slug, limit: 20 }), limits(slug), spend(slug)]);
      const found = all.find((t) => t.tenant === slug);
      if (!found) return undefined;
      // the usage body places the budget after the limits; no budget and no feature limit in money on these tenants (docs/cost.md#budgets)
      const { budget: _listed, ...u } = found;
      return { ...u, ...cost, limits: l, budget: null, featureBudgets: [], features, alerts };
    };
    for (const slug of ['globex-inc', 'doomed']) {
      const now = JSON.parse((await usageBody(db.pool, slug))!);
      expect(now).toEqual(await before(slug));
      expect(Object.keys(now)).toEqual(Object.keys((await before(slug))!));
    }
    const globex = JSON.parse((await usageBody(db.pool, 'globex-inc'))!);
    expect(globex.features.map((f: { feature: string }) => f.feature)).toEqual(['gpt-4o', 'bert', 'claude']);
    expect(globex.alerts).toHaveLength(20);
    expect(await usageBody(db.pool, 'nobody')).toBeUndefined();
  });
});

describe('with Valkey, two replicas', () => {
  let a: FlagMeter;
  let b: FlagMeter;
  beforeAll(async () => {
    const env = { VALKEY_URL: SHARED_VALKEY_URL, VALKEY_PREFIX: PREFIX };
    [a, b] = await Promise.all([start(env), start(env)]);
  });

  test('a read is served from the shared cache until the TTL passes, then fresh', async () => {
    const first = await usage(a, 'acme-corp');
    // the answer does not wait for the cache write: wait for the entry before the other replica reads
    await until('the shared entry', () => shared.pttl(`${PREFIX}cache:usage:acme-corp`), (ms) => ms > 0);
    await addTokens(db.pool, 'acme-corp', 7);
    // both replicas answer from the entry the first read stored
    expect(await usage(a, 'acme-corp')).toEqual(first);
    expect(await usage(b, 'acme-corp')).toEqual(first);
    const fresh = await until('usage after the TTL', () => usage(b, 'acme-corp'), (u) => u.totalTokens === first.totalTokens + 7, TTL_MS + 2000);
    expect(fresh.eventCount).toBe(first.eventCount + 1);
  });

  test('the tenants list is cached too; a tenant-bound key sees only its own row', async () => {
    const first = (await call(a, 'GET', '/api/tenants')).body.tenants;
    expect(first.map((t: { tenant: string }) => t.tenant)).toEqual(['acme-corp', 'doomed', 'globex-inc']);
    await until('the shared entry', () => shared.pttl(`${PREFIX}cache:tenants`), (ms) => ms > 0);
    await addTokens(db.pool, 'globex-inc', 5);
    expect((await call(b, 'GET', '/api/tenants')).body.tenants).toEqual(first);
    const bound = await call(a, 'POST', '/api/keys', { name: 'acme reader', scopes: ['read'], tenant: 'acme-corp' });
    const own = await call(b, 'GET', '/api/tenants', undefined, bound.body.key);
    expect(own.body.tenants).toEqual(first.filter((t: { tenant: string }) => t.tenant === 'acme-corp'));
    // the binding is checked before the cache is asked
    expect((await call(b, 'GET', '/api/usage/globex-inc', undefined, bound.body.key)).status).toBe(403);
  });

  test('an admin change shows at once on this replica and on the other', async () => {
    await Promise.all([usage(a, 'acme-corp'), usage(b, 'acme-corp'), call(b, 'GET', '/api/tenants')]);
    const patched = await call(a, 'PATCH', '/api/tenants/acme-corp', { monthlyQuota: 5000 });
    expect(patched.status).toBe(200);
    expect((await usage(a, 'acme-corp')).monthlyQuota).toBe(5000);
    expect((await usage(b, 'acme-corp')).monthlyQuota).toBe(5000);
    const listed = (await call(b, 'GET', '/api/tenants')).body.tenants.find((t: { tenant: string }) => t.tenant === 'acme-corp');
    expect(listed.monthlyQuota).toBe(5000);
  });

  test("a deleted tenant leaves the other replica's tenant cache within a moment", async () => {
    const event = { tenant: 'doomed', feature: 'f', tokens: 1 };
    expect((await call(b, 'POST', '/api/events', event)).status).toBe(201);
    expect((await call(a, 'DELETE', '/api/tenants/doomed?confirm=doomed')).status).toBe(200);
    const refused = await call(a, 'POST', '/api/events', event);
    expect(refused.status).toBe(400);
    // b holds doomed in a tenant cache trusted for 60 s: only the published invalidation clears it
    await until('b refusing the deleted tenant', () => call(b, 'POST', '/api/events', event).then((r) => r.status), (s) => s === 400, 1000);
    expect((await call(b, 'GET', '/api/usage/doomed')).status).toBe(404);
  });

  test('a revoked key stops working on the other replica within a moment', async () => {
    const reader = await call(a, 'POST', '/api/keys', { name: 'reader', scopes: ['read'] });
    expect((await call(b, 'GET', '/api/tenants', undefined, reader.body.key)).status).toBe(200);
    expect((await call(a, 'DELETE', `/api/keys/${reader.body.id}`)).status).toBe(200);
    await until('b refusing the revoked key', () => call(b, 'GET', '/api/tenants', undefined, reader.body.key).then((r) => r.status), (s) => s === 401, 1000);
  });
});

describe('where a cached read comes from', () => {
  test('with Valkey: memory for localMs, then Valkey; USAGE_CACHE_LOCAL_MS=0 asks Valkey every time', async () => {
    const valkey = connectValkey({ url: SHARED_VALKEY_URL, prefix: PREFIX, commandTimeoutMs: 500, log: silentLog });
    try {
      await until('connected', async () => valkey.status, (s) => s === 'ready');
      const layered = new UsageCache({ pool: db.pool, ttlMs: 60_000, localMs: 200, valkey, log: silentLog });
      await layered.usage('globex-inc');
      await layered.usage('globex-inc');
      expect(layered.stats()).toMatchObject({ loads: 1, memoryHits: 1, valkeyHits: 0 });
      await sleep(250);
      await layered.usage('globex-inc');
      await layered.usage('globex-inc');
      expect(layered.stats()).toMatchObject({ loads: 1, memoryHits: 2, valkeyHits: 1 });

      const direct = new UsageCache({ pool: db.pool, ttlMs: 60_000, localMs: 0, valkey, log: silentLog });
      for (let i = 0; i < 3; i++) await direct.usage('globex-inc');
      expect(direct.stats()).toMatchObject({ loads: 0, memoryHits: 0, valkeyHits: 3 });
    } finally {
      valkey.disconnect();
    }
  });

  test('without Valkey: memory', async () => {
    const cache = new UsageCache({ pool: db.pool, ttlMs: 60_000, localMs: 200, log: silentLog });
    for (let i = 0; i < 3; i++) await cache.usage('acme-corp');
    expect(cache.stats()).toMatchObject({ loads: 1, memoryHits: 2, valkeyHits: 0 });
  });
});

describe('without Valkey', () => {
  test('reads are cached in the process and an admin change drops them at once', async () => {
    const app = await start({});
    const first = await usage(app, 'globex-inc');
    await addTokens(db.pool, 'globex-inc', 9);
    expect(await usage(app, 'globex-inc')).toEqual(first);
    expect((await call(app, 'PATCH', '/api/tenants/globex-inc', { name: 'Globex' })).status).toBe(200);
    expect(await usage(app, 'globex-inc')).toMatchObject({ tenantName: 'Globex', totalTokens: first.totalTokens + 9 });
  });

  test('USAGE_CACHE_TTL_MS=0 reads PostgreSQL every time', async () => {
    const app = await start({ USAGE_CACHE_TTL_MS: '0' });
    const first = await usage(app, 'globex-inc');
    await addTokens(db.pool, 'globex-inc', 2);
    expect((await usage(app, 'globex-inc')).totalTokens).toBe(first.totalTokens + 2);
  });

  test('concurrent misses for one tenant share one query', async () => {
    let queries = 0;
    const counted = new Proxy(db.pool, {
      get: (pool, prop) => (prop === 'query' ? (...args: unknown[]) => { queries++; return (pool.query as (...a: unknown[]) => unknown)(...args); } : Reflect.get(pool, prop)),
    });
    const cache = new UsageCache({ pool: counted, ttlMs: 60_000, log: silentLog });
    const bodies = await Promise.all(Array.from({ length: 50 }, () => cache.usage('acme-corp')));
    expect(new Set(bodies).size).toBe(1);
    expect(queries).toBe(1);
    await cache.usage('acme-corp');
    expect(queries).toBe(1);
  });
});

describe('Valkey stopped and restarted', () => {
  let redis: PrivateValkey;
  afterAll(async () => {
    await redis?.stop();
  });

  test('reads keep working through PostgreSQL, and use the cache again when Valkey is back', async () => {
    redis = await startPrivateValkey();
    const app = await start({ VALKEY_URL: redis.url, VALKEY_PREFIX: PREFIX, VALKEY_COMMAND_TIMEOUT_MS: '200' });
    const own = new Redis(redis.url, { maxRetriesPerRequest: 0, retryStrategy: () => 200 });
    own.on('error', () => undefined);
    try {
      const first = await usage(app, 'globex-inc');
      expect(await own.exists(`${PREFIX}cache:usage:globex-inc`)).toBe(1);

      await redis.stop();
      await addTokens(db.pool, 'globex-inc', 11);
      // what this process read just before the outage it may keep for its 250 ms in-process layer
      await sleep(300);
      // straight from PostgreSQL: the new tokens show at once, every answer a quick 200
      for (let i = 0; i < 20; i++) {
        const t0 = Date.now();
        const r = await call(app, 'GET', '/api/usage/globex-inc');
        expect(r.status).toBe(200);
        expect(r.body.totalTokens).toBe(first.totalTokens + 11);
        expect(Date.now() - t0).toBeLessThan(1000);
        expect((await call(app, 'GET', '/api/tenants')).status).toBe(200);
      }
      expect((await call(app, 'PATCH', '/api/tenants/globex-inc', { name: 'Globex again' })).status).toBe(200);
      expect((await usage(app, 'globex-inc')).tenantName).toBe('Globex again');

      await redis.start();
      // the app reconnects by itself (at most every 2 s) and stores entries again
      await until('the entry stored in the restarted Valkey', async () => {
        await usage(app, 'globex-inc');
        return own.exists(`${PREFIX}cache:usage:globex-inc`).catch(() => 0);
      }, (n) => n === 1, 6000);
      const cached = await usage(app, 'globex-inc');
      await addTokens(db.pool, 'globex-inc', 13);
      expect(await usage(app, 'globex-inc')).toEqual(cached);
    } finally {
      own.disconnect();
    }
  });

  test('a Valkey failure counts, and the read falls back without an error', async () => {
    // (the client reconnects forever: it is disconnected whatever fails, or jest would never exit)
    const valkey = connectValkey({ url: redis.url, prefix: PREFIX, commandTimeoutMs: 200, log: silentLog });
    try {
      await until('connected', async () => valkey.status, (s) => s === 'ready');
      const cache = new UsageCache({ pool: db.pool, ttlMs: 60_000, valkey, log: silentLog });
      await cache.usage('acme-corp');
      expect(cache.stats()).toMatchObject({ loads: 1, fallbacks: 0 });
      await redis.stop();
      await until('client noticing', async () => valkey.status, (s) => s !== 'ready');
      await sleep(300); // past the in-process layer in front of Valkey
      expect(JSON.parse((await cache.usage('acme-corp'))!).tenant).toBe('acme-corp');
      expect(cache.stats()).toMatchObject({ loads: 2, fallbacks: 1 });
    } finally {
      valkey.disconnect();
    }
  });
});
