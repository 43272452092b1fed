// Past billing periods and statements over HTTP, CSV that round-trips awkward names, the bad input
// the reporting routes refuse, tenant-bound keys, and an export whose client goes away.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { parse } from 'csv-parse/sync';
import { insertEvents, type EventRow } from '../../server/db/events.ts';
import { usageBody } from '../../server/db/usage.ts';
import { post, startTestApp } from '../helpers/app.ts';
import { addTenants, createTestDb, type TestDb } from '../helpers/db.ts';
import { waitUntil } from '../helpers/net.ts';
import type { FlagMeter } from '../../server/runtime.ts';

const DAY = 86_400_000;
const ADMIN = 'fm_live_reportadmin1_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';
let db: TestDb;
let app: FlagMeter;
let ids: Record<string, number>;

// feature names are read by people (no control characters: server/core/fields.ts label); end users
// are opaque text, so the line breaks travel in those
const AWKWARD = ['comma, inside', 'a "quoted" name', '=1+2', ' spaced ', '"', 'semi; colon'];
// end users are names people read (one line: a newline is refused on the way in, tests/ingest/names.test.ts)
const AWKWARD_USERS = ['comma, inside', 'a "quoted" name', 'semi; colon, "both"', 'ünïcödé', '=1+2', ' spaced '];

beforeAll(async () => {
  db = await createTestDb();
  ids = await addTenants(db.pool, [
    { slug: 'stmt', timezone: 'Europe/Berlin', billingDay: 7, quota: 400_000 },
    { slug: 'awkward' },
    { slug: 'big' },
    { slug: 'other' },
  ]);
  app = await startTestApp(db.url, { FLAGMETER_AUTH: 'true', FLAGMETER_ADMIN_KEY: ADMIN });
}, 30_000);
afterAll(async () => {
  await app?.stop();
  await db.drop();
});

const auth = { authorization: `Bearer ${ADMIN}` };
async function get(path: string, headers: Record<string, string> = {}) {
  const res = await fetch(`${app.url}${path}`, { headers: { ...auth, ...headers } });
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, body: res.headers.get('content-type')?.includes('json') && text ? JSON.parse(text) : undefined };
}

/** Events spread over the last ~70 days (three or four periods), with users and anonymous ones. */
function history(tenantId: number, n: number): EventRow[] {
  const now = Date.now();
  return Array.from({ length: n }, (_, i) => ({
    id: randomUUID(), tenantId, feature: ['gpt-4o', 'mini'][i % 2]!, tokens: 100 + (i * 37) % 900,
    occurredAt: new Date(now - ((i * 7_919_993) % (70 * DAY))).toISOString(), key: null, user: i % 4 === 0 ? null : `user-${i % 7}`,
  }));
}

/** The keys of GET /api/usage/:tenant that a statement repeats (alerts there are the latest of any period). */
const usageKeys = ['tenant', 'tenantName', 'totalTokens', 'monthlyQuota', 'quotaPercent', 'eventCount', 'periodStart', 'periodEnd', 'billingDay', 'timezone', 'features'] as const;
const pick = (o: Record<string, unknown>) => Object.fromEntries(usageKeys.map((k) => [k, o[k]]));

