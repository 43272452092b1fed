// GET /api/usage/:tenant/query against the raw events it summarises: random ranges, windows,
// groupings and filters over history that crosses two DST fall-backs, billing-day boundaries and a
// tenant's change of time zone, compacted as in production. Every answer — JSON, and CSV parsed by
// csv-parse — equals a direct SQL sum over flagmeter.events; every refusal is one of the documented
// 400s. No rollup is trusted: the raw rows are the reference.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { parse } from 'csv-parse/sync';
import fc from 'fast-check';
import { insertEvents, type EventRow } from '../../server/db/events.ts';
import { startTestApp } from '../helpers/app.ts';
import { addTenants, createTestDb, type TestDb } from '../helpers/db.ts';
import type { FlagMeter } from '../../server/runtime.ts';
import { mulberry32 } from '../../loadtest/lib/prng.ts';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const FEATURES = ['gpt-4o', 'claude, "sonnet"', 'embed\nv3'];
const USERS = ['alice', 'bob', 'Doe, "Jane"', 'multi\nline', 'zoë'];

// Two fall-backs (US on 2026-11-01 06:00Z, EU on 2026-10-25 01:00Z), billing days that fall on and
// near them, and a tenant that moves from Los Angeles to Kolkata (a :30 offset) mid-history.
const TENANTS = [
  { slug: 'ny', timezone: 'America/New_York', billingDay: 1, focus: Date.parse('2026-11-01T06:00:00Z') },
  { slug: 'berlin', timezone: 'Europe/Berlin', billingDay: 25, focus: Date.parse('2026-10-25T01:00:00Z') },
  { slug: 'moves', timezone: 'America/Los_Angeles', billingDay: 10, focus: Date.parse('2026-11-01T09:00:00Z') },
  { slug: 'utc', timezone: 'UTC', billingDay: 15, focus: Date.parse('2026-11-15T00:00:00Z') },
];
const ZONES = ['UTC', 'Asia/Kolkata', 'America/New_York', 'Europe/Berlin'];

let db: TestDb;
let app: FlagMeter;
let ids: Record<string, number>;
const now = Date.now();
/** The window of history the events span (within the partitions ensure_event_partitions made). */
const historyStart = now - 45 * DAY;


/** When the tenant `moves` changes zone: its events before are stored in Los Angeles' days, after in Kolkata's. */
const moveAt = now - 18 * DAY;

function events(tenantId: number, focus: number, n: number, seed: number, lo = historyStart, hi = now): EventRow[] {
  const rnd = mulberry32(seed);
  const rows: EventRow[] = [];
  for (let i = 0; i < n; i++) {
    const r = rnd();
    // a third around the DST change / billing day, a fifth in the last three days (still minute
    // rollups), the rest anywhere in the history; seconds included, so minutes truncate
    const at = r < 0.35 ? focus + (rnd() - 0.5) * 60 * HOUR
      : r < 0.55 ? hi - rnd() * 3 * DAY
        : lo + rnd() * (hi - lo);
    const user = rnd() < 0.3 ? null : USERS[Math.floor(rnd() * USERS.length)]!;
    rows.push({ id: randomUUID(), tenantId, feature: FEATURES[Math.floor(rnd() * FEATURES.length)]!, tokens: 1 + Math.floor(rnd() * 1000), occurredAt: new Date(Math.min(Math.max(at, lo), hi - 1000)).toISOString(), key: null, user });
  }
  return rows;
}

async function insertAll(rows: EventRow[]) {
  for (let i = 0; i < rows.length; i += 250) await insertEvents(db.pool, rows.slice(i, i + 250));
}

beforeAll(async () => {
  db = await createTestDb();
  ids = await addTenants(db.pool, TENANTS);
  let seed = 1;
  for (const t of TENANTS) await insertAll(events(ids[t.slug]!, t.focus, 1500, seed++, historyStart, t.slug === 'moves' ? moveAt : now));
  // minute rollups older than three days become tenant-local hours, as the minute job does
  await db.pool.query(`select flagmeter.tick(now(), null, '13 months', '3 days')`);
  // the tenant moves east; new history lands in the new zone's days, and is compacted on its :30 hours
  await db.pool.query(`update flagmeter.tenants set timezone = 'Asia/Kolkata' where slug = 'moves'`);
  await insertAll(events(ids.moves!, moveAt + 2 * DAY, 1500, 99, moveAt, now));
  await db.pool.query(`select flagmeter.tick(now(), null, '13 months', '3 days')`);
  app = await startTestApp(db.url);
}, 60_000);
afterAll(async () => {
  await app?.stop();
  await db.drop();
});

