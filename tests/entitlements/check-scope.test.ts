// Who may check and reserve (#20): the check scope (ingest implies it), not evaluate, the key a
// browser or a phone may hold; another caller's check id never shows its reservation; checks are
// rate limited per tenant like events.
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { startTestApp } from '../helpers/app.ts';
import { addTenants, createTestDb, type TestDb } from '../helpers/db.ts';
import type { FlagMeter } from '../../server/runtime.ts';
import { call, check, release } from './helpers.ts';

const ADMIN = 'fm_live_checkscope01_EEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEE';
let db: TestDb;
let app: FlagMeter;

beforeAll(async () => {
  db = await createTestDb();
  await addTenants(db.pool, [{ slug: 'hard-co', quota: 1000 }, { slug: 'busy-co', quota: 1000 }]);
  app = await startTestApp(db.url, { FLAGMETER_AUTH: 'true', FLAGMETER_ADMIN_KEY: ADMIN });
  expect((await call(app.url, 'PATCH', '/api/tenants/hard-co', { quotaHard: true }, ADMIN)).status).toBe(200);
});
afterAll(async () => {
  await app.stop();
  await db.drop();
});

const key = async (name: string, scopes: string[], tenant = 'hard-co') => {
  const r = await call(app.url, 'POST', '/api/keys', { name, scopes, tenant }, ADMIN);
  expect(r.status).toBe(201);
  return r.body.key as string;
};

test('an evaluate key can neither check, reserve nor release; check, ingest and admin can', async () => {
  const browser = await key('browser', ['evaluate']);
  const backend = await key('backend', ['check']);
  const legacy = await key('legacy backend', ['ingest']);
  for (const body of [{ tenant: 'hard-co' }, { tenant: 'hard-co', tokens: 1000, reserve: true, reservationTtlSeconds: 3600 }]) {
    const r = await check(app.url, body, browser);
    expect([r.status, r.body.error.code, r.body.error.message]).toEqual([403, 'forbidden', "This key lacks the 'check' scope."]);
  }
  // nothing was held by the refused reservation
  expect((await db.pool.query(`select count(*)::int as n from flagmeter.reservations`)).rows[0].n).toBe(0);
  const held = await check(app.url, { tenant: 'hard-co', tokens: 10, reserve: true }, backend);
  expect(held).toMatchObject({ status: 200, body: { allowed: true, reservation: { tokens: 10 } } });
  expect((await release(app.url, held.body.reservation.id, browser)).status).toBe(403);
  expect((await check(app.url, { tenant: 'hard-co', tokens: 1 }, legacy)).status).toBe(200);
  expect((await check(app.url, { tenant: 'hard-co', tokens: 1 }, ADMIN)).status).toBe(200);
  expect((await release(app.url, held.body.reservation.id, legacy)).status).toBe(200);
});

test('replaying another key\'s check id is 409 check_id_taken and shows nothing of its answer; its own key gets the replay', async () => {
  const backend = await key('backend two', ['check']);
  const other = await key('another backend', ['check']);
  const first = await check(app.url, { tenant: 'hard-co', tokens: 900, reserve: true, id: 'call-42' }, backend);
  expect(first).toMatchObject({ status: 200, body: { allowed: true } });
  const reservation = first.body.reservation.id as string;
  const stolen = await check(app.url, { tenant: 'hard-co', tokens: 900, reserve: true, id: 'call-42' }, other);
  expect([stolen.status, stolen.body.error.code]).toEqual([409, 'check_id_taken']);
  expect(JSON.stringify(stolen.body)).not.toContain(reservation);
  // a different request under the same id from its owner is still check_id_reused
  expect((await check(app.url, { tenant: 'hard-co', tokens: 5, id: 'call-42' }, backend)).body.error.code).toBe('check_id_reused');
  const again = await check(app.url, { tenant: 'hard-co', tokens: 900, reserve: true, id: 'call-42' }, backend);
  expect(again).toMatchObject({ status: 200, body: { replayed: true, reservation: { id: reservation } } });
  expect((await release(app.url, reservation, backend)).status).toBe(200);
});

test('a key with only the check scope can be made, and a person invited with it', async () => {
  const r = await call(app.url, 'POST', '/api/keys', { name: 'check only', scopes: ['check'] }, ADMIN);
  expect(r).toMatchObject({ status: 201, body: { scopes: ['check'] } });
  expect((await call(app.url, 'POST', '/api/invitations', { scopes: ['check', 'read'], tenant: 'hard-co' }, ADMIN)).status).toBe(201);
});

test('checks are rate limited per tenant (its own limit), with Retry-After; another tenant is not affected', async () => {
  expect((await call(app.url, 'PATCH', '/api/tenants/busy-co', { rateLimitPerSecond: 1, rateLimitBurst: 3 }, ADMIN)).status).toBe(200);
  const statuses: number[] = [];
  let retry: string | null = null;
  for (let i = 0; i < 6; i++) {
    const r = await check(app.url, { tenant: 'busy-co', tokens: 1 }, ADMIN);
    statuses.push(r.status);
    if (r.status === 429) retry ??= r.headers.get('retry-after');
  }
  expect(statuses.slice(0, 3)).toEqual([200, 200, 200]);
  expect(statuses).toContain(429);
  expect(Number(retry)).toBeGreaterThan(0);
  expect((await check(app.url, { tenant: 'hard-co', tokens: 1 }, ADMIN)).status).toBe(200);
});