describe('past periods', () => {
  beforeAll(async () => {
    for (const batch of [history(ids.stmt!, 3000)]) {
      for (let i = 0; i < batch.length; i += 500) await insertEvents(db.pool, batch.slice(i, i + 500));
    }
    // alerts for the current period (the quota is small), then compaction of everything older than a day
    await db.pool.query(`select flagmeter.tick(now(), null, '13 months', '1 day')`);
  });

  test('the list runs from the period of the first event to the current one, and each period sums its raw events', async () => {
    const r = await get('/api/tenants/stmt/periods');
    expect(r.status).toBe(200);
    const periods = r.body.periods as any[];
    expect(periods.length).toBeGreaterThanOrEqual(3);
    expect(periods.at(-1).current).toBe(true);
    expect(periods.filter((p) => p.current)).toHaveLength(1);
    for (let i = 1; i < periods.length; i++) expect(periods[i].periodStart).toBe(periods[i - 1].periodEnd);
    const { rows: [first] } = await db.pool.query(`select min(occurred_at) as at from flagmeter.events where tenant_id = $1`, [ids.stmt]);
    expect(Date.parse(periods[0].periodStart)).toBeLessThanOrEqual(first.at.getTime());
    expect(Date.parse(periods[0].periodEnd)).toBeGreaterThan(first.at.getTime());
    for (const p of periods) {
      const { rows: [raw] } = await db.pool.query(`
        select coalesce(sum(tokens), 0)::bigint as tokens, count(*)::bigint as events from flagmeter.events
        where tenant_id = $1 and date_trunc('minute', occurred_at, 'UTC') >= $2 and date_trunc('minute', occurred_at, 'UTC') < $3`, [ids.stmt, p.periodStart, p.periodEnd]);
      expect({ start: p.periodStart, tokens: p.tokens, events: p.eventCount }).toEqual({ start: p.periodStart, tokens: raw.tokens, events: raw.events });
      expect(p.overageTokens).toBe(Math.max(0, p.tokens - p.quota));
    }
    // the current period crossed the thresholds; tick() raised one alert per threshold
    const current = periods.at(-1);
    expect(current.thresholdsCrossed).toEqual(current.percent >= 100 ? [80, 100] : current.percent >= 80 ? [80] : []);
    expect(current.alertsRaised).toBe(current.thresholdsCrossed.length);

    const csv = await get('/api/tenants/stmt/periods', { accept: 'text/csv' });
    expect(csv.headers.get('content-type')).toMatch(/^text\/csv/);
    const records = parse(csv.text, { columns: true }) as Record<string, string>[];
    expect(records.map((x) => [x.periodStart, Number(x.tokens), x.current])).toEqual(periods.map((p) => [p.periodStart, p.tokens, String(p.current)]));
  });

  test('a past period\'s statement equals what GET /api/usage/:tenant said while that period was current', async () => {
    const { body: { periods } } = await get('/api/tenants/stmt/periods');
    for (const p of periods.filter((x: any) => !x.current && x.tokens > 0)) {
      // the usage body computed at the last second of that period: every one of its events was in by then
      const then = JSON.parse((await usageBody(db.pool, 'stmt', new Date(Date.parse(p.periodEnd) - 1000)))!);
      const statement = await get(`/api/tenants/stmt/periods/${p.periodStart}`);
      expect(statement.status).toBe(200);
      expect(pick(statement.body)).toEqual(pick(then));
      expect(statement.body.current).toBe(false);
      // the days and the users add up to the total
      expect(statement.body.days.reduce((a: number, d: any) => a + d.tokens, 0)).toBe(then.totalTokens);
      const { rows: users } = await db.pool.query(`
        select end_user as "user", sum(tokens)::bigint as tokens, count(*)::bigint as "eventCount" from flagmeter.events
        where tenant_id = $1 and date_trunc('minute', occurred_at, 'UTC') >= $2 and date_trunc('minute', occurred_at, 'UTC') < $3
        group by 1 order by 2 desc, 1 nulls last`, [ids.stmt, p.periodStart, p.periodEnd]);
      expect(statement.body.topUsers.map(({ percent: _p, ...u }: any) => u)).toEqual(users.slice(0, 20));
      // by its local start date too
      const local = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Berlin' }).format(new Date(p.periodStart));
      expect(pick((await get(`/api/tenants/stmt/periods/${local}`)).body)).toEqual(pick(then));
    }
  });

  test('the current period\'s statement equals GET /api/usage/:tenant now, and its CSV adds up', async () => {
    const usage = (await get('/api/usage/stmt')).body;
    const statement = await get(`/api/tenants/stmt/periods/${usage.periodStart}`);
    expect(pick(statement.body)).toEqual(pick(usage));
    expect(statement.body.current).toBe(true);
    expect(statement.body.alerts).toEqual(usage.alerts.filter((a: any) => a.periodStart === usage.periodStart));

    const csv = await get(`/api/tenants/stmt/periods/${usage.periodStart}?format=csv`);
    const rows = parse(csv.text, { columns: true }) as Record<string, string>[];
    const sum = (section: string) => rows.filter((r) => r.section === section).reduce((a, r) => a + Number(r.tokens), 0);
    expect(rows[0]).toMatchObject({ section: 'total', tokens: String(usage.totalTokens) });
    for (const section of ['feature', 'day', 'user']) expect({ section, sum: sum(section) }).toEqual({ section, sum: usage.totalTokens });
  });
});

/** What the CSV holds for a name: a ' in front of one a spreadsheet would run as a formula (CSV_ESCAPE_FORMULAS). */
const guarded = (name: string) => (/^[=+\-@\t\r]/.test(name) ? `'${name}` : name);

