// The first person, admin: without FLAGMETER_ADMIN_PASSWORD the first start generates a password and
// prints it once (with the generated keys); FLAGMETER_ADMIN_PASSWORD creates it or resets it at start.
import { afterAll, afterEach, beforeAll, expect, jest, test } from '@jest/globals';
import { startTestApp } from '../helpers/app.ts';
import { createTestDb, type TestDb } from '../helpers/db.ts';
import { call } from '../helpers/people.ts';

let db: TestDb;
beforeAll(async () => { db = await createTestDb(); });
afterAll(async () => { await db.drop(); });
afterEach(() => { jest.restoreAllMocks(); });

async function startCapturing(env: Record<string, string>) {
  let printed = '';
  const spy = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => { printed += chunk.toString(); return true; });
  try {
    const app = await startTestApp(db.url, { FLAGMETER_AUTH: 'true', ...env });
    return { app, printed };
  } finally {
    spy.mockRestore();
  }
}
const signIn = (base: string, password: string) => call(base, 'POST', '/auth/login', { body: { name: 'admin', password } });

test('generated once, printed once; FLAGMETER_ADMIN_PASSWORD resets it and ends its sessions', async () => {
  const first = await startCapturing({});
  const password = /console sign-in: admin\s+(\S+)\s+\(admin, read, ingest, flags, evaluate, check\)/.exec(first.printed)?.[1];
  expect(password).toMatch(/^[A-Za-z0-9_-]{24}$/);
  expect(first.printed).toContain('admin (generated)');
  const session = (await signIn(first.app.url, password!)).body.token;
  expect((await call(first.app.url, 'GET', '/api/me', { bearer: session })).body).toMatchObject({ name: 'admin', scopes: ['ingest', 'read', 'admin', 'flags', 'evaluate', 'check'] });
  await first.app.stop();

  const again = await startCapturing({});
  expect(again.printed).not.toContain('console sign-in');
  expect((await signIn(again.app.url, password!)).status).toBe(200);
  await again.app.stop();

  const reset = await startCapturing({ FLAGMETER_ADMIN_PASSWORD: 'a reset password for admin' });
  expect(reset.printed).not.toContain('a reset password for admin');
  expect((await signIn(reset.app.url, password!)).status).toBe(401);
  expect((await call(reset.app.url, 'GET', '/api/me', { bearer: session })).status).toBe(401);
  expect((await signIn(reset.app.url, 'a reset password for admin')).status).toBe(200);
  await reset.app.stop();
  const { rows } = await db.pool.query(`select count(*)::int n from flagmeter.people`);
  expect(rows[0].n).toBe(1);
});

test('FLAGMETER_ADMIN_PASSWORD shorter than 12 characters is a configuration error that does not print it', async () => {
  await expect(startTestApp(db.url, { FLAGMETER_AUTH: 'true', FLAGMETER_ADMIN_PASSWORD: 'short-pass' })).rejects.toThrow(/FLAGMETER_ADMIN_PASSWORD=<hidden, 10 characters>: must be at least 12 characters/);
});
