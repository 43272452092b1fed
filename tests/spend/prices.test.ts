// The price book API: the shipped list, installation prices and tenant overrides added from a
// minute no event has reached (never in the past), admin only and audited, a tenant's currency
// fixed once it has usage, and what a tenant-bound key may read (its own tenant's prices only).
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { startTestApp } from '../helpers/app.ts';
import { createTestDb, type TestDb } from '../helpers/db.ts';
import type { FlagMeter } from '../../server/runtime.ts';

const ADMIN = 'fm_live_spendadmin01_CCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCC';
let db: TestDb;
let app: FlagMeter;

beforeAll(async () => {
  db = await createTestDb();
  app = await startTestApp(db.url, { FLAGMETER_AUTH: 'true', FLAGMETER_ADMIN_KEY: ADMIN, EVENT_MAX_FUTURE_SECONDS: '300' });
  for (const slug of ['acme', 'euro']) expect((await call('POST', '/api/tenants', { slug, name: slug })).status).toBe(201);
});
afterAll(async () => {
  await app.stop();
  await db.drop();
});

async function call(method: string, path: string, body?: unknown, key = ADMIN) {
  const res = await fetch(`${app.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

const ahead = (minutes: number) => new Date(Math.ceil(Date.now() / 60_000) * 60_000 + minutes * 60_000).toISOString();

describe('the installation price book', () => {
  test('ships a default list in USD, as decimal strings', async () => {
    const r = await call('GET', '/api/prices');
    expect(r.status).toBe(200);
    expect(r.body.prices).toEqual(expect.arrayContaining([
      { model: 'gpt-4o', currency: 'USD', effectiveFrom: '2000-01-01T00:00:00.000Z', effectiveTo: null, input: '2.5', output: '10', cached: '1.25', plain: '2.5' },
    ]));
  });

  test('a new price takes effect at a future minute; the row before it ends there; the change is audited', async () => {
    const from = ahead(30);
    const r = await call('POST', '/api/prices', { prices: [{ model: 'gpt-4o', input: '3.000001', output: 12, effectiveFrom: from }] });
    expect(r.status).toBe(201);
    const rows = r.body.prices.filter((p: { model: string; currency: string }) => p.model === 'gpt-4o' && p.currency === 'USD');
    expect(rows).toEqual([
      expect.objectContaining({ effectiveFrom: '2000-01-01T00:00:00.000Z', effectiveTo: from, input: '2.5' }),
      { model: 'gpt-4o', currency: 'USD', effectiveFrom: from, effectiveTo: null, input: '3.000001', output: '12', cached: '3.000001', plain: '3.000001' },
    ]);
    const { rows: [audit] } = await db.pool.query(`select action, target, after from flagmeter.audit_log where action = 'price.set'`);
    expect(audit).toMatchObject({ target: 'prices', after: [expect.objectContaining({ model: 'gpt-4o', effectiveFrom: from, input: '3.000001' })] });
  });

  test('a price in the past (or within the events\' future skew) is refused: it would rewrite counted costs', async () => {
    const past = await call('POST', '/api/prices', { prices: [{ model: 'gpt-4o', input: 1, output: 1, effectiveFrom: '2026-01-01T00:00:00Z' }] });
    expect(past.status).toBe(400);
    expect(past.body.error.code).toBe('price_in_the_past');
    expect((await call('POST', '/api/prices', { prices: [{ model: 'gpt-4o', input: 1, output: 1, effectiveFrom: ahead(2) }] })).status).toBe(400);
    // without effectiveFrom: the first open minute
    const open = await call('POST', '/api/prices', { prices: [{ model: 'm-new', currency: 'EUR', input: 1, output: 2 }] });
    expect(open.status).toBe(201);
    const row = open.body.prices.find((p: { model: string }) => p.model === 'm-new');
    expect(Date.parse(row.effectiveFrom) - Date.now()).toBeGreaterThan(300_000);
    expect(Date.parse(row.effectiveFrom) % 60_000).toBe(0);
  });

  test('bad prices are refused with the field named', async () => {
    for (const bad of [{ input: -1 }, { input: '1.0000001' }, { input: 'two' }, { effectiveFrom: ahead(30).replace(':00.000Z', ':30.000Z') }]) {
      const r = await call('POST', '/api/prices', { prices: [{ model: 'gpt-4o', input: 1, output: 1, ...bad }] });
      expect(r.status).toBe(400);
    }
    expect((await call('POST', '/api/prices', { prices: [{ model: 'gpt-4o', input: 1, output: 1, currency: 'usd' }] })).status).toBe(400);
  });
});

describe('a tenant\'s prices and currency', () => {
  test('an override applies to the tenant only, and shows as in force once due', async () => {
    const r = await call('POST', '/api/tenants/acme/prices', { prices: [{ model: 'gpt-4o-mini', input: '0.1', output: '0.5', cached: '0.01', effectiveFrom: ahead(60) }] });
    expect(r.status).toBe(201);
    expect(r.body.overrides).toEqual([expect.objectContaining({ model: 'gpt-4o-mini', currency: 'USD', input: '0.1', cached: '0.01', plain: '0.1' })]);
    // not due yet: the installation's row is in force
    expect(r.body.inForce.find((p: { model: string }) => p.model === 'gpt-4o-mini')).toMatchObject({ source: 'installation', input: '0.15' });
    await db.pool.query(`update flagmeter.tenant_prices set effective_from = '2020-01-01' where model = 'gpt-4o-mini'`);
    const now = await call('GET', '/api/tenants/acme/prices');
    expect(now.body.inForce.find((p: { model: string }) => p.model === 'gpt-4o-mini')).toMatchObject({ source: 'tenant', input: '0.1', effectiveTo: null });
    expect((await call('GET', '/api/tenants/euro/prices')).body.overrides).toEqual([]);
    const { rows: [audit] } = await db.pool.query(`select target from flagmeter.audit_log where action = 'tenant.prices.set'`);
    expect(audit.target).toBe('tenant:acme');
  });

  test('the currency can be set while the tenant has no usage, and then no more', async () => {
    const set = await call('PUT', '/api/tenants/euro/currency', { currency: 'EUR' });
    expect(set).toEqual({ status: 200, body: { tenant: 'euro', currency: 'EUR' } });
    const book = await call('GET', '/api/tenants/euro/prices');
    expect(book.body.currency).toBe('EUR');
    // the only EUR row (m-new) is not due yet: nothing is priced for it now
    expect(book.body.inForce).toEqual([]);
    expect((await fetch(`${app.url}/api/events`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' }, body: JSON.stringify({ tenant: 'euro', feature: 'gpt-4o', tokens: 5 }) })).status).toBe(201);
    const again = await call('PUT', '/api/tenants/euro/currency', { currency: 'USD' });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('tenant_has_usage');
    expect((await call('PUT', '/api/tenants/nobody/currency', { currency: 'USD' })).status).toBe(404);
  });

  test('changes need admin; a tenant-bound read key reads only its own tenant', async () => {
    const key = await call('POST', '/api/keys', { name: 'acme-read', scopes: ['read'], tenant: 'acme' });
    expect(key.status).toBe(201);
    const secret = key.body.key as string;
    expect((await call('GET', '/api/tenants/acme/prices', undefined, secret)).status).toBe(200);
    expect((await call('GET', '/api/tenants/euro/prices', undefined, secret)).status).toBe(403);
    // the installation's book is the operator's: admins only
    expect((await call('GET', '/api/prices', undefined, secret)).status).toBe(403);
    expect((await call('POST', '/api/prices', { prices: [{ model: 'x', input: 1, output: 1 }] }, secret)).status).toBe(403);
    expect((await call('PUT', '/api/tenants/acme/currency', { currency: 'EUR' }, secret)).status).toBe(403);
  });
});