describe('CSV', () => {
  test('names with commas, quotes and leading = survive a round trip through the API and a CSV parser; a leading = is guarded', async () => {
    const events = AWKWARD.flatMap((name, i) => [
      { tenant: 'awkward', feature: name, tokens: 10 + i, user: AWKWARD_USERS[i] },
      { tenant: 'awkward', feature: name, tokens: 100 + i },
    ]);
    expect((await post(app.url, events, auth)).status).toBe(201);
    const q = '/api/usage/awkward/query?window=month&groupBy=feature,user';
    const json = (await get(q)).body;
    expect(json.source).toBe('daily-users');
    const csv = await get(q, { accept: 'text/csv' });
    expect(csv.headers.get('content-disposition')).toMatch(/^attachment; filename="usage-awkward-/);
    const records = parse(csv.text, { columns: true, relax_quotes: false }) as Record<string, string>[];
    expect(records).toEqual(json.rows.map((r: any) => ({ ...r, feature: guarded(r.feature), user: guarded(r.user ?? ''), tokens: String(r.tokens), events: String(r.events) })));
    expect(new Set(records.map((r) => r.feature))).toEqual(new Set(AWKWARD.map(guarded)));
    expect(records.filter((r) => r.user !== '').map((r) => r.user).sort()).toEqual(AWKWARD_USERS.map(guarded).sort());
    expect(records.map((r) => r.feature)).toContain("'=1+2");
    // RFC 4180: CRLF between records; a header row
    expect(csv.text.split('\r\n')[0]).toBe('windowStart,windowEnd,feature,user,tokens,events');
  });
});

describe('bad input', () => {
  const code = async (path: string, headers: Record<string, string> = {}) => {
    const r = await get(path, headers);
    return { status: r.status, code: r.body?.error?.code, message: r.body?.error?.message as string };
  };

  test('each refusal says what to change', async () => {
    const cases: [string, number, string, RegExp][] = [
      ['/api/usage/stmt/query?from=2026-11-10&to=2026-11-01', 400, 'invalid_range', /from .* must be before to/],
      ['/api/usage/stmt/query?from=yesterday', 400, 'invalid_request', /from must be an ISO 8601 date-time/],
      ['/api/usage/stmt/query?from=2026-02-30', 400, 'invalid_time', /not a real time/],
      ['/api/usage/stmt/query?window=week', 400, 'invalid_request', /window must be one of minute, hour, day, month/],
      ['/api/usage/stmt/query?groupBy=feature,model', 400, 'invalid_request', /unknown groupBy field\(s\) model/],
      ['/api/usage/stmt/query?tz=Mars/Olympus', 400, 'invalid_request', /tz 'Mars\/Olympus' is not a time zone/],
      ['/api/usage/stmt/query?colour=red', 400, 'invalid_request', /unknown parameter\(s\): colour/],
      ['/api/usage/stmt/query?window=minute&from=2025-01-01&to=2026-01-01', 400, 'too_many_windows', /use a coarser window or a shorter range/],
      ['/api/usage/stmt/query?window=hour&groupBy=user', 400, 'user_needs_days', /need window=day or month/],
      ['/api/usage/stmt/query?window=minute&from=2026-11-20T00:00:00Z&to=2026-11-21T00:00:00Z', 400, 'window_too_fine', /window=minute is too fine/],
      ['/api/usage/nobody/query', 404, 'unknown_tenant', /No tenant 'nobody'/],
      ['/api/usage/stmt/query?format=xml', 400, 'invalid_request', /format must be json or csv/],
      ['/api/tenants/nobody/periods', 404, 'unknown_tenant', /nobody/],
      ['/api/tenants/stmt/periods/2020-01-07', 404, 'unknown_period', /GET \/api\/tenants\/stmt\/periods lists them/],
      ['/api/tenants/stmt/periods/2026-11-08', 404, 'unknown_period', /no billing period starting 2026-11-08/],
      ['/api/tenants/stmt/periods/last-month', 400, 'invalid_path_parameter', /a period start/],
    ];
    for (const [path, status, c, message] of cases) {
      const r = await code(path);
      expect({ path, status: r.status, code: r.code }).toEqual({ path, status, code: c });
      expect(r.message).toMatch(message);
    }
    // a CSV request refused before any row is sent gets the JSON error, not a broken file
    const csv = await get('/api/usage/stmt/query?from=2026-11-10&to=2026-11-01', { accept: 'text/csv' });
    expect(csv.status).toBe(400);
    expect(csv.headers.get('content-type')).toMatch(/json/);
  });

  test('a tenant-bound key reads its own tenant only; a key without read is refused', async () => {
    const make = async (scopes: string[], tenant?: string) => {
      const res = await fetch(`${app.url}/api/keys`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ name: `k-${scopes}-${tenant}`, scopes, ...(tenant ? { tenant } : {}) }) });
      return ((await res.json()) as { key: string }).key;
    };
    const own = { authorization: `Bearer ${await make(['read'], 'other')}` };
    for (const path of ['/api/usage/stmt/query', '/api/tenants/stmt/periods', '/api/tenants/stmt/periods/2026-11-07']) {
      expect({ path, ...(await code(path, own)) }).toMatchObject({ path, status: 403, code: 'forbidden_tenant' });
    }
    expect((await get('/api/usage/other/query', own)).status).toBe(200);
    expect((await get('/api/tenants/other/periods', own)).status).toBe(200);
    const ingestOnly = { authorization: `Bearer ${await make(['ingest'])}` };
    expect(await code('/api/usage/stmt/query', ingestOnly)).toMatchObject({ status: 403, code: 'forbidden' });
    expect((await fetch(`${app.url}/api/usage/stmt/query`)).status).toBe(401);
  });
});