interface Q { tenant: string; window: string; groupBy: string[]; feature?: string; user?: string; tz?: string; from?: string; to?: string }

const search = (q: Q, extra: Record<string, string> = {}) => {
  const p = new URLSearchParams({ window: q.window, ...extra });
  if (q.groupBy.length) p.set('groupBy', q.groupBy.join(','));
  for (const k of ['feature', 'user', 'tz', 'from', 'to'] as const) if (q[k] !== undefined) p.set(k, q[k]!);
  return `${app.url}/api/usage/${q.tenant}/query?${p}`;
};

/** What the events table says, counted as the rollups count (each event at the start of its UTC minute). */
async function fromEvents(tenant: string, r: { from: string; to: string; window: string; timezone: string }, q: Q) {
  const { rows } = await db.pool.query(`
    select to_char(greatest(ws, $3::timestamptz) at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as "windowStart",
           to_char(least(date_add(ws, ('1 ' || $5::text)::interval, $2::text), $4::timestamptz) at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as "windowEnd",
           feature, end_user as "user", sum(tokens)::bigint as tokens, count(*)::bigint as events
    from (
      select date_trunc($5::text, date_trunc('minute', e.occurred_at, 'UTC'), $2::text) as ws,
        case when $6::boolean then e.feature end as feature, case when $7::boolean then e.end_user end as end_user, e.tokens
      from flagmeter.events e
      where e.tenant_id = $1::bigint
        and date_trunc('minute', e.occurred_at, 'UTC') >= $3::timestamptz and date_trunc('minute', e.occurred_at, 'UTC') < $4::timestamptz
        and ($8::text is null or e.feature = $8::text) and ($9::text is null or e.end_user = $9::text)
    ) x
    group by ws, feature, end_user
    order by ws, feature nulls first, end_user nulls last`,
  [ids[tenant], r.timezone, r.from, r.to, r.window, q.groupBy.includes('feature'), q.groupBy.includes('user'), q.feature ?? null, q.user ?? null]);
  return rows.map((row) => ({
    windowStart: row.windowStart, windowEnd: row.windowEnd,
    ...(q.groupBy.includes('feature') ? { feature: row.feature } : {}),
    ...(q.groupBy.includes('user') ? { user: row.user } : {}),
    tokens: row.tokens, events: row.events,
  }));
}

const asCsvRecords = (rows: Record<string, unknown>[]) =>
  rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, v === null ? '' : String(v)])));

const REFUSALS = new Set(['window_too_fine', 'range_cuts_rollup', 'user_needs_days', 'too_many_windows']);
const seen = { sources: new Map<string, number>(), refusals: new Map<string, number>(), rows: 0 };
const count = (m: Map<string, number>, k: string) => m.set(k, (m.get(k) ?? 0) + 1);

/** Asks JSON and CSV; on 200 both must equal the events table, on 400 the refusal must be a documented one. */
async function check(q: Q): Promise<{ status: number; body: any }> {
  const res = await fetch(search(q));
  const body = await res.json();
  if (res.status === 400) {
    expect({ q, code: body.error.code, ok: REFUSALS.has(body.error.code) }).toEqual({ q, code: body.error.code, ok: true });
    count(seen.refusals, body.error.code);
    return { status: res.status, body };
  }
  expect({ q, status: res.status, body: res.status === 200 ? 'ok' : body }).toEqual({ q, status: 200, body: 'ok' });
  count(seen.sources, body.source);
  seen.rows += body.rows.length;
  const expected = await fromEvents(q.tenant, body, q);
  expect({ q, source: body.source, rows: body.rows }).toEqual({ q, source: body.source, rows: expected });

  // the same query as CSV, once by Accept and once by format=csv
  const csvRes = Math.random() < 0.5
    ? await fetch(search(q), { headers: { accept: 'text/csv' } })
    : await fetch(search(q, { format: 'csv' }));
  expect(csvRes.status).toBe(200);
  expect(csvRes.headers.get('content-type')).toMatch(/^text\/csv/);
  const text = await csvRes.text();
  const header = ['windowStart', 'windowEnd', ...(q.groupBy.includes('feature') ? ['feature'] : []), ...(q.groupBy.includes('user') ? ['user'] : []), 'tokens', 'events'];
  expect(text.startsWith(`${header.join(',')}\r\n`)).toBe(true);
  expect({ q, csv: parse(text, { columns: true }) }).toEqual({ q, csv: asCsvRecords(expected) });
  return { status: 200, body };
}

