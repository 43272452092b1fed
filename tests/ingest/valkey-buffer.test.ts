// The Valkey backpressure buffer: PostgreSQL stopped mid-load, the buffer full, Valkey stopped.
// Every event that got a 2xx must be counted exactly once after recovery; nothing may hang or 500.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { startTestApp, post } from '../helpers/app.ts';
import { addTenants, silentLog } from '../helpers/db.ts';
import { ACKED, runLoad, type Sent } from '../helpers/load.ts';
import { startOwnPostgres, type OwnPostgres } from '../helpers/own-postgres.ts';
import { SHARED_VALKEY_URL, cleanPrefix, startPrivateValkey, uniquePrefix } from '../helpers/valkey.ts';
import { waitUntil } from '../helpers/net.ts';
import { makePool, type Pool } from '../../server/db/pool.ts';
import type { FlagMeter } from '../../server/runtime.ts';

let pg: OwnPostgres;
let pool: Pool;
const prefixes: string[] = [];

beforeAll(async () => {
  pg = await startOwnPostgres();
  pool = makePool(pg.url, 4, silentLog);
  await addTenants(pool, [{ slug: 'acme-corp', quota: 1e12 }]);
});
afterAll(async () => {
  await pool.end();
  await pg.close();
  for (const p of prefixes) await cleanPrefix(p);
});

function appEnv(extra: Record<string, string> = {}) {
  const prefix = uniquePrefix('buffer');
  prefixes.push(prefix);
  return { VALKEY_URL: SHARED_VALKEY_URL, VALKEY_PREFIX: prefix, ALERT_CHECK_INTERVAL_MS: '0', ...extra };
}

const drained = (app: FlagMeter) => async () => {
  const res = await fetch(`${app.url}/api/health`);
  const body = await res.json();
  return res.status === 200 && body.buffer.inValkey === 0;
};

/** Every acknowledged id is stored exactly once; an unacknowledged one at most once; rollups = events. */
async function assertExactlyOnce(sent: Sent[]): Promise<void> {
  const { rows } = await pool.query<{ idempotency_key: string; n: number }>(
    `select idempotency_key, count(*)::int n from flagmeter.events where idempotency_key = any($1::text[]) group by 1`, [sent.map((s) => s.id)]);
  const stored = new Map(rows.map((r) => [r.idempotency_key, r.n]));
  const acked = sent.filter((s) => ACKED.has(s.status as number));
  expect(acked.filter((s) => stored.get(s.id) !== 1).map((s) => s.id)).toEqual([]);
  expect([...stored.values()].filter((n) => n > 1)).toEqual([]);
  const { rows: [sums] } = await pool.query(`select (select sum(tokens)::bigint from flagmeter.events) e, (select sum(tokens)::bigint from flagmeter.rollups) r`);
  expect(sums.r).toBe(sums.e);
}

describe('PostgreSQL stopped mid-load', () => {
  test('requests get 2xx (committed or buffered) or 503 + Retry-After, never a hang or a 500; after recovery every 2xx is counted once', async () => {
    const app = await startTestApp(pg.url, appEnv(), 'all');
    try {
      const load = runLoad({ url: () => app.url, tenant: 'acme-corp', loops: 8, durationMs: 5000 });
      await new Promise((r) => setTimeout(r, 1000));
      await pg.server.pgCtl('stop', ['-m', 'fast']);
      await new Promise((r) => setTimeout(r, 2000));
      await pg.server.pgCtl('start');
      const sent = await load;

      const statuses = new Set(sent.map((s) => s.status));
      expect([...statuses].filter((s) => !ACKED.has(s as number) && s !== 503)).toEqual([]);
      expect(sent.filter((s) => s.status === 503 && !s.retryAfter)).toEqual([]);
      expect(sent.filter((s) => s.status === 202).length).toBeGreaterThan(0); // the buffer carried the outage
      expect(sent.filter((s) => s.status === 201).length).toBeGreaterThan(0);

      await waitUntil(drained(app), 30_000);
      await assertExactlyOnce(sent);
    } finally {
      await app.stop();
    }
  }, 60_000);

  test('a full Valkey buffer answers 503 with Retry-After; what it holds is counted later', async () => {
    const app = await startTestApp(pg.url, appEnv({ VALKEY_BUFFER_MAX_EVENTS: '5' }), 'all');
    let stopped = false;
    try {
      // a process that has seen its tenants can validate events while the database is away
      expect((await post(app.url, { tenant: 'acme-corp', feature: 'warm-up', tokens: 1 })).status).toBe(201);
      await pg.server.pgCtl('stop', ['-m', 'fast']);
      stopped = true;
      const answers = [];
      for (let i = 0; i < 8; i++) answers.push(await post(app.url, { tenant: 'acme-corp', feature: 'full', tokens: 3, id: `full-${i}` }));
      const statuses = answers.map((a) => a.status);
      expect(statuses.filter((s) => s === 202)).toHaveLength(5);
      expect(statuses.slice(5)).toEqual([503, 503, 503]);
      expect(answers[7]!.headers.get('retry-after')).toMatch(/^\d+$/);
      expect(answers[7]!.body.error.code).toBe('buffer_unavailable');
      const health = await (await fetch(`${app.url}/api/health`)).json();
      expect(health).toMatchObject({ status: 'degraded', services: { database: 'down', valkey: 'up' }, buffer: { inValkey: 5 } });

      await pg.server.pgCtl('start');
      stopped = false;
      await waitUntil(drained(app), 30_000);
      const { rows: [r] } = await pool.query(`select count(*)::int n, sum(tokens)::int t from flagmeter.events where feature = 'full'`);
      expect(r).toEqual({ n: 5, t: 15 });
    } finally {
      if (stopped) await pg.server.pgCtl('start');
      await app.stop();
    }
  }, 60_000);
});

