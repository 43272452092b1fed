// The API process killed with SIGKILL mid-load, then restarted: every event that got a 2xx is
// counted exactly once. This is what proves a 2xx is only sent after a durable write (a PostgreSQL
// commit, or Valkey holding the batch for the drainer).
import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { addTenants, createTestDb, type TestDb } from '../helpers/db.ts';
import { ACKED, runLoad } from '../helpers/load.ts';
import { SHARED_VALKEY_URL, cleanPrefix, uniquePrefix } from '../helpers/valkey.ts';
import { freePort } from '../helpers/net.ts';

let db: TestDb;
const prefix = uniquePrefix('sigkill');
beforeAll(async () => {
  db = await createTestDb();
  await addTenants(db.pool, [{ slug: 'acme-corp', quota: 1e12 }]);
});
afterAll(async () => {
  await db.drop();
  await cleanPrefix(prefix);
});

async function startServer(port: number): Promise<ChildProcess> {
  const env: NodeJS.ProcessEnv = {
    ...process.env, DATABASE_URL: db.url, PORT: String(port), HOST: '127.0.0.1', FLAGMETER_AUTH: 'false', FLAGMETER_DEMO: 'false',
    VALKEY_URL: SHARED_VALKEY_URL, VALKEY_PREFIX: prefix, LOG_LEVEL: 'warn', ALERT_CHECK_INTERVAL_MS: '0',
    // a low high-water mark sends part of the load through Valkey, so both durable paths are killed mid-way
    BUFFER_HIGH_WATER_EVENTS: '3', METRICS_PORT: '0',
  };
  const child = spawn(process.execPath, ['server/main.ts', 'all'], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (d) => { err += d; });
  const deadline = Date.now() + 30_000;
  for (;;) {
    const up = await fetch(`http://127.0.0.1:${port}/api/health`).then((r) => r.ok, () => false);
    if (up) return child;
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`server did not start:\n${err}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

test('SIGKILL mid-load and a restart: every acknowledged event is counted exactly once', async () => {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  let server = await startServer(port);
  const load = runLoad({ url: () => base, tenant: 'acme-corp', loops: 8, durationMs: 4000 });
  await new Promise((r) => setTimeout(r, 1500));
  const killed = new Promise((r) => server.once('exit', r));
  server.kill('SIGKILL');
  await killed;
  server = await startServer(port);
  try {
    const sent = await load;
    expect(sent.filter((s) => s.status === 'hung')).toEqual([]);
    expect(sent.filter((s) => typeof s.status === 'number' && !ACKED.has(s.status) && s.status !== 503)).toEqual([]);
    const acked = sent.filter((s) => ACKED.has(s.status as number));
    expect(acked.filter((s) => s.status === 202).length).toBeGreaterThan(0);
    expect(acked.filter((s) => s.status === 201).length).toBeGreaterThan(0);

    // the restarted process drains what the killed one left in Valkey (claiming its pending entries)
    const deadline = Date.now() + 40_000;
    for (;;) {
      const health = await (await fetch(`${base}/api/health`)).json();
      if (health.buffer.inValkey === 0) break;
      if (Date.now() > deadline) throw new Error(`buffer not drained: ${JSON.stringify(health)}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    const { rows } = await db.pool.query<{ k: string; n: number }>(
      `select idempotency_key k, count(*)::int n from flagmeter.events where idempotency_key = any($1::text[]) group by 1`, [sent.map((s) => s.id)]);
    const stored = new Map(rows.map((r) => [r.k, r.n]));
    expect(acked.filter((s) => stored.get(s.id) !== 1).map((s) => s.id)).toEqual([]);
    expect(rows.filter((r) => r.n > 1)).toEqual([]);
    const { rows: [sums] } = await db.pool.query(`select (select sum(tokens)::bigint from flagmeter.events) e, (select sum(tokens)::bigint from flagmeter.rollups) r`);
    expect(sums.r).toBe(sums.e);
  } finally {
    server.kill('SIGTERM');
    await new Promise((r) => server.once('exit', r));
  }
}, 90_000);
