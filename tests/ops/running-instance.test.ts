// What a running `npm start` withstands (#20, availability). One FlagMeter (A) runs on its own
// embedded PostgreSQL; then: a second start on the same data folder (same or another PORT) refuses
// and touches nothing; a second start in another folder on A's PORT creates nothing; `flagmeter`
// without a role prints its usage; `flagmeter db-url` finds A's database from the folder alone; and
// A's PostgreSQL killed with kill -9 is started again, health says so, and events are stored again.
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { post } from '../helpers/app.ts';
import { cliEnv, runCli, type CliProcess } from '../helpers/cli-process.ts';
import { freePort, waitUntil } from '../helpers/net.ts';

const root = await mkdtemp(path.join(os.tmpdir(), 'flagmeter-running-'));
const dataDir = path.join(root, 'data');
const [port, pgPort] = [await freePort(), await freePort()];
const base = `http://127.0.0.1:${port}`;
const envA = { FLAGMETER_DATA_DIR: dataDir, PORT: String(port), EMBEDDED_PG_PORT: String(pgPort) };
let a: CliProcess;

beforeAll(async () => {
  a = runCli(['all'], cliEnv(envA));
  await a.waitFor('FlagMeter is listening');
  const created = await fetch(`${base}/api/tenants`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ slug: 'owner-test', name: 'Owner test' }) });
  expect(created.status).toBe(201);
}, 120_000);

afterAll(async () => {
  if (a.child.exitCode === null && a.child.signalCode === null) {
    a.child.kill('SIGTERM');
    await a.exited;
  }
  await rm(root, { recursive: true, force: true });
}, 30_000);

const event = () => post(base, { tenant: 'owner-test', feature: 'owner', tokens: 1 });
const health = async () => {
  const res = await fetch(`${base}/api/health`);
  return { status: res.status, body: await res.json() };
};
/** A CLI run that should end by itself: its exit code and output (killed, and failing the test, past the deadline). */
async function ends(proc: CliProcess, ms = 60_000): Promise<{ code: number | null; out: string }> {
  const timer = setTimeout(() => proc.child.kill('SIGKILL'), ms);
  const code = await proc.exited;
  clearTimeout(timer);
  return { code, out: proc.logs() };
}
/** A's PostgreSQL as its folder says (a second start that stopped or restarted it would change it). */
const postmasterPid = () => readFile(path.join(dataDir, 'pg', 'postmaster.pid'), 'utf8');

test('a second start on the same data folder refuses with who owns it, and the first keeps serving', async () => {
  const before = await postmasterPid();
  for (const secondPort of [port, await freePort()]) {
    const b = await ends(runCli(['all'], cliEnv({ ...envA, PORT: String(secondPort) })));
    expect(b.code).toBe(1);
    expect(b.out).toContain(`FlagMeter is already running on the data folder ${dataDir} (pid ${a.child.pid}`);
    expect(b.out).toContain('Nothing was changed');
  }
  expect(await postmasterPid()).toEqual(before);
  expect((await health()).status).toBe(200);
  expect((await event()).status).toBe(201);
}, 120_000);

test('a second start in another folder on a taken PORT says so before it creates anything', async () => {
  const otherDir = path.join(root, 'other');
  const b = await ends(runCli(['all'], cliEnv({ FLAGMETER_DATA_DIR: otherDir, PORT: String(port), EMBEDDED_PG_PORT: String(await freePort()) })));
  expect(b.code).toBe(1);
  expect(b.out).toContain(`PORT=${port} is taken`);
  expect(existsSync(otherDir)).toBe(false); // no folder, no initdb, no database, no demo
  expect((await event()).status).toBe(201);
}, 120_000);

test('flagmeter without a role prints its usage and starts nothing', async () => {
  const bare = await ends(runCli([], cliEnv(envA), 'bin/flagmeter.mjs'));
  expect(bare.code).toBe(2);
  expect(bare.out).toContain('usage: flagmeter [all|serve|worker|migrate|db-url]');
  expect(bare.out).toContain('no role given: nothing was started');
  const help = await ends(runCli(['help'], cliEnv(envA), 'bin/flagmeter.mjs'));
  expect(help.code).toBe(0);
  expect(help.out).toContain('usage: flagmeter');
  expect((await health()).status).toBe(200);
}, 120_000);

test('db-url finds the running instance\'s database from the data folder, with no port in the environment', async () => {
  const r = await ends(runCli(['db-url'], cliEnv({ FLAGMETER_DATA_DIR: dataDir })));
  expect(r.code).toBe(0);
  const url = r.out.trim();
  expect(url).toMatch(new RegExp(`^postgres://postgres:[^@]+@127\\.0\\.0\\.1:${pgPort}/flagmeter$`));
  const client = new pg.Client(url);
  await client.connect();
  try {
    expect((await client.query(`select count(*)::int n from flagmeter.tenants where slug = 'owner-test'`)).rows[0].n).toBe(1);
  } finally {
    await client.end();
  }
}, 90_000);

test('its PostgreSQL killed with kill -9 is started again; health reports the restart and events are stored again', async () => {
  const postmaster = Number((await readFile(path.join(dataDir, 'pg', 'postmaster.pid'), 'utf8')).split('\n')[0]);
  expect((await health()).body.embeddedPostgres).toEqual({ state: 'running', restarts: 0, lastRestartAt: null });
  process.kill(postmaster, 'SIGKILL');
  await waitUntil(async () => {
    const h = await health();
    // the log line is written as the state changes, but it crosses the child's stdout pipe on its own
    // time: health may answer first
    return h.status === 200 && h.body.embeddedPostgres.restarts === 1 && h.body.embeddedPostgres.state === 'running'
      && a.logs().includes('the embedded PostgreSQL is running again');
  }, 60_000);
  expect(a.logs()).toContain('the embedded PostgreSQL is not running');
  await waitUntil(async () => (await event()).status === 201, 30_000);
  const again = Number((await readFile(path.join(dataDir, 'pg', 'postmaster.pid'), 'utf8')).split('\n')[0]);
  expect(again).not.toBe(postmaster);
}, 120_000);