const localDate = (t: number, tz: string) => new Intl.DateTimeFormat('en-CA', { timeZone: tz, year: 'numeric', month: '2-digit', day: '2-digit' }).format(t);

describe('the query API agrees with the raw events', () => {
  test('random ranges, windows, groupings, filters and zones', async () => {
    const tenant = fc.constantFrom(...TENANTS);
    const query = fc.record({
      t: tenant,
      window: fc.constantFrom('minute', 'hour', 'hour', 'day', 'day', 'day', 'month'),
      groupBy: fc.constantFrom([], ['feature'], ['feature'], ['user'], ['feature', 'user']),
      // mostly unfiltered, sometimes one feature or one user; mostly the tenant's own zone
      feature: fc.oneof({ arbitrary: fc.constant(null), weight: 3 }, { arbitrary: fc.constantFrom(...FEATURES), weight: 1 }),
      user: fc.oneof({ arbitrary: fc.constant(null), weight: 6 }, { arbitrary: fc.constantFrom(...USERS), weight: 1 }),
      tz: fc.oneof({ arbitrary: fc.constant(null), weight: 2 }, { arbitrary: fc.constantFrom(...ZONES), weight: 1 }),
      kind: fc.constantFrom('default', 'dates', 'dates', 'hours', 'minutes', 'focus-dates'),
      start: fc.double({ min: 0, max: 1, noNaN: true }),
      length: fc.double({ min: 0, max: 1, noNaN: true }),
    });
    await fc.assert(fc.asyncProperty(query, async (g) => {
      const q: Q = { tenant: g.t.slug, window: g.window, groupBy: [...g.groupBy] };
      if (g.feature !== null) q.feature = g.feature;
      if (g.user !== null) q.user = g.user;
      if (g.tz !== null) q.tz = g.tz;
      const zone = q.tz ?? (g.t.slug === 'moves' ? 'Asia/Kolkata' : g.t.timezone);
      const maxSpan = { minute: 2 * DAY, hour: 30 * DAY, day: 45 * DAY, month: 60 * DAY }[g.window]!;
      const span = Math.max(g.window === 'minute' ? 60_000 : HOUR, g.length * maxSpan);
      if (g.kind === 'dates' || g.kind === 'focus-dates') {
        const from = g.kind === 'dates' ? historyStart + g.start * 40 * DAY : g.t.focus - DAY;
        q.from = localDate(from, zone);
        q.to = localDate(from + Math.max(DAY, span), zone);
        if (q.to === q.from) q.to = localDate(from + 1.5 * DAY, zone);
      } else if (g.kind === 'hours') {
        const from = Math.floor((historyStart + g.start * 44 * DAY) / HOUR) * HOUR;
        q.from = new Date(from).toISOString();
        q.to = new Date(from + Math.ceil(span / HOUR) * HOUR).toISOString();
      } else if (g.kind === 'minutes') {
        const from = Math.floor((now - 4 * DAY + g.start * 4 * DAY) / 60_000) * 60_000;
        q.from = new Date(from).toISOString();
        q.to = new Date(from + Math.ceil(Math.min(span, 2 * DAY) / 60_000) * 60_000).toISOString();
      }
      const r = await check(q);
      // a bare date is local midnight in the query's zone
      if (r.status === 200 && q.from && !q.from.includes('T')) {
        const { rows: [m] } = await db.pool.query(`select ($1::date::timestamp at time zone $2::text) as at`, [q.from, zone]);
        expect(r.body.from).toBe(m.at.toISOString());
      }
    }), { numRuns: 250, seed: 1616 });
    process.stderr.write(`query runs: ${JSON.stringify({ sources: Object.fromEntries(seen.sources), refusals: Object.fromEntries(seen.refusals), rows: seen.rows })}\n`);
    // the runs reached every rollup and the refusals the data calls for
    expect([...seen.sources.keys()].sort()).toEqual(['daily', 'daily-users', 'minute-hourly']);
    expect(seen.refusals.get('window_too_fine')).toBeGreaterThan(0);
    const answered = [...seen.sources.values()].reduce((a, b) => a + b, 0);
    expect(answered).toBeGreaterThan(80);
    expect(seen.rows).toBeGreaterThan(1500);
  }, 240_000);

  test('across the New York fall-back: hours are refused (one compacted row holds both 01:00 hours), days and the period answer exactly', async () => {
    const hours = await check({ tenant: 'ny', window: 'hour', groupBy: ['feature'], from: '2026-10-31T00:00:00Z', to: '2026-11-03T00:00:00Z', tz: 'America/New_York' });
    expect(hours.status).toBe(400);
    expect(hours.body.error.message).toMatch(/DST fall-back/);
    expect(hours.body.error.message).toContain('2026-11-01T06:00:00.000Z');
    const days = await check({ tenant: 'ny', window: 'day', groupBy: ['feature'], from: '2026-10-28', to: '2026-11-04' });
    expect(days.body.source).toBe('daily');
    expect(days.body.rows.some((r: any) => r.windowStart === '2026-11-01T04:00:00.000Z' && r.windowEnd === '2026-11-02T05:00:00.000Z')).toBe(true);
    // the billing period that starts on the day of the change, by user
    const period = await check({ tenant: 'ny', window: 'month', groupBy: ['user'], from: '2026-11-01', to: '2026-12-01' });
    expect(period.body.source).toBe('daily-users');
    expect(period.body.rows.some((r: any) => r.user === null)).toBe(true);
    // hours in UTC away from the change are whole compacted rows: they answer
    const utcHours = await check({ tenant: 'ny', window: 'hour', groupBy: [], from: '2026-11-05T00:00:00Z', to: '2026-11-07T00:00:00Z', tz: 'UTC' });
    expect(utcHours.body.source).toBe('minute-hourly');
  });

  test('minutes: answered while the minute rollups hold them, refused (saying until when) once compacted', async () => {
    const recent = Math.floor((now - DAY) / 60_000) * 60_000;
    const ok = await check({ tenant: 'berlin', window: 'minute', groupBy: ['feature'], from: new Date(recent).toISOString(), to: new Date(recent + 6 * HOUR).toISOString() });
    expect(ok.body.source).toBe('minute-hourly');
    const old = await check({ tenant: 'berlin', window: 'minute', groupBy: [], from: '2026-10-24T00:00:00Z', to: '2026-10-25T12:00:00Z' });
    expect(old.status).toBe(400);
    expect(old.body.error.message).toMatch(/window=minute is too fine for this range: usage there is kept per hour .*minute detail is kept from \d{4}-/);
  });

  test('the tenant that changed zone: days far from the change come from the daily rows of their zone; per user near it is refused', async () => {
    const far = await check({ tenant: 'moves', window: 'day', groupBy: ['feature', 'user'], from: localDate(now - 8 * DAY, 'Asia/Kolkata'), to: localDate(now - DAY, 'Asia/Kolkata') });
    expect(far.body.source).toBe('daily-users');
    // days before the move were stored in Los Angeles' days: the Kolkata day cannot come from them
    const near = await check({ tenant: 'moves', window: 'day', groupBy: ['user'], from: localDate(moveAt - 5 * DAY, 'Asia/Kolkata'), to: localDate(moveAt + 5 * DAY, 'Asia/Kolkata') });
    expect(near.status).toBe(400);
    expect(near.body.error.code).toBe('user_needs_days');
    // in the old zone, its own days before the move answer
    const old = await check({ tenant: 'moves', window: 'day', groupBy: ['feature', 'user'], tz: 'America/Los_Angeles', from: localDate(historyStart + DAY, 'America/Los_Angeles'), to: localDate(moveAt - 3 * DAY, 'America/Los_Angeles') });
    expect(old.body.source).toBe('daily-users');
  });
});
