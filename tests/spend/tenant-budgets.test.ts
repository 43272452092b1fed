// The budget beside each tenant's usage row (GET /api/tenants and the usage stream, which the
// console's tenant table shows): the same figures as GET /api/usage/:tenant's budget, to the
// hundredth of a percent, null without one; a tenant-bound key sees only its own row with it.
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { insertEvents } from '../../server/db/events.ts';
import { startTestApp } from '../helpers/app.ts';
import { addTenants, createTestDb, type TestDb } from '../helpers/db.ts';
import { randomEvents } from '../helpers/spend.ts';
import { call } from '../entitlements/helpers.ts';
import type { FlagMeter } from '../../server/runtime.ts';

const ADMIN = 'fm_live_tenantbudget_Zq3Wv8Xc1Ty6Un4Im9Ok2Pl7Aj5Sh0Dg';
let db: TestDb;
let app: FlagMeter;

beforeAll(async () => {
  db = await createTestDb();
  const ids = await addTenants(db.pool, [{ slug: 'hard-co' }, { slug: 'soft-co', timezone: 'Asia/Tokyo' }, { slug: 'none-co' }]);
  await insertEvents(db.pool, randomEvents(Object.values(ids), 600, 7, Date.now(), 3));
  app = await startTestApp(db.url, { FLAGMETER_AUTH: 'true', FLAGMETER_ADMIN_KEY: ADMIN, USAGE_CACHE_TTL_MS: '0' });
}, 60_000);
afterAll(async () => {
  await app?.stop();
  await db.drop();
});

const admin = (method: string, path: string, body?: unknown) => call(app.url, method, path, body, ADMIN);

test('each row\'s budget is the usage answer\'s; null without one; a tenant-bound key gets its own row', async () => {
  expect((await admin('PUT', '/api/tenants/hard-co/budget', { monthlyBudget: '0.37', hard: true })).status).toBe(200);
  expect((await admin('PUT', '/api/tenants/soft-co/budget', { monthlyBudget: 3 })).status).toBe(200);
  const { body } = await admin('GET', '/api/tenants');
  for (const row of body.tenants) {
    const usage = (await admin('GET', `/api/usage/${row.tenant}`)).body;
    expect(row.budget).toEqual(usage.budget);
    if (row.budget) expect(row.budget.used).toBe(row.totalCost);
  }
  const bySlug = Object.fromEntries(body.tenants.map((t: any) => [t.tenant, t.budget]));
  expect(bySlug['none-co']).toBeNull();
  expect(bySlug['hard-co']).toMatchObject({ limit: '0.37', hard: true });
  expect(bySlug['soft-co']).toMatchObject({ limit: '3', hard: false });
  expect(bySlug['hard-co'].percent).toBeGreaterThan(0);
  // the percent is the exact cost over the limit, rounded to 2 decimals in SQL
  const { rows: [p] } = await db.pool.query(`select round(100.0 * $1::numeric / 0.37, 2)::float8 as p`, [bySlug['hard-co'].used]);
  expect(bySlug['hard-co'].percent).toBe(p.p);

  const key = (await admin('POST', '/api/keys', { name: 'soft-co reader', scopes: ['read'], tenant: 'soft-co' })).body.key;
  const own = await call(app.url, 'GET', '/api/tenants', undefined, key);
  expect(own.status).toBe(200);
  expect(own.body.tenants).toEqual([expect.objectContaining({ tenant: 'soft-co', budget: bySlug['soft-co'] })]);
});

test('the usage stream carries the budget, and sends the row again when it changes', async () => {
  const ac = new AbortController();
  const res = await fetch(`${app.url}/api/stream`, { headers: { authorization: `Bearer ${ADMIN}` }, signal: ac.signal });
  const reader = res.body!.getReader();
  let text = '';
  const next = async (event: string) => {
    for (;;) {
      const m = new RegExp(`event: ${event}\\ndata: (.*)\\n\\n`).exec(text);
      if (m) {
        text = text.slice(m.index + m[0].length);
        return JSON.parse(m[1]!);
      }
      text += new TextDecoder().decode((await reader.read()).value);
    }
  };
  try {
    const snapshot = await next('snapshot');
    expect(snapshot.tenants.find((t: any) => t.tenant === 'none-co').budget).toBeNull();
    expect(snapshot.tenants.find((t: any) => t.tenant === 'hard-co').budget).toMatchObject({ limit: '0.37' });
    expect((await admin('PUT', '/api/tenants/none-co/budget', { monthlyBudget: '12.5', hard: true })).status).toBe(200);
    const changes = await next('changes');
    expect(changes.tenants).toEqual([expect.objectContaining({ tenant: 'none-co', budget: expect.objectContaining({ limit: '12.5', hard: true }) })]);
  } finally {
    ac.abort();
  }
});
