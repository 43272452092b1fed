// CSV exports whose clients stop reading (#20): they hold a reporting connection, never one of the
// connections ingest, checks and health need; they are cut after EXPORT_IDLE_TIMEOUT_MS and their
// connections come back; and a key or a tenant may run only so many at once (429 beyond).
// A stalled client is a raw socket that sends its request and then stops reading: each export is
// ~12 MB, far more than the socket buffers on both sides take, so the server's writes really wait.
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { startTestApp } from '../helpers/app.ts';
import { addTenants, createTestDb, foldUserRollupsCaughtUp, type TestDb } from '../helpers/db.ts';
import { waitUntil } from '../helpers/net.ts';
import type { FlagMeter } from '../../server/runtime.ts';

const DAY = 86_400_000;
const ADMIN = 'fm_live_exportlimit1_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';
const DAYS = 40;
const USERS_PER_DAY = 1200;
// long end-user names make the file large without many rows: ~260 bytes a record
const USER_NAME = (n: string) => `user-${n}-${'x'.repeat(230)}`;

const from = new Date(Date.now() - (DAYS + 2) * DAY).toISOString().slice(0, 10);
const to = new Date(Date.now() + DAY).toISOString().slice(0, 10);
const EXPORT = `/api/usage/big/query?window=day&groupBy=user&format=csv&from=${from}&to=${to}`;

let db: TestDb;

beforeAll(async () => {
  db = await createTestDb();
  const ids = await addTenants(db.pool, [{ slug: 'big' }, { slug: 'other' }]);
  // DAYS × USERS_PER_DAY user·day rows through the real insert path, folded as the minute job does
  await db.pool.query(`
    insert into flagmeter.events (id, tenant_id, feature, tokens, occurred_at, end_user)
    select gen_random_uuid(), $1::bigint, 'f', 1, now() - interval '2 days' - (i % $2::int) * interval '1 day', 'user-' || (i / $2::int) || '-' || repeat('x', 230)
    from generate_series(0, $2::int * $3::int - 1) i`, [ids.big, DAYS, USERS_PER_DAY]);
  await foldUserRollupsCaughtUp(db.pool);
}, 60_000);
afterAll(async () => {
  await db?.drop();
});

const admin = { authorization: `Bearer ${ADMIN}` };

async function makeKey(app: FlagMeter, scopes: string[], tenant: string): Promise<string> {
  const res = await fetch(`${app.url}/api/keys`, { method: 'POST', headers: { ...admin, 'content-type': 'application/json' }, body: JSON.stringify({ name: `k-${scopes}-${tenant}-${Math.random()}`, scopes, tenant }) });
  expect(res.status).toBe(201);
  return ((await res.json()) as { key: string }).key;
}

interface Stalled {
  socket: net.Socket;
  /** The first bytes the server sent (its status line), once it sent any. */
  head: Promise<string>;
  /** Everything received, once the connection has closed. */
  closed: Promise<string>;
}