describe('Valkey stopped', () => {
  test('ingestion and reads keep working through PostgreSQL; health says degraded', async () => {
    const valkey = await startPrivateValkey();
    const app = await startTestApp(pg.url, { ...appEnv(), VALKEY_URL: valkey.url }, 'all');
    try {
      await waitUntil(async () => (await (await fetch(`${app.url}/api/health`)).json()).services.valkey === 'up', 5000);
      expect((await post(app.url, { tenant: 'acme-corp', feature: 'vk', tokens: 1 })).status).toBe(201);
      await valkey.stop();
      const started = Date.now();
      for (let i = 0; i < 20; i++) expect((await post(app.url, { tenant: 'acme-corp', feature: 'vk', tokens: 1 })).status).toBe(201);
      expect((await fetch(`${app.url}/api/usage/acme-corp`)).status).toBe(200);
      expect(Date.now() - started).toBeLessThan(5000); // no request waits on the dead Valkey
      const health = await fetch(`${app.url}/api/health`);
      expect(health.status).toBe(200);
      expect(await health.json()).toMatchObject({ status: 'degraded', services: { database: 'up', valkey: 'down' } });
      const { rows: [r] } = await pool.query(`select count(*)::int n from flagmeter.events where feature = 'vk'`);
      expect(r.n).toBe(21);
    } finally {
      await app.stop();
      await valkey.stop();
    }
  }, 30_000);
});

describe('rate limits with Valkey', () => {
  test('two replicas draw from the same per-tenant bucket; with Valkey gone each falls back to its own', async () => {
    const valkey = await startPrivateValkey();
    const env = { ...appEnv(), VALKEY_URL: valkey.url };
    await pool.query(`insert into flagmeter.tenants (slug, name, rate_limit_per_second, rate_limit_burst) values ('shared-limit', 's', 1, 10)`);
    const [a, b] = [await startTestApp(pg.url, env), await startTestApp(pg.url, env)];
    try {
      await waitUntil(async () => (await (await fetch(`${a.url}/api/health`)).json()).services.valkey === 'up', 5000);
      await waitUntil(async () => (await (await fetch(`${b.url}/api/health`)).json()).services.valkey === 'up', 5000);
      const batch = (n: number) => Array.from({ length: n }, () => ({ tenant: 'shared-limit', feature: 'rl', tokens: 1 }));
      expect((await post(a.url, batch(6))).status).toBe(201);
      const second = await post(b.url, batch(6)); // 4 left in the shared bucket, not 10 in b's own
      expect(second.status).toBe(429);
      expect(second.headers.get('retry-after')).toBe('2');
      expect((await post(b.url, batch(4))).status).toBe(201);
      expect((await post(a.url, batch(1))).status).toBe(429);

      await valkey.stop();
      // each replica now limits on its own: a fresh local bucket of 10
      expect((await post(b.url, batch(10))).status).toBe(201);
      expect((await post(b.url, batch(1))).status).toBe(429);
    } finally {
      await a.stop();
      await b.stop();
      await valkey.stop();
    }
  }, 30_000);
});
