// POST /api/events and the usage reads, end to end over HTTP on a real database.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { get, post, startTestApp } from '../helpers/app.ts';
import { addTenants, createTestDb, sums, type TestDb } from '../helpers/db.ts';
import type { FlagMeter } from '../../server/runtime.ts';

let db: TestDb;
let app: FlagMeter;

beforeAll(async () => {
  db = await createTestDb();
  await addTenants(db.pool, [{ slug: 'acme-corp', quota: 1000 }, { slug: 'globex-inc' }]);
  app = await startTestApp(db.url);
});
afterAll(async () => {
  await app.stop();
  await db.drop();
});

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('POST /api/events', () => {
  test('one event → 201 with its id, counted in usage', async () => {
    const r = await post(app.url, { tenant: 'acme-corp', feature: 'gpt-4o', tokens: 150, user: 'u1' });
    expect(r.status).toBe(201);
    expect(r.body).toEqual({ success: true, eventId: expect.stringMatching(uuid), duplicate: false });
    const usage = await get(app.url, '/api/usage/acme-corp');
    expect(usage.body).toMatchObject({ tenant: 'acme-corp', totalTokens: 150, monthlyQuota: 1000, quotaPercent: 15 });
  });

  test('a batch → 201 {accepted, duplicates}', async () => {
    const r = await post(app.url, [
      { tenant: 'acme-corp', feature: 'gpt-4o', tokens: 100 },
      { tenant: 'globex-inc', feature: 'claude', tokens: 5, timestamp: new Date(Date.now() - 3600_000).toISOString() },
    ]);
    expect(r.status).toBe(201);
    expect(r.body).toEqual({ success: true, accepted: 2, duplicates: 0 });
  });

  test('a resent event id is answered as a duplicate with the original id and not counted again', async () => {
    const id = `evt-${randomUUID()}`;
    const first = await post(app.url, { tenant: 'globex-inc', feature: 'f', tokens: 11, id });
    const again = await post(app.url, { tenant: 'globex-inc', feature: 'f', tokens: 11, id });
    expect(first.status).toBe(201);
    expect(again.status).toBe(200);
    expect(again.body).toEqual({ success: true, eventId: first.body.eventId, duplicate: true });
    const batch = await post(app.url, [{ tenant: 'globex-inc', feature: 'f', tokens: 11, id }, { tenant: 'globex-inc', feature: 'f', tokens: 11, id: `${id}-new` }]);
    expect(batch.body).toEqual({ success: true, accepted: 1, duplicates: 1 });
  });

  test('the same id twice in one batch counts once', async () => {
    const id = `twin-${randomUUID()}`;
    const r = await post(app.url, [1, 2, 3].map(() => ({ tenant: 'globex-inc', feature: 'twin', tokens: 4, id })));
    expect(r.body).toEqual({ success: true, accepted: 1, duplicates: 2 });
    const { rows } = await db.pool.query(`select coalesce(sum(tokens), 0)::int t from flagmeter.rollups where feature = 'twin'`);
    expect(rows[0].t).toBe(4);
  });

  test('racing requests with the same ids on two FlagMeter instances count each id once', async () => {
    const other = await startTestApp(db.url);
    try {
      const ids = Array.from({ length: 40 }, (_, i) => `race-${i}-${randomUUID()}`);
      const send = (base: string) => ids.map((id) => post(base, { tenant: 'acme-corp', feature: 'race', tokens: 3, id }));
      const answers = await Promise.all([...send(app.url), ...send(other.url), ...send(app.url)]);
      expect(answers.every((a) => a.status === 201 || a.status === 200)).toBe(true);
      expect(answers.filter((a) => a.body.duplicate === false)).toHaveLength(40);
      // every copy of an id reports the same event id
      for (const id of ids.slice(0, 5)) {
        const copies = answers.filter((_, i) => ids[i % 40] === id).map((a) => a.body.eventId);
        expect(new Set(copies).size).toBe(1);
      }
    } finally {
      await other.stop();
    }
    const { rows } = await db.pool.query(`select sum(tokens)::int t, sum(event_count)::int n from flagmeter.rollups where feature = 'race'`);
    expect(rows[0]).toEqual({ t: 120, n: 40 });
  });

  test('many concurrent requests: rollups equal events', async () => {
    await Promise.all(Array.from({ length: 200 }, (_, i) => post(app.url, { tenant: i % 2 ? 'acme-corp' : 'globex-inc', feature: `f${i % 5}`, tokens: i + 1 })));
    const s = await sums(db.pool);
    expect(s.rollups).toEqual(s.events);
    expect(s.rollupCount).toBe(s.eventCount);
    expect(s.daily).toEqual(s.events);
    expect(s.dailyCount).toBe(s.eventCount);
  });
});

describe('reads', () => {
  test('GET /api/usage/:tenant has the period, the quota and per-feature totals', async () => {
    const r = await get(app.url, '/api/usage/globex-inc');
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ tenant: 'globex-inc', tenantName: 'globex-inc', monthlyQuota: 1000000, billingDay: 1, timezone: 'UTC' });
    expect(Date.parse(r.body.periodStart)).toBeLessThanOrEqual(Date.now());
    expect(Date.parse(r.body.periodEnd)).toBeGreaterThan(Date.now());
    const featureTotal = r.body.features.reduce((n: number, f: { tokens: number }) => n + f.tokens, 0);
    expect(featureTotal).toBe(r.body.totalTokens);
  });
  test('an unknown tenant → 404 in the error shape', async () => {
    const r = await get(app.url, '/api/usage/nobody');
    expect(r.status).toBe(404);
    expect(r.body).toEqual({ error: { code: 'unknown_tenant', message: "No tenant 'nobody'." } });
  });
  test('GET /api/tenants lists every tenant with its usage', async () => {
    const r = await get(app.url, '/api/tenants');
    expect(r.body.tenants.map((t: { tenant: string }) => t.tenant)).toEqual(['acme-corp', 'globex-inc']);
  });
  test('GET /api/health is healthy with the database up', async () => {
    const r = await get(app.url, '/api/health');
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ status: 'healthy', services: { database: 'up' } });
  });
  test('an unknown route → 404 JSON', async () => {
    const r = await get(app.url, '/api/nope');
    expect(r.status).toBe(404);
    expect(r.body.error.code).toBe('not_found');
  });
});