/** Sends GET path and stops reading as soon as the first bytes arrive. */
function stalledGet(app: FlagMeter, path: string, key: string): Stalled {
  const { port } = new URL(app.url);
  const socket = net.connect(Number(port), '127.0.0.1');
  socket.on('error', () => undefined);
  socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${key}\r\nAccept: text/csv\r\nConnection: close\r\n\r\n`);
  const parts: Buffer[] = [];
  const head = new Promise<string>((resolve) => {
    socket.once('data', (chunk: Buffer) => { socket.pause(); resolve(chunk.toString('latin1', 0, 200)); });
  });
  socket.on('data', (chunk: Buffer) => parts.push(chunk));
  const closed = new Promise<string>((resolve) => socket.once('close', () => resolve(Buffer.concat(parts).toString('latin1'))));
  return { socket, head, closed };
}

/** The stalled export's answer as the client finally sees it, when it reads again. */
function readRest(s: Stalled): Promise<string> {
  s.socket.resume();
  return s.closed;
}

async function health(app: FlagMeter) {
  const res = await fetch(`${app.url}/api/health`);
  return { status: res.status, body: await res.json() as { pools: Record<'main' | 'reporting', { max: number; total: number; idle: number; waiting: number }> } };
}

/** Connections of this database that are busy (a query running, or a transaction left open). */
async function busyConnections(): Promise<number> {
  const { rows: [r] } = await db.pool.query(`
    select count(*)::int as n from pg_stat_activity
    where datname = current_database() and pid <> pg_backend_pid() and application_name like 'flagmeter%' and state <> 'idle'`);
  return r.n;
}

describe('twenty stalled exports', () => {
  let app: FlagMeter;
  beforeAll(async () => {
    app = await startTestApp(db.url, {
      FLAGMETER_AUTH: 'true', FLAGMETER_ADMIN_KEY: ADMIN,
      PG_POOL_MAX: '4', REPORTING_POOL_MAX: '2', EXPORT_IDLE_TIMEOUT_MS: '1500',
      // the caps are tested below: here one key opens them all
      EXPORTS_PER_KEY: '100', EXPORTS_PER_TENANT: '100',
    });
  }, 30_000);
  afterAll(async () => {
    await app?.stop();
  });

  test('leave ingest, checks and health their connections, and are cut after the idle timeout with their connections released', async () => {
    const reader = await makeKey(app, ['read'], 'big');
    const ingest = await makeKey(app, ['ingest'], 'other');
    const stalled = Array.from({ length: 20 }, () => stalledGet(app, EXPORT, reader));
    // every reporting connection is taken by a stalled export, and more exports wait for one
    await waitUntil(async () => {
      const { reporting } = (await health(app)).body.pools;
      return reporting.total === reporting.max && reporting.idle === 0 && reporting.waiting > 0;
    }, 20_000);
    expect(await Promise.race(stalled.map((s) => s.head))).toMatch(/^HTTP\/1\.1 200/);

    // meanwhile another tenant's events, checks and health are answered as usual
    for (let i = 0; i < 5; i++) {
      const ev = await fetch(`${app.url}/api/events`, {
        method: 'POST', headers: { authorization: `Bearer ${ingest}`, 'content-type': 'application/json' },
        body: JSON.stringify({ tenant: 'other', feature: 'gpt-4o', tokens: 10 + i }),
      });
      expect(ev.status).toBe(201);
    }
    const check = await fetch(`${app.url}/api/check`, {
      method: 'POST', headers: { authorization: `Bearer ${ingest}`, 'content-type': 'application/json' },
      body: JSON.stringify({ tenant: 'other', feature: 'gpt-4o', tokens: 10 }),
    });
    expect(check.status).toBe(200);
    const h = await health(app);
    expect(h.status).toBe(200);
    const { rows: [sum] } = await db.pool.query(`select coalesce(sum(tokens), 0)::int as tokens from flagmeter.events e join flagmeter.tenants t on t.id = e.tenant_id where t.slug = 'other'`);
    expect(sum.tokens).toBe(10 + 11 + 12 + 13 + 14);

    // the stalled exports are cut (or, for those that never got a connection, refused as busy):
    // nothing is left running, every connection of both pools is idle again
    await waitUntil(async () => {
      const { main, reporting } = (await health(app)).body.pools;
      return reporting.waiting === 0 && reporting.idle === reporting.total && main.idle === main.total && await busyConnections() === 0;
    }, 60_000);
    expect(app.reportingPool.idleCount).toBe(app.reportingPool.totalCount);
    // what the clients get once they read again: a 200 cut short (no last chunk), or a 503 that says why
    const answers = await Promise.all(stalled.map(readRest));
    const seen = answers.map((text) => {
      if (text.startsWith('HTTP/1.1 200')) return text.endsWith('\r\n0\r\n\r\n') ? 'complete' : 'cut';
      if (text.startsWith('HTTP/1.1 503')) return /"code":"reporting_busy"/.test(text) ? 'busy' : text.slice(0, 300);
      return text.slice(0, 300);
    });
    expect(seen.filter((s) => s !== 'cut' && s !== 'busy')).toEqual([]);
    expect(seen.filter((s) => s === 'cut').length).toBeGreaterThanOrEqual(2);
    // and exports work again
    const small = await fetch(`${app.url}/api/usage/big/query?window=month&format=csv`, { headers: { authorization: `Bearer ${reader}` } });
    expect(small.status).toBe(200);
    expect(await small.text()).toMatch(/^windowStart,windowEnd,tokens,events,inputTokens,outputTokens,cachedTokens,cost\r\n/);
  }, 120_000);
});

describe('export caps', () => {
  let app: FlagMeter;
  beforeAll(async () => {
    app = await startTestApp(db.url, {
      FLAGMETER_AUTH: 'true', FLAGMETER_ADMIN_KEY: ADMIN,
      REPORTING_POOL_MAX: '5', EXPORTS_PER_KEY: '2', EXPORTS_PER_TENANT: '3', EXPORT_IDLE_TIMEOUT_MS: '60000',
    });
  }, 30_000);
  afterAll(async () => {
    await app?.stop();
  });

  const csv = (key: string, path = EXPORT) => fetch(`${app.url}${path}`, { headers: { authorization: `Bearer ${key}`, accept: 'text/csv' } });

  test('a key runs at most EXPORTS_PER_KEY exports at once, a tenant EXPORTS_PER_TENANT; beyond, a 429 that says which', async () => {
    const a = await makeKey(app, ['read'], 'big');
    const b = await makeKey(app, ['read'], 'big');
    const elsewhere = await makeKey(app, ['read'], 'other');
    const held: Stalled[] = [stalledGet(app, EXPORT, a), stalledGet(app, EXPORT, a)];
    for (const s of held) expect(await s.head).toMatch(/^HTTP\/1\.1 200/);

    // a third of the same key's, CSV of any route: refused with the error body and Retry-After
    for (const path of [EXPORT, '/api/tenants/big/periods?format=csv']) {
      const third = await csv(a, path);
      expect({ path, status: third.status }).toEqual({ path, status: 429 });
      expect(Number(third.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(await third.json()).toEqual({ error: { code: 'too_many_exports', message: expect.stringMatching(/This key already runs 2 CSV exports .*EXPORTS_PER_KEY/) } });
    }
    // JSON answers are not exports; another tenant's exports are not this tenant's
    expect((await fetch(`${app.url}/api/usage/big/query?window=month`, { headers: { authorization: `Bearer ${a}` } })).status).toBe(200);
    expect((await csv(elsewhere, '/api/usage/other/query?window=month&format=csv')).status).toBe(200);

    // another key of the tenant takes the tenant's third; a fourth is refused for the tenant
    held.push(stalledGet(app, EXPORT, b));
    expect(await held[2]!.head).toMatch(/^HTTP\/1\.1 200/);
    const fourth = await csv(b);
    expect(fourth.status).toBe(429);
    expect(((await fourth.json()) as { error: { code: string; message: string } }).error).toEqual({ code: 'too_many_exports', message: expect.stringMatching(/Tenant 'big' already has 3 CSV exports running .*EXPORTS_PER_TENANT/) });

    // clients that go away give their slots back
    for (const s of held) s.socket.destroy();
    await waitUntil(async () => app.reportingPool.idleCount === app.reportingPool.totalCount && await busyConnections() === 0, 20_000);
    const again = await csv(a, '/api/usage/big/query?window=month&format=csv');
    expect(again.status).toBe(200);
    await again.text();
    const metrics = await (await fetch(`${app.url}/metrics`)).text();
    expect(metrics).toMatch(/flagmeter_exports_refused_total\{limit="key"\} 2/);
    expect(metrics).toMatch(/flagmeter_exports_refused_total\{limit="tenant"\} 1/);
  }, 60_000);
});
