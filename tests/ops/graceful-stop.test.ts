// SIGINT while requests are in flight (#20): each gets its complete answer (here 200, once the
// database lets it go), sent with `Connection: close`; none sees a reset connection. The requests
// are held in flight by a lock on flagmeter.tenants, released well after the signal.
import http from 'node:http';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, expect, test } from '@jest/globals';
import { cliEnv, listening, runCli } from '../helpers/cli-process.ts';
import { freePort, waitUntil } from '../helpers/net.ts';

const dataDir = await mkdtemp(path.join(os.tmpdir(), 'flagmeter-stop-'));
afterAll(() => rm(dataDir, { recursive: true, force: true }));

/** One GET over a kept-alive connection: the status, the Connection header and the body, or the socket error. */
const get = (agent: http.Agent, port: number, p: string) => new Promise<{ status: number; connection: string | undefined; body: string } | Error>((resolve) => {
  http.get({ host: '127.0.0.1', port, path: p, agent }, (res) => {
    let body = '';
    res.setEncoding('utf8');
    res.on('data', (d) => { body += d; });
    res.on('end', () => resolve({ status: res.statusCode!, connection: res.headers.connection, body }));
    res.on('error', resolve);
  }).on('error', resolve);
});

test('SIGINT lets the requests in flight finish: complete answers with Connection: close, no reset', async () => {
  const [port, pgPort] = [await freePort(), await freePort()];
  const app = runCli(['all'], cliEnv({ FLAGMETER_DATA_DIR: dataDir, PORT: String(port), EMBEDDED_PG_PORT: String(pgPort), USAGE_CACHE_TTL_MS: '0' }));
  await app.waitFor('FlagMeter is listening');
  const agent = new http.Agent({ keepAlive: true, maxSockets: 10 });
  const created = await fetch(`http://127.0.0.1:${port}/api/tenants`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ slug: 'stopping', name: 'Stopping' }) });
  expect(created.status).toBe(201);
  expect(await get(agent, port, '/api/usage/stopping')).toMatchObject({ status: 200 }); // a kept-alive connection, idle at the signal

  const password = (await readFile(path.join(dataDir, 'pg-password'), 'utf8')).trim();
  const locker = new pg.Client(`postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${pgPort}/flagmeter`);
  await locker.connect();
  try {
    await locker.query('begin');
    await locker.query('lock table flagmeter.tenants in access exclusive mode');
    const inFlight = Array.from({ length: 4 }, () => get(agent, port, '/api/usage/stopping'));
    const watcher = new pg.Client(`postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${pgPort}/flagmeter`);
    await watcher.connect();
    await waitUntil(async () => (await watcher.query(`select count(*)::int n from pg_stat_activity where wait_event_type = 'Lock' and query like '%period_usage%'`)).rows[0].n === 4, 30_000);
    await watcher.end();

    app.child.kill('SIGINT');
    await app.waitFor('"msg":"signal received"', 10_000);
    await waitUntil(async () => !(await listening(port)), 10_000); // new connections are refused at once
    // held past the moment the stop used to cut every connection (1 s after the batch writer was done)
    await new Promise((r) => setTimeout(r, 1500));
    await locker.query('commit');

    const answers = await Promise.all(inFlight);
    for (const a of answers) {
      expect(a).toMatchObject({ status: 200, connection: 'close' });
      expect(JSON.parse((a as { body: string }).body)).toMatchObject({ tenant: 'stopping', totalTokens: 0 });
    }
  } finally {
    await locker.end().catch(() => undefined);
    agent.destroy();
  }
  expect(await app.exited).toBe(0);
  expect(app.logs()).toContain('"msg":"stopped"');
}, 120_000);
