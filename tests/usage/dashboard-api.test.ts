// The server side of the dashboard over HTTP: the usage series, the live stream and the static files.
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import express from 'express';
import { buildWeb } from '../../scripts/build-web.ts';
import { errorHandler, notFound } from '../../server/http/errors.ts';
import { staticSite } from '../../server/http/static.ts';
import { usageStream } from '../../server/http/routes/stream.ts';
import { authenticate } from '../../server/auth/middleware.ts';
import type { FlagMeter } from '../../server/runtime.ts';
import { get, post, startTestApp } from '../helpers/app.ts';
import { addTenants, createTestDb, silentLog, type TestDb } from '../helpers/db.ts';

let db: TestDb;
let app: FlagMeter;

beforeAll(async () => {
  db = await createTestDb();
  await addTenants(db.pool, [
    { slug: 'acme-corp', quota: 1000 },
    { slug: 'tokyo-kk', quota: 1000, timezone: 'Asia/Tokyo', billingDay: 5 },
    { slug: 'quiet-co' },
    { slug: 'compacted-co', timezone: 'Asia/Kolkata' },
  ]);
  app = await startTestApp(db.url);
});
afterAll(async () => {
  await app.stop();
  await db.drop();
});

describe('GET /api/usage/:tenant/series', () => {
  test('tokens per bucket and the running total over the current period, computed from the rollups', async () => {
    const { body: usage } = await get(app.url, '/api/usage/acme-corp');
    const start = Date.parse(usage.periodStart);
    const at = (ms: number) => new Date(Math.min(start + ms, Date.now() - 1000)).toISOString();
    await post(app.url, [
      { tenant: 'acme-corp', feature: 'a', tokens: 10, timestamp: at(0) },
      { tenant: 'acme-corp', feature: 'b', tokens: 5, timestamp: at(60_000) },
      { tenant: 'acme-corp', feature: 'a', tokens: 7, timestamp: at(3_605_000) },
    ]);
    const day = await get(app.url, '/api/usage/acme-corp/series?bucket=day');
    expect(day.status).toBe(200);
    expect(day.body).toMatchObject({ tenant: 'acme-corp', bucket: 'day', timezone: 'UTC', quota: 1000, periodStart: usage.periodStart, periodEnd: usage.periodEnd });
    const days = day.body.points as { t: string; tokens: number; cumulative: number }[];
    expect(days[0]!.t).toBe(usage.periodStart);
    // one point per local day up to today, none in the future
    expect(days.length).toBe(Math.floor((Date.now() - start) / 86_400_000) + 1);
    expect(days.reduce((s, p) => s + p.tokens, 0)).toBe(22);
    expect(days.at(-1)!.cumulative).toBe(22);

    const hour = await get(app.url, '/api/usage/acme-corp/series?bucket=hour');
    const hours = hour.body.points as { t: string; tokens: number; cumulative: number }[];
    // (on the first hour of a period, everything is still in its first hour)
    expect(hours[0]!.tokens).toBe(Date.now() - start > 3_606_000 ? 15 : 22);
    expect(hours.at(-1)!.cumulative).toBe(22);
    expect(hours.every((p, i) => i === 0 || p.cumulative === hours[i - 1]!.cumulative + p.tokens)).toBe(true);
  });

  test('days are counted in the tenant time zone', async () => {
    const { body } = await get(app.url, '/api/usage/tokyo-kk/series?bucket=day');
    // local midnight in Tokyo is 15:00 UTC
    for (const p of body.points) expect(new Date(p.t).getUTCHours()).toBe(15);
    expect(body.points[0].t).toBe(body.periodStart);
  });

  test('usage compacted into hourly rollups is still in the series', async () => {
    // tick() moves minute rollups older than a few days into tenant-local hours
    await db.pool.query(`
      insert into flagmeter.rollups_hourly (tenant_id, hour, feature, tokens, event_count)
      select t.id, p.period_start, 'old', 40, 2 from flagmeter.tenants t
      cross join lateral flagmeter.billing_period(t.billing_day, t.timezone, now()) p where t.slug = 'compacted-co'`);
    await post(app.url, { tenant: 'compacted-co', feature: 'new', tokens: 2 });
    for (const bucket of ['hour', 'day']) {
      const { body } = await get(app.url, `/api/usage/compacted-co/series?bucket=${bucket}`);
      expect(body.points[0].tokens).toBeGreaterThanOrEqual(40);
      expect(body.points.at(-1).cumulative).toBe(42);
    }
  });

  test('defaults to days; a tenant without events gets zeros, not an empty series', async () => {
    const { status, body } = await get(app.url, '/api/usage/quiet-co/series');
    expect(status).toBe(200);
    expect(body.bucket).toBe('day');
    expect(body.points.length).toBeGreaterThan(0);
    expect(body.points.every((p: { tokens: number }) => p.tokens === 0)).toBe(true);
  });

  test('a bad bucket is a 400, an unknown tenant a 404', async () => {
    const bad = await get(app.url, '/api/usage/acme-corp/series?bucket=week');
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatchObject({ code: 'invalid_request', details: [expect.objectContaining({ field: 'bucket' })] });
    expect((await get(app.url, '/api/usage/acme-corp/series?bucket=day&bucket=hour')).status).toBe(400);
    const unknown = await get(app.url, '/api/usage/nobody/series');
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe('unknown_tenant');
  });
});

