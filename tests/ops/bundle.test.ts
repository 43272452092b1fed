// dist/flagmeter.mjs, the bundle the container image runs (scripts/build-server.ts): it migrates an
// empty database and serves, finding sql/ and package.json from its own folder, and it loads no
// TypeScript at all (Node runs it with type stripping switched off).
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { buildServer } from '../../scripts/build-server.ts';
import { createTestDb, type TestDb } from '../helpers/db.ts';
import { freePort, waitUntil } from '../helpers/net.ts';

let db: TestDb;
let bundle: string;
beforeAll(async () => {
  [db, bundle] = await Promise.all([createTestDb({ migrated: false }), buildServer()]);
});
afterAll(async () => { await db.drop(); });

function run(args: string[], env: Record<string, string>) {
  const child = spawn(process.execPath, ['--no-experimental-strip-types', bundle, ...args], {
    env: { ...process.env, DATABASE_URL: db.url, LOG_LEVEL: 'info', FLAGMETER_DEMO: 'false', HOST: '127.0.0.1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d) => { out += d; });
  child.stderr!.on('data', (d) => { out += d; });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, exited, logs: () => out };
}

test('the bundle migrates an empty database, then serves the API, without TypeScript', async () => {
  const migrate = run(['migrate'], {});
  expect({ code: await migrate.exited, logs: migrate.logs() }).toMatchObject({ code: 0 });
  const { rows } = await db.pool.query(`select count(*)::int n from graphile_migrate.migrations`);
  expect(rows[0].n).toBeGreaterThanOrEqual(5);

  const port = await freePort();
  const serve = run(['serve'], { PORT: String(port), FLAGMETER_AUTH: 'false' });
  try {
    await waitUntil(async () => (await fetch(`http://127.0.0.1:${port}/api/health`)).ok, 20_000);
    // package.json found (sql/ was, above; web/dist is found the same way, from server/paths.ts, but
    // whether it exists depends on dashboard.test.ts, which rebuilds it meanwhile)
    const version = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).version;
    expect((await (await fetch(`http://127.0.0.1:${port}/api/openapi.json`)).json()).info.version).toBe(version);
    expect((await fetch(`http://127.0.0.1:${port}/api/tenants`)).status).toBe(200);
  } finally {
    serve.child.kill('SIGTERM');
    expect(await serve.exited).toBe(0);
  }
  expect(serve.logs()).not.toMatch(/ERR_|TypeScript|strip/i);
}, 60_000);