describe('an export whose client goes away', () => {
  test('stops the query and gives the connection back', async () => {
    // 300,000 user rows: enough that the export is still running when the client leaves
    await db.pool.query(`
      insert into flagmeter.events (id, tenant_id, feature, tokens, occurred_at, end_user)
      select gen_random_uuid(), $1, 'f', 1, now() - interval '2 days' - (i % 20) * interval '1 day', 'u' || i
      from generate_series(1, 300000) i`, [ids.big]);
    const ac = new AbortController();
    const res = await fetch(`${app.url}/api/usage/big/query?window=day&groupBy=user&format=csv&from=${new Date(Date.now() - 40 * DAY).toISOString().slice(0, 10)}&to=${new Date(Date.now() + DAY).toISOString().slice(0, 10)}`, { headers: auth, signal: ac.signal });
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    let received = 0;
    while (received < 64 * 1024) received += (await reader.read()).value?.length ?? 0;
    ac.abort();
    await reader.cancel().catch(() => undefined);
    // the server notices, cancels or stops fetching, rolls back and returns the connection
    await waitUntil(async () => {
      const { rows } = await db.pool.query(`
        select count(*)::int as n from pg_stat_activity
        where datname = current_database() and pid <> pg_backend_pid() and application_name like 'flagmeter%'
          and state <> 'idle'`);
      return rows[0].n === 0;
    }, 10_000);
    await waitUntil(async () => app.reportingPool.idleCount === app.reportingPool.totalCount, 10_000);
    // well short of the whole file (300,000 rows of ~60 bytes)
    expect(received).toBeLessThan(10 * 1024 * 1024);
    // a client that leaves before the first row (while PostgreSQL sorts): the fetch is cancelled
    const early = new AbortController();
    const pending = fetch(`${app.url}/api/usage/big/query?window=day&groupBy=user&format=csv&from=${new Date(Date.now() - 40 * DAY).toISOString().slice(0, 10)}&to=${new Date(Date.now() + DAY).toISOString().slice(0, 10)}`, { headers: auth, signal: early.signal }).catch((err: Error) => err);
    await waitUntil(async () => (await db.pool.query(`select 1 from pg_stat_activity where pid <> pg_backend_pid() and state = 'active' and query ilike 'fetch forward % from fm_report_%'`)).rowCount! > 0, 10_000);
    early.abort();
    expect((await pending as Error).name).toBe('AbortError');
    await waitUntil(async () => (await db.pool.query(`select 1 from pg_stat_activity where datname = current_database() and application_name like 'flagmeter%' and pid <> pg_backend_pid() and state <> 'idle'`)).rowCount === 0, 10_000);
    await waitUntil(async () => app.reportingPool.idleCount === app.reportingPool.totalCount, 10_000);
    // and the server still answers; the same rows as JSON are too many, and it says what to do
    expect((await get('/api/usage/big/query?window=month')).status).toBe(200);
    const json = await get(`/api/usage/big/query?window=day&groupBy=user&from=${new Date(Date.now() - 40 * DAY).toISOString().slice(0, 10)}&to=${new Date(Date.now() + DAY).toISOString().slice(0, 10)}`);
    expect(json.status).toBe(400);
    expect(json.body.error).toMatchObject({ code: 'too_many_rows', message: expect.stringMatching(/more than 50,000 rows: ask for CSV/) });
  }, 60_000);
});
