// ENTITLEMENT_FAIL_MODE with the database stopped (a PostgreSQL of this file's own), and who may
// check: ingest or evaluate, a tenant-bound key only its tenant.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { startTestApp } from '../helpers/app.ts';
import { addTenants, createTestDb, type TestDb } from '../helpers/db.ts';
import { makePool } from '../../server/db/pool.ts';
import { silentLog } from '../helpers/db.ts';
import { startOwnPostgres, type OwnPostgres } from '../helpers/own-postgres.ts';
import type { FlagMeter } from '../../server/runtime.ts';
import { call, check, postEvent, release } from './helpers.ts';
import { SHARED_VALKEY_URL, cleanPrefix, uniquePrefix } from '../helpers/valkey.ts';

describe('with the database stopped', () => {
  let pg: OwnPostgres;
  let closed: FlagMeter;
  let open: FlagMeter;
  let buffered: FlagMeter;
  const prefix = uniquePrefix('entitlements');
  beforeAll(async () => {
    pg = await startOwnPostgres();
    const pool = makePool(pg.url, 2, silentLog);
    await addTenants(pool, [{ slug: 'down-co', quota: 1000 }]);
    await pool.query(`update flagmeter.tenants set quota_hard = true`);
    await pool.end();
    closed = await startTestApp(pg.url, { ENTITLEMENT_FAIL_MODE: 'closed' });
    open = await startTestApp(pg.url, { ENTITLEMENT_FAIL_MODE: 'open' });
    // the tenant cache must know the tenant while the database is away
    buffered = await startTestApp(pg.url, { VALKEY_URL: SHARED_VALKEY_URL, VALKEY_PREFIX: prefix, TENANT_CACHE_TTL_MS: '600000' });
  }, 60_000);
  afterAll(async () => {
    await Promise.all([closed?.stop(), open?.stop(), buffered?.stop()]);
    await pg?.close();
    await cleanPrefix(prefix);
  });

  test('closed answers 503 with Retry-After; open answers allowed with reason unverified and holds nothing', async () => {
    const held = await check(closed.url, { tenant: 'down-co', tokens: 10, reserve: true });
    expect(held.body.allowed).toBe(true);
    expect((await check(open.url, { tenant: 'down-co', tokens: 10 })).body.reason).toBe('ok');
    expect((await postEvent(buffered.url, { tenant: 'down-co', feature: 'x', tokens: 1 })).status).toBe(201);
    await pg.server.stop();

    const refused = await check(closed.url, { tenant: 'down-co', tokens: 10 });
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(refused.body.error.code).toBe('database_unavailable');

    const unverified = await check(open.url, { tenant: 'down-co', feature: 'gpt-4o', tokens: 10, reserve: true });
    expect(unverified.status).toBe(200);
    expect(unverified.body).toMatchObject({ allowed: true, reason: 'unverified', tenant: 'down-co', feature: 'gpt-4o', limit: null, used: null, reserved: null, remaining: null });
    expect(unverified.body.reservation).toBeUndefined();
    // bad input is still bad input, whatever the mode
    expect((await check(open.url, { tenant: 'down-co', tokens: -1 })).status).toBe(400);
    // a release cannot be done without the database: 503 in either mode
    for (const app of [closed, open]) expect((await release(app.url, held.body.reservation.id)).status).toBe(503);
    // with Valkey, plain events are buffered (202) but a settlement is never parked there: 503
    expect((await postEvent(buffered.url, { tenant: 'down-co', feature: 'x', tokens: 1 })).status).toBe(202);
    const settling = await postEvent(buffered.url, { tenant: 'down-co', feature: 'x', tokens: 1, reservation: held.body.reservation.id });
    expect([settling.status, settling.body.error.code]).toEqual([503, 'database_unavailable']);
    const metrics = await (await fetch(`${open.url}/metrics`)).text();
    expect(metrics).toMatch(/flagmeter_entitlement_checks_total\{reason="unverified"\} 1/);
  }, 30_000);
});

describe('scopes', () => {
  const ADMIN = 'fm_live_testadmin001_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';
  let db: TestDb;
  let app: FlagMeter;
  beforeAll(async () => {
    db = await createTestDb();
    await addTenants(db.pool, [{ slug: 'acme-corp' }, { slug: 'globex-inc' }]);
    app = await startTestApp(db.url, { FLAGMETER_AUTH: 'true', FLAGMETER_ADMIN_KEY: ADMIN });
  });
  afterAll(async () => {
    await app.stop();
    await db.drop();
  });
  const key = async (scopes: string[], tenant?: string) =>
    (await call(app.url, 'POST', '/api/keys', { name: `k-${scopes.join('-')}`, scopes, ...(tenant ? { tenant } : {}) }, ADMIN)).body.key as string;

  test('check, ingest and admin may check; read, flags and evaluate may not; a tenant-bound key only its own tenant', async () => {
    for (const scopes of [['ingest'], ['check']]) {
      expect((await check(app.url, { tenant: 'acme-corp' }, await key(scopes))).status).toBe(200);
    }
    expect((await check(app.url, { tenant: 'acme-corp' }, ADMIN)).status).toBe(200);
    for (const scopes of [['read'], ['flags'], ['evaluate']]) {
      const r = await check(app.url, { tenant: 'acme-corp' }, await key(scopes));
      expect([r.status, r.body.error.code]).toEqual([403, 'forbidden']);
    }
    expect((await check(app.url, { tenant: 'acme-corp' })).status).toBe(401);

    const acme = await key(['check'], 'acme-corp');
    const own = await check(app.url, { tenant: 'acme-corp', tokens: 5, reserve: true }, acme);
    expect(own.status).toBe(200);
    const foreign = await check(app.url, { tenant: 'globex-inc' }, acme);
    expect([foreign.status, foreign.body.error.code]).toEqual([403, 'forbidden_tenant']);
    // another tenant's key cannot release it (it does not see it), its own can
    const globex = await key(['ingest'], 'globex-inc');
    expect((await release(app.url, own.body.reservation.id, globex)).status).toBe(404);
    expect((await release(app.url, own.body.reservation.id, acme)).status).toBe(200);
  });
});