/** Reads server-sent events from /api/stream until `until` returns true. */
async function readStream(url: string, until: (events: { event: string; data: any }[]) => boolean, onOpen?: () => Promise<unknown>) {
  const ac = new AbortController();
  const res = await fetch(`${url}/api/stream`, { signal: ac.signal });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
  const events: { event: string; data: any }[] = [];
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  let opened = false;
  try {
    while (!until(events)) {
      const { value, done } = await reader.read();
      if (done) return { events, ended: true };
      buffer += value;
      let i;
      while ((i = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, i);
        buffer = buffer.slice(i + 2);
        const event = /^event: (.*)$/m.exec(block)?.[1];
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (event && data) events.push({ event, data: JSON.parse(data) });
      }
      if (!opened && events.length && onOpen) {
        opened = true;
        await onOpen();
      }
    }
    return { events, ended: false };
  } finally {
    ac.abort();
  }
}

describe('GET /api/stream', () => {
  test('starts with a snapshot of every tenant, then sends only the tenants that changed', async () => {
    const { events } = await readStream(app.url, (ev) => ev.some((e) => e.event === 'changes'),
      () => post(app.url, { tenant: 'quiet-co', feature: 'x', tokens: 3 }));
    expect(events[0]!.event).toBe('snapshot');
    expect(events[0]!.data.tenants.map((t: { tenant: string }) => t.tenant)).toEqual(['acme-corp', 'compacted-co', 'quiet-co', 'tokyo-kk']);
    const changes = events.find((e) => e.event === 'changes')!;
    expect(changes.data).toEqual({ tenants: [expect.objectContaining({ tenant: 'quiet-co', totalTokens: 3 })], removed: [] });
  });

  test('ends open streams when the app shuts down', async () => {
    const other = await startTestApp(db.url);
    const started = Date.now();
    const { ended, events } = await readStream(other.url, () => false, async () => { void other.stop(); });
    expect(events[0]!.event).toBe('snapshot');
    expect(ended).toBe(true);
    expect(Date.now() - started).toBeLessThan(1000);
    await other.stop();
  });

  test('a slow usage query spaces the polls out (at most a fifth of the time spent querying)', async () => {
    const queries: number[] = [];
    // listUsage taking 500 ms, as it does with hundreds of busy tenants
    const slow = new Proxy(db.pool, {
      get: (pool, prop) => (prop === 'query'
        ? async (...args: unknown[]) => {
          queries.push(Date.now());
          await new Promise((r) => setTimeout(r, 500));
          return (pool.query as (...a: unknown[]) => unknown)(...args);
        }
        : Reflect.get(pool, prop)),
    });
    const state = { shuttingDown: false };
    const site = express().use(authenticate(undefined)).use('/api', usageStream({ pool: slow, log: silentLog, state, keys: undefined }));
    const server = http.createServer(site).listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    try {
      const ac = new AbortController();
      const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/api/stream`, { signal: ac.signal });
      expect(res.status).toBe(200);
      // polls 500 ms apart would have started their third query by now; spaced out, the second is due at 2.5 s
      await new Promise((r) => setTimeout(r, 2200));
      ac.abort();
      expect(queries).toHaveLength(1);
    } finally {
      state.shuttingDown = true;
      server.closeAllConnections();
      server.close();
    }
  });
});

describe('static files', () => {
  // A site of its own on a temp build: web/dist belongs to the browser test running alongside.
  async function serve(dir: string, fn: (base: string) => Promise<void>): Promise<void> {
    const site = express().use(staticSite(dir)).use(notFound).use(errorHandler(silentLog));
    const server = http.createServer(site).listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    try {
      await fn(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    } finally {
      server.close();
      await rm(dir, { recursive: true, force: true });
    }
  }

  test('index.html is revalidated, hashed assets are cached for a year', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'flagmeter-web-'));
    await buildWeb(dir);
    await serve(dir, async (base) => {
      const page = await fetch(`${base}/`);
      expect(page.status).toBe(200);
      expect(page.headers.get('cache-control')).toBe('no-cache');
      const html = await page.text();
      const js = /src="(\/assets\/app-[A-Z0-9]+\.js)"/.exec(html)?.[1];
      expect(js).toBeDefined();
      const asset = await fetch(`${base}${js}`);
      expect(asset.status).toBe(200);
      expect(asset.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
      expect(asset.headers.get('content-type')).toMatch(/javascript/);
      expect((await fetch(`${base}${js}.map`)).status).toBe(200);
      const missing = await fetch(`${base}/assets/nope-123.js`);
      expect(missing.status).toBe(404);
      expect((await missing.json()).error.code).toBe('not_found');
    });
  });

  test('without a build, / says how to make one', async () => {
    await serve(await mkdtemp(path.join(os.tmpdir(), 'flagmeter-web-')), async (base) => {
      const res = await fetch(`${base}/`);
      expect(res.status).toBe(503);
      expect(await res.text()).toMatch(/npm run build:web/);
    });
  });
});
