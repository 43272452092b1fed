// Start-up that fails says what to do and leaves nothing running: a taken PORT or EMBEDDED_PG_PORT
// is named with its variable (and PostgreSQL's log; PORT is checked before anything is created),
// the embedded PostgreSQL is stopped on every failed start, and one left behind by a kill -9 is
// found, stopped and reported at the next start.
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, expect, test } from '@jest/globals';
import { loadConfig } from '../../server/config.ts';
import { startFlagMeter } from '../../server/runtime.ts';
import { freePort, waitUntil } from '../helpers/net.ts';
import { silentLog } from '../helpers/db.ts';

const dataDir = await mkdtemp(path.join(os.tmpdir(), 'flagmeter-startup-'));
afterAll(() => rm(dataDir, { recursive: true, force: true }));

const listening = (port: number) => new Promise<boolean>((resolve) => {
  const socket = net.connect(port, '127.0.0.1');
  socket.once('connect', () => { socket.destroy(); resolve(true); });
  socket.once('error', () => resolve(false));
});
/** Something else holding a port, as another program would. */
const occupy = (port: number) => new Promise<net.Server>((resolve) => { const s = net.createServer().listen(port, '127.0.0.1', () => resolve(s)); });
const config = (env: Record<string, string>) => loadConfig({
  FLAGMETER_DATA_DIR: dataDir, HOST: '127.0.0.1', LOG_LEVEL: 'silent', FLAGMETER_DEMO: 'false', FLAGMETER_AUTH: 'false', ...env,
});

test('a taken PORT is named with its variable before the data folder is touched (no PostgreSQL started, nothing created)', async () => {
  const [port, pgPort] = [await freePort(), await freePort()];
  const other = await occupy(port);
  try {
    await expect(startFlagMeter(config({ PORT: String(port), EMBEDDED_PG_PORT: String(pgPort) }), 'all', silentLog))
      .rejects.toThrow(`PORT=${port} is taken`);
    expect(await listening(pgPort)).toBe(false);
    expect(await readdir(dataDir)).toEqual([]);
  } finally {
    other.close();
  }
}, 60_000);

test('a taken EMBEDDED_PG_PORT is named with its variable and the log file', async () => {
  const [port, pgPort] = [await freePort(), await freePort()];
  const other = await occupy(pgPort);
  try {
    const failed = startFlagMeter(config({ PORT: String(port), EMBEDDED_PG_PORT: String(pgPort) }), 'all', silentLog);
    await expect(failed).rejects.toThrow(/cannot listen on port \d+: .*set EMBEDDED_PG_PORT to a free port/);
    await expect(failed).rejects.toThrow(path.join(dataDir, 'postgres.log'));
    expect(await listening(port)).toBe(false);
  } finally {
    other.close();
  }
}, 60_000);

test('after a kill -9, the next start finds the PostgreSQL left running, stops it and says so', async () => {
  const [port, pgPort] = [await freePort(), await freePort()];
  const env: NodeJS.ProcessEnv = { ...process.env, FLAGMETER_DATA_DIR: dataDir, PORT: String(port), EMBEDDED_PG_PORT: String(pgPort), HOST: '127.0.0.1', LOG_LEVEL: 'info', FLAGMETER_DEMO: 'false', FLAGMETER_AUTH: 'false' };
  delete env.DATABASE_URL;
  const run = () => {
    const child = spawn(process.execPath, ['server/main.ts', 'all'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout!.on('data', (d) => { out += d; });
    child.stderr!.on('data', (d) => { out += d; });
    return { child, logs: () => out, exited: new Promise<number | null>((resolve) => child.once('exit', resolve)) };
  };
  const first = run();
  await waitUntil(async () => first.logs().includes('FlagMeter is listening'), 30_000);
  first.child.kill('SIGKILL');
  await first.exited;
  expect(await listening(pgPort)).toBe(true); // nothing can stop it from a process that was killed outright

  const second = run();
  try {
    await waitUntil(async () => second.logs().includes('FlagMeter is listening'), 30_000);
    expect(second.logs()).toMatch(/An embedded PostgreSQL left running by an earlier run \(pid \d+/);
    expect((await fetch(`http://127.0.0.1:${port}/api/health`)).status).toBe(200);
  } finally {
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
  }
  expect(await listening(pgPort)).toBe(false);
}, 90_000);
