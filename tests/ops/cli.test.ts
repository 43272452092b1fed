// `npm start` as a user runs it: the real CLI process, an embedded PostgreSQL 18 of its own in a
// fresh data folder, demo tenants, and a clean exit on SIGTERM. Then a restart reuses the folder.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import net from 'node:net';
import pg from 'pg';
import os from 'node:os';
import path from 'node:path';
import { afterAll, expect, test } from '@jest/globals';
import { post } from '../helpers/app.ts';
import { freePort, waitUntil } from '../helpers/net.ts';

const dataDir = await mkdtemp(path.join(os.tmpdir(), 'flagmeter-cli-'));
afterAll(() => rm(dataDir, { recursive: true, force: true }));

async function start(port: number, pgPort: number): Promise<{ child: ChildProcess; logs: () => string }> {
  const env: NodeJS.ProcessEnv = { ...process.env, FLAGMETER_DATA_DIR: dataDir, PORT: String(port), EMBEDDED_PG_PORT: String(pgPort), LOG_LEVEL: 'info', HOST: '127.0.0.1' };
  delete env.DATABASE_URL;
  const child = spawn(process.execPath, ['server/main.ts', 'all'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d) => { out += d; });
  child.stderr!.on('data', (d) => { out += d; });
  const deadline = Date.now() + 30_000;
  while (!out.includes('FlagMeter is listening')) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`did not start:\n${out}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return { child, logs: () => out };
}

/** The keys the demo printed once and saved in the data folder, by name. */
const demoKeys = async (): Promise<Record<string, string>> =>
  Object.fromEntries((await readFile(path.join(dataDir, 'demo-keys.txt'), 'utf8')).trim().split('\n').map((l) => l.split('\t')));

const exited = (child: ChildProcess) => new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

test('starts with an embedded PostgreSQL and demo data, serves, stops on SIGTERM, restarts on the same data', async () => {
  const [port, pgPort] = [await freePort(), await freePort()];
  const base = `http://127.0.0.1:${port}`;
  const first = await start(port, pgPort);
  // auth is on: the demo's keys were printed once and saved in the data folder
  const saved = await demoKeys();
  const readKey = saved['demo dashboard (read)']!;
  const ingestKey = saved['demo ingest (all tenants)']!;
  expect(first.logs()).toContain(readKey);
  const get = async (base: string, p: string) => {
    const res = await fetch(`${base}${p}`, { headers: { authorization: `Bearer ${readKey}` } });
    return { status: res.status, body: await res.json() };
  };
  expect((await fetch(`${base}/api/tenants`)).status).toBe(401);
  const tenants = await get(base, '/api/tenants');
  expect(tenants.body.tenants.map((t: { tenant: string }) => t.tenant)).toEqual(['acme-corp', 'globex-inc', 'initech-llc']);
  expect(tenants.body.tenants.every((t: { monthlyQuota: number; totalTokens: number }) => t.monthlyQuota === 1_000_000 && t.totalTokens > 0)).toBe(true);
  const before = (await get(base, '/api/usage/initech-llc')).body.totalTokens;
  expect((await post(base, { tenant: 'initech-llc', feature: 'cli', tokens: 7 }, { authorization: `Bearer ${ingestKey}` })).status).toBe(201);
  // logs are JSON lines when not on a terminal (the key banner goes to stderr, apart)
  expect(() => JSON.parse(first.logs().split('\n')[0]!)).not.toThrow();
  expect(first.logs().match(/^\{.*fm_live_.*\}$/m)).toBeNull(); // no secret in a log line

  const code = exited(first.child);
  first.child.kill('SIGTERM');
  expect(await code).toBe(0);
  expect(first.logs()).toContain('"msg":"stopped"');

  const second = await start(port, pgPort);
  try {
    // same data folder: the demo is not seeded twice and the event is still counted
    expect((await get(base, '/api/usage/initech-llc')).body.totalTokens).toBe(before + 7);
    expect(second.logs()).not.toContain('seeded demo');
    expect(second.logs()).not.toContain('fm_live_'); // keys are printed once, at creation
  } finally {
    const code2 = exited(second.child);
    second.child.kill('SIGINT');
    expect(await code2).toBe(0);
  }
}, 60_000);

/** Whether something accepts TCP connections on this port. */
const listening = (port: number) => new Promise<boolean>((resolve) => {
  const socket = net.connect(port, '127.0.0.1');
  socket.once('connect', () => { socket.destroy(); resolve(true); });
  socket.once('error', () => resolve(false));
});

test('a second signal exits at once, during a shutdown stuck on the database, and takes the embedded PostgreSQL with it', async () => {
  const [port, pgPort] = [await freePort(), await freePort()];
  const first = await start(port, pgPort);
  const keys = await demoKeys();
  const [ingestKey, readKey] = [keys['demo ingest (all tenants)']!, keys['demo dashboard (read)']!];
  // a batch that cannot commit: the graceful stop waits for it (up to SHUTDOWN_TIMEOUT_MS, 10 s)
  const password = (await readFile(path.join(dataDir, 'pg-password'), 'utf8')).trim();
  const dbUrl = `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${pgPort}/flagmeter`;
  const locker = new pg.Client(dbUrl);
  locker.on('error', () => undefined); // the immediate stop ends this session too
  await locker.connect();
  await locker.query('begin');
  await locker.query('lock table flagmeter.rollups in exclusive mode');
  const stuck = post(`http://127.0.0.1:${port}`, { tenant: 'initech-llc', feature: 'stuck', tokens: 1 }, { authorization: `Bearer ${ingestKey}` }).catch((err: Error) => err);
  // the batch's insert is waiting for the lock (seen from a session of its own: a transaction keeps its first view of pg_stat_activity)
  const watcher = new pg.Client(dbUrl);
  await watcher.connect();
  await waitUntil(async () => (await watcher.query(`select count(*)::int n from pg_stat_activity where wait_event_type = 'Lock' and datname = 'flagmeter'`)).rows[0].n === 1, 10_000);
  await watcher.end();

  const code = exited(first.child);
  first.child.kill('SIGTERM');
  await waitUntil(async () => first.logs().includes('"msg":"signal received"'), 5000);
  first.child.kill('SIGTERM');
  expect(await code).toBe(1);
  expect(first.logs()).toContain('second signal: exiting now');
  expect(await listening(pgPort)).toBe(false);
  expect(((await stuck) as Error).message).toBe('fetch failed'); // never acknowledged: the connection closed without an answer
  await locker.end().catch(() => undefined);

  // the next start recovers the stopped server, and the unacknowledged event was not stored
  const second = await start(port, pgPort);
  try {
    const res = await fetch(`http://127.0.0.1:${port}/api/usage/initech-llc`, { headers: { authorization: `Bearer ${readKey}` } });
    expect(res.status).toBe(200);
    expect((await res.json()).features.some((f: { feature: string }) => f.feature === 'stuck')).toBe(false);
  } finally {
    const code2 = exited(second.child);
    second.child.kill('SIGTERM');
    expect(await code2).toBe(0);
  }
}, 60_000);
