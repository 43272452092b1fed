// `npx flagmeter …` runs on Node 24 even when the shell's node is older (bin/flagmeter.mjs), and
// `flagmeter db-url` prints the connection string that FLAGMETER_DATA_DIR and EMBEDDED_PG_PORT say.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, expect, test } from '@jest/globals';

const run = promisify(execFile);
const dataDir = await mkdtemp(path.join(os.tmpdir(), 'flagmeter-bin-'));
afterAll(() => rm(dataDir, { recursive: true, force: true }));

/** A `node` on PATH that is not the project's Node 24 (the machine's own, Node 20 here); else ours. */
const systemNode = (process.env.PATH ?? '').split(path.delimiter).filter((d) => !d.includes('node_modules'))
  .map((d) => path.join(d, 'node')).find((f) => existsSync(f)) ?? process.execPath;

async function flagmeter(args: string[], env: Record<string, string> = {}) {
  const base = { ...process.env, ...env };
  delete base.DATABASE_URL;
  Object.assign(base, env);
  // PATH without node_modules/.bin, as in a shell that did not come through npm
  base.PATH = (process.env.PATH ?? '').split(path.delimiter).filter((d) => !d.includes('node_modules')).join(path.delimiter);
  return run(systemNode, ['bin/flagmeter.mjs', ...args], { env: base }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (err: { code: number; stdout: string; stderr: string }) => ({ code: err.code, stdout: err.stdout, stderr: err.stderr }));
}

test('the bin wrapper runs the TypeScript entry point from the system node', async () => {
  const r = await flagmeter(['no-such-role']);
  expect(r.stderr).toContain('usage: flagmeter [all|serve|worker|migrate|db-url]');
  expect(r.code).toBe(2);
});

test('db-url prints the embedded database of FLAGMETER_DATA_DIR on EMBEDDED_PG_PORT', async () => {
  await writeFile(path.join(dataDir, 'pg-password'), 'p/ss+word\n');
  const r = await flagmeter(['db-url'], { FLAGMETER_DATA_DIR: dataDir, EMBEDDED_PG_PORT: '54999' });
  expect(r).toMatchObject({ code: 0, stdout: 'postgres://postgres:p%2Fss%2Bword@127.0.0.1:54999/flagmeter\n' });
});

test('db-url prints DATABASE_URL when it is set, and explains when there is nothing yet', async () => {
  expect((await flagmeter(['db-url'], { DATABASE_URL: 'postgres://u:p@db:5432/fm' })).stdout).toBe('postgres://u:p@db:5432/fm\n');
  const none = await flagmeter(['db-url'], { FLAGMETER_DATA_DIR: path.join(dataDir, 'nothing-here') });
  expect(none.code).toBe(1);
  expect(none.stderr).toMatch(/no embedded database in .*nothing-here yet.*npm start/);
});
