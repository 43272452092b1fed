// The SQL of the usage query API, past periods and statements. Every read runs on one connection
// in a read-only REPEATABLE READ transaction, so the check that picks a rollup and the read it then
// makes see the same rows (a compaction committing in between cannot split them). Rows are read
// through a server-side cursor, a batch at a time, so an export of any length holds one batch in
// memory, and a caller that goes away stops the query.
import type pg from 'pg';
import type { Pool } from './pool.ts';
import { alertJson, isoUtc } from './alerts.ts';
import { periodSums, periodUsageFields } from './usage.ts';

export const WINDOWS = ['minute', 'hour', 'day', 'month'] as const;
export type Window = (typeof WINDOWS)[number];

/** Which rollup answers: rollups_daily, rollups_daily_users, or the minute rollups with the hourly ones (flagmeter.usage_buckets). */
export type Source = 'daily' | 'daily-users' | 'minute-hourly';

export interface QueryTenant {
  id: number; slug: string; name: string; timezone: string; billingDay: number;
  periodStart: Date; periodEnd: Date;
  /** The query's zone (tz, or the tenant's) and range, resolved in SQL. */
  tz: string; tzValid: boolean; from: Date | null; to: Date | null;
}

/**
 * The tenant and the query's range in one round trip. A bare date (2026-11-01) is local midnight in
 * the query's zone; a missing end is the current billing period's. Times arrive validated, so the
 * casts can only fail on a value out of range (e.g. February 30), reported as a 400 by the caller.
 */
const resolveSql = `
select t.id, t.slug, t.name, t.timezone, t.billing_day, p.period_start, p.period_end, z.tz, flagmeter.is_timezone(z.tz) as tz_valid,
  case when not flagmeter.is_timezone(z.tz) then null
       when $2::text is null then p.period_start
       when $2::text ~ '^\\d{4}-\\d{2}-\\d{2}$' then $2::text::date::timestamp at time zone z.tz
       else $2::text::timestamptz end as range_from,
  case when not flagmeter.is_timezone(z.tz) then null
       when $3::text is null then p.period_end
       when $3::text ~ '^\\d{4}-\\d{2}-\\d{2}$' then $3::text::date::timestamp at time zone z.tz
       else $3::text::timestamptz end as range_to
from flagmeter.tenants t
cross join lateral flagmeter.billing_period(t.billing_day, t.timezone, now()) p
cross join lateral (select coalesce($4::text, t.timezone) as tz) z
where t.slug = $1::text`;

export async function resolveQueryTenant(client: pg.ClientBase, slug: string, from: string | undefined, to: string | undefined, tz: string | undefined): Promise<QueryTenant | undefined> {
  const { rows: [r] } = await client.query(resolveSql, [slug, from ?? null, to ?? null, tz ?? null]);
  return r && {
    id: r.id, slug: r.slug, name: r.name, timezone: r.timezone, billingDay: r.billing_day,
    periodStart: r.period_start, periodEnd: r.period_end, tz: r.tz, tzValid: r.tz_valid, from: r.range_from, to: r.range_to,
  };
}

/** flagmeter.daily_rows_answer: whether the daily rollups sum [from, to) in tz exactly. */
export async function dailyRowsAnswer(client: pg.ClientBase, tenantId: number, tz: string, from: Date, to: Date): Promise<boolean> {
  const { rows: [r] } = await client.query<{ ok: boolean }>(
    'select flagmeter.daily_rows_answer($1::bigint, $2::text, $3::timestamptz, $4::timestamptz) as ok', [tenantId, tz, from, to]);
  return r!.ok;
}

export interface HourlyMisfit {
  hour: Date;
  /** No zone the tenant had near the range puts an hour boundary there (the zone changed since it was compacted). */
  offGrid: boolean;
  /** from or to falls inside the hour the row holds. */
  cutsRange: boolean;
  /** A window boundary of the query falls inside it (the window is finer than an hour, or the zone's hours do not line up). */
  cutsWindow: boolean;
}

// The hourly rollups answer exactly only where each row's hour lies wholly inside one window and
// wholly inside or outside [from, to). An hourly row is a local hour of the zone the tenant had when
// tick() compacted it, which is not recorded: every zone the tenant had near the range (its daily
// rows say which) and its zone today are tried, and a row must fit under each zone whose hour grid
// it lies on. At a DST fall-back, compaction maps both local 01:00 hours to one row at the later
// instant, so that row holds the hour before its start too.
const hourlyMisfitSql = `
with zones as (
  select array_agg(distinct z) as zs from (
    select t.timezone as z from flagmeter.tenants t where t.id = $1::bigint
    union
    select d.timezone from flagmeter.rollups_daily d
    where d.tenant_id = $1::bigint and d.day >= ($3::timestamptz at time zone 'UTC')::date - 2 and d.day < ($4::timestamptz at time zone 'UTC')::date + 2
  ) x
)
select h.hour, not c.on_grid as off_grid, coalesce(c.cuts_range, false) as cuts_range, coalesce(c.cuts_window, false) as cuts_window
from zones
cross join flagmeter.rollups_hourly h
cross join lateral (
  select bool_or(g.on_grid) as on_grid,
         bool_or(g.on_grid and not g.inside and not g.outside) as cuts_range,
         bool_or(g.on_grid and g.inside and date_trunc($5::text, g.cs, $2::text) <> date_trunc($5::text, g.ce - interval '1 minute', $2::text)) as cuts_window
  from (
    select s.on_grid, s.cs, s.ce, s.cs >= $3::timestamptz and s.ce <= $4::timestamptz as inside, s.ce <= $3::timestamptz or s.cs >= $4::timestamptz as outside
    from unnest(zones.zs) as z
    cross join lateral (
      select date_trunc('hour', h.hour at time zone z) = (h.hour at time zone z) as on_grid,
        case when date_trunc('hour', (h.hour - interval '1 hour') at time zone z) = (h.hour at time zone z)
          then h.hour - interval '1 hour' else h.hour end as cs,
        h.hour + interval '1 hour' as ce
    ) s
  ) g
) c
where h.tenant_id = $1::bigint and h.hour >= $3::timestamptz - interval '2 hours' and h.hour < $4::timestamptz + interval '1 hour'
  and ($6::text[] is null or h.feature = any($6::text[]))
  and (not c.on_grid or c.cuts_range or c.cuts_window)
order by h.hour
limit 1`;

export async function hourlyMisfit(client: pg.ClientBase, q: { tenantId: number; tz: string; from: Date; to: Date; window: Window; features: string[] | null }): Promise<HourlyMisfit | undefined> {
  const { rows: [r] } = await client.query(hourlyMisfitSql, [q.tenantId, q.tz, q.from, q.to, q.window, q.features]);
  return r && { hour: r.hour, offGrid: r.off_grid, cutsRange: r.cuts_range, cutsWindow: r.cuts_window };
}

/** The oldest minute rollup of the tenant still kept (older usage is in hourly rows), if any. */
export async function oldestMinute(client: pg.ClientBase, tenantId: number): Promise<Date | undefined> {
  const { rows: [r] } = await client.query<{ m: Date | null }>('select min(minute) as m from flagmeter.rollups where tenant_id = $1::bigint', [tenantId]);
  return r?.m ?? undefined;
}

export interface QueryParams {
  tenantId: number; tz: string; from: Date; to: Date; window: Window;
  byFeature: boolean; byUser: boolean; features: string[] | null; users: string[] | null;
}

export interface QueryRow { windowStart: string; windowEnd: string; feature: string | null; user: string | null; tokens: number; events: number }

// The three readers share their parameters: $1 tenant, $2 zone, $3 from, $4 to, $5 window,
// $6 group by feature, $7 group by user, $8 features, $9 users. A field not grouped by is a null
// constant in every row, so "group by" the same expression collapses it. Windows are clipped to
// [from, to); only windows with usage have rows. A reader that cannot serve a parameter still names
// it (a statement must use every parameter it is sent): the planner never sends it such a query.
const windowCols = `greatest(x.ws_at, $3::timestamptz) as ws, least(x.we_at, $4::timestamptz) as we`;
const outCols = `${isoUtc('ws')} as "windowStart", ${isoUtc('we')} as "windowEnd", feature, end_user as "user", tokens, events`;
const order = `order by ws, feature nulls first, end_user nulls last`;

const dailySql = `
select ${outCols} from (
  select ${windowCols}, x.feature, x.end_user, x.tokens, x.events from (
    select (ls at time zone $2::text) as ws_at, ((ls + ('1 ' || $5::text)::interval) at time zone $2::text) as we_at,
      feature, end_user, tokens, events
    from (
      select date_trunc($5::text, d.day::timestamp) as ls, case when $6::boolean then d.feature end as feature, null::text as end_user,
        sum(d.tokens)::bigint as tokens, sum(d.event_count)::bigint as events
      from flagmeter.rollups_daily d
      where d.tenant_id = $1::bigint and d.timezone = $2::text
        and d.day >= ($3::timestamptz at time zone $2::text)::date and d.day < ($4::timestamptz at time zone $2::text)::date
        and ($8::text[] is null or d.feature = any($8::text[]))
        and $7::boolean is not null and $9::text[] is null
      group by 1, 2
    ) g
  ) x
) y ${order}`;

const dailyUsersSql = `
select ${outCols} from (
  select ${windowCols}, x.feature, x.end_user, x.tokens, x.events from (
    select (ls at time zone $2::text) as ws_at, ((ls + ('1 ' || $5::text)::interval) at time zone $2::text) as we_at,
      feature, end_user, tokens, events
    from (
      select date_trunc($5::text, u.day::timestamp) as ls, case when $6::boolean then u.feature end as feature,
        case when $7::boolean then u.end_user end as end_user,
        sum(u.tokens)::bigint as tokens, sum(u.event_count)::bigint as events
      from flagmeter.daily_user_usage($1::bigint, ($3::timestamptz at time zone $2::text)::date, ($4::timestamptz at time zone $2::text)::date) u
      where u.timezone = $2::text
        and ($8::text[] is null or u.feature = any($8::text[]))
        and ($9::text[] is null or u.end_user = any($9::text[]))
      group by 1, 2, 3
    ) g
  ) x
) y ${order}`;

const bucketsSql = `
select ${outCols} from (
  select ${windowCols}, x.feature, x.end_user, x.tokens, x.events from (
    select ws_at, date_add(ws_at, ('1 ' || $5::text)::interval, $2::text) as we_at, feature, end_user, tokens, events
    from (
      select date_trunc($5::text, b.bucket_start, $2::text) as ws_at, case when $6::boolean then b.feature end as feature, null::text as end_user,
        sum(b.tokens)::bigint as tokens, sum(b.event_count)::bigint as events
      from flagmeter.usage_buckets b
      where b.tenant_id = $1::bigint and b.bucket_start >= $3::timestamptz and b.bucket_start < $4::timestamptz
        and ($8::text[] is null or b.feature = any($8::text[]))
        and $7::boolean is not null and $9::text[] is null
      group by 1, 2
    ) g
  ) x
) y ${order}`;

const sqlBySource: Record<Source, string> = { daily: dailySql, 'daily-users': dailyUsersSql, 'minute-hourly': bucketsSql };

export const queryStatement = (source: Source, p: QueryParams): { text: string; values: unknown[] } => ({
  text: sqlBySource[source],
  values: [p.tenantId, p.tz, p.from, p.to, p.window, p.byFeature, p.byUser, p.features, p.users],
});

/**
 * A text cell a spreadsheet would run as a formula (a leading = + - @, tab or CR: OWASP's CSV
 * injection list) with a ' in front, which makes it text; the same rule as formulaSafe in
 * server/reporting/csv.ts. Only ever applied to text columns: a negative number stays a number.
 */
const formulaSafe = (column: string) => `case when ${column} ~ '^[-=+@\\t\\r]' then '''' || ${column} else ${column} end`;

/**
 * A text column as one RFC 4180 field: quoted (inner quotes doubled) when it holds a comma, a quote,
 * CR or LF; empty for null; guarded against formulas when `escapeFormulas`. Used on fixed column
 * names only.
 */
const csvField = (name: string, escapeFormulas: boolean) => {
  const column = escapeFormulas ? `(${formulaSafe(name)})` : name;
  return `case when ${column} is null then '' when ${column} ~ '[",\\r\\n]' then '"' || replace(${column}, '"', '""') || '"' else ${column} end`;
};

/**
 * The same rows for CSV, formatted by PostgreSQL as CRLF-terminated records and joined into chunks
 * of the file. Formatting them in Node (the driver parsing six fields per row, csv-stringify joining
 * them) allocated so much per row that V8 grew the heap by ~200 MB over a 1,000,000-row export.
 * Only the columns the grouping asks for, in the file's order: one of eight fixed texts.
 */
export const queryCsvStatement = (source: Source, p: QueryParams, escapeFormulas: boolean): { text: string; values: unknown[] } => {
  const q = queryStatement(source, p);
  const cols = ['"windowStart"', '"windowEnd"', ...(p.byFeature ? [csvField('feature', escapeFormulas)] : []), ...(p.byUser ? [csvField('"user"', escapeFormulas)] : []), 'tokens::text', 'events::text'];
  return { text: csvChunks(`select ${cols.join(` || ',' || `)} || E'\\r\\n' as line from (${q.text}) q`), values: q.values };
};

/** Rows of CSV per chunk of the file: each fetched row is one string, so Node handles no per-record object at all. */
export const CSV_CHUNK_ROWS = 1000;

/**
 * Joins the lines of `linesSql` (a sorted query with one column, line) into chunks of CSV_CHUNK_ROWS
 * lines, in order: row_number() over the already sorted rows numbers them in that order (a window
 * without ORDER BY takes its input as it comes), and the chunks and the lines in each are ordered
 * by that number.
 */
const csvChunks = (linesSql: string) => `
select string_agg(line, '' order by n) as chunk
from (select l.line, row_number() over () - 1 as n from (${linesSql}) l) x
group by n / ${CSV_CHUNK_ROWS}
order by n / ${CSV_CHUNK_ROWS}`;

/** Opens a read-only snapshot on its own connection; `done` ends it (rolls back) and releases the connection. */
export async function readSnapshot(pool: Pool): Promise<{ client: pg.PoolClient; done(err?: Error): Promise<void> }> {
  const client = await pool.connect();
  let lost: Error | undefined;
  const onError = (err: Error) => { lost ??= err; };
  client.on('error', onError);
  try {
    await client.query('begin isolation level repeatable read read only');
    // every row of a cursor is read: plan for the whole result, not for the first 10% (the default)
    await client.query('set local cursor_tuple_fraction = 1.0');
  } catch (err) {
    client.off('error', onError);
    client.release(err as Error);
    throw err;
  }
  let ended = false;
  return {
    client,
    async done(err) {
      if (ended) return;
      ended = true;
      let bad: Error | undefined = lost ?? err;
      if (!lost) await client.query('rollback').then(() => { bad = undefined; }, (e: Error) => { bad = e; });
      client.off('error', onError);
      client.release(bad);
    },
  };
}

/**
 * Reads `statement` through a cursor on the snapshot's connection, `batch` rows at a time. When
 * `signal` aborts (the caller went away) while a fetch runs, the backend is asked to cancel it, so
 * a long sort or scan stops at once rather than at the next batch; `pool` lends the connection that
 * asks (the main pool: the reporting pool may be full of the very exports being cancelled). An
 * abort between fetches cancels nothing: the next fetch is simply not made.
 */
export async function* cursorRows<T>(pool: Pool, client: pg.PoolClient, statement: { text: string; values: unknown[] }, batch: number, signal?: AbortSignal, rowMode?: 'array'): AsyncGenerator<T[]> {
  const name = `fm_report_${Math.random().toString(36).slice(2, 10)}`;
  let fetching = true;
  const cancel = () => {
    if (fetching) void pool.query('select pg_cancel_backend($1::int)', [(client as unknown as { processID: number }).processID]).catch(() => undefined);
  };
  signal?.addEventListener('abort', cancel, { once: true });
  try {
    await client.query(`declare ${name} no scroll cursor for ${statement.text}`, statement.values);
    for (;;) {
      if (signal?.aborted) return;
      fetching = true;
      const { rows } = await client.query({ text: `fetch forward ${batch} from ${name}`, ...(rowMode ? { rowMode } : {}) });
      fetching = false;
      if (rows.length > 0) yield rows as T[];
      if (rows.length < batch) return;
    }
  } finally {
    fetching = false;
    signal?.removeEventListener('abort', cancel);
  }
}

//------------------------------------------------------------------------------------------------
// Past periods and statements
//------------------------------------------------------------------------------------------------

export interface PeriodRow {
  periodStart: string; periodEnd: string; tokens: number; eventCount: number; quota: number; percent: number;
  overageTokens: number; alertsRaised: number; alertsSent: number; thresholdsCrossed: number[]; current: boolean;
}

// report.periods, one tenant's rows: the view is the one definition psql and the API share.
const periodsSql = `
select ${isoUtc('p.period_start')} as "periodStart", ${isoUtc('p.period_end')} as "periodEnd", p.tokens, p.event_count as "eventCount",
  p.quota, p.percent, p.overage_tokens as "overageTokens", p.alerts_raised as "alertsRaised", p.alerts_sent as "alertsSent",
  p.thresholds_crossed as "thresholdsCrossed", p.is_current as current
from report.periods p
where p.tenant = $1::text
order by p.period_start`;

export async function listPeriods(client: pg.ClientBase, slug: string): Promise<PeriodRow[]> {
  const { rows } = await client.query<PeriodRow>(periodsSql, [slug]);
  return rows;
}

/** The period of the tenant that starts at `start` (an instant, or the local date it starts on), if it is one of its periods. */
export async function findPeriod(client: pg.ClientBase, tenantId: number, start: string): Promise<{ start: Date; end: Date; current: boolean } | undefined> {
  const { rows: [r] } = await client.query(`
    select p.period_start, p.period_end, now() >= p.period_start and now() < p.period_end as current
    from flagmeter.tenants t cross join lateral flagmeter.billing_periods(t.id) p
    where t.id = $1::bigint and case when $2::text ~ '^\\d{4}-\\d{2}-\\d{2}$'
      then (p.period_start at time zone t.timezone)::date = $2::text::date
      else p.period_start = $2::text::timestamptz end`, [tenantId, start]);
  return r && { start: r.period_start, end: r.period_end, current: r.current };
}

// A period's statement in one statement, as JSON text. Totals and features come from
// periodSums, exactly as GET /api/usage/:tenant computes them while the period is current; days
// and users from the daily rows when they answer the period exactly (null otherwise: the tenant's
// zone changed within two days of it). Top users: the 20 largest, "no user" counting as one.
const statementSql = `
with t as (
  select t.id, t.slug, t.name, t.monthly_quota, t.billing_day, t.timezone, $2::timestamptz as period_start, $3::timestamptz as period_end,
    flagmeter.daily_rows_answer(t.id, t.timezone, $2::timestamptz, $3::timestamptz) as daily_ok
  from flagmeter.tenants t where t.id = $1::bigint
), ${periodSums}, d as (
  select d.day, sum(d.tokens)::bigint as tokens, sum(d.event_count)::bigint as events
  from t join flagmeter.rollups_daily d on d.tenant_id = t.id and d.timezone = t.timezone
    and d.day >= (t.period_start at time zone t.timezone)::date and d.day < (t.period_end at time zone t.timezone)::date
  where t.daily_ok
  group by d.day
), u as (
  select u.end_user, sum(u.tokens)::bigint as tokens, sum(u.event_count)::bigint as events
  from t cross join lateral flagmeter.daily_user_usage(t.id, (t.period_start at time zone t.timezone)::date, (t.period_end at time zone t.timezone)::date) u
  where t.daily_ok and u.timezone = t.timezone
  group by u.end_user
), a as (
  select a.* from t join flagmeter.alerts a on a.tenant_id = t.id and a.period_start >= t.period_start and a.period_start < t.period_end
)
select json_build_object(
  ${periodUsageFields},
  'current', now() >= t.period_start and now() < t.period_end,
  'overageTokens', greatest(total.tokens - t.monthly_quota, 0),
  'features', coalesce((
    select json_agg(json_build_object(
      'feature', f.feature, 'tokens', f.tokens, 'eventCount', f.event_count,
      'percent', round(100.0 * f.tokens / nullif(total.tokens, 0), 2)) order by f.tokens desc, f.feature)
    from f), '[]'),
  'days', case when t.daily_ok then coalesce((
    select json_agg(json_build_object('day', to_char(d.day, 'YYYY-MM-DD'), 'tokens', d.tokens, 'eventCount', d.events) order by d.day)
    from d), '[]') end,
  'topUsers', case when t.daily_ok then coalesce((
    select json_agg(json_build_object('user', x.end_user, 'tokens', x.tokens, 'eventCount', x.events,
      'percent', round(100.0 * x.tokens / nullif(total.tokens, 0), 2)) order by x.tokens desc, x.end_user nulls last)
    from (select * from u order by tokens desc, end_user nulls last limit 20) x), '[]') end,
  'users', case when t.daily_ok then (select count(*) from u where u.end_user is not null) end,
  'alerts', coalesce((
    select json_agg(${alertJson('a', 't.slug')} order by a.created_at desc, a.id desc)
    from a), '[]')
)::text as body
from t cross join total`;

export async function statementBody(client: pg.ClientBase, tenantId: number, start: Date, end: Date): Promise<string> {
  const { rows: [r] } = await client.query<{ body: string }>(statementSql, [tenantId, start, end]);
  return r!.body;
}

// The statement as one table a spreadsheet can pivot: a `total` row, then `feature`, `day` (per day
// and feature) and `user` (every user, largest first) rows. Day and user rows only where the daily
// rows answer the period exactly, as in the JSON.
const statementCsvSql = (escapeFormulas: boolean) => `
with t as (
  select t.id, t.timezone, $2::timestamptz as period_start, $3::timestamptz as period_end,
    (($2::timestamptz at time zone t.timezone)::date) as first_day, (($3::timestamptz at time zone t.timezone)::date) as end_day,
    flagmeter.daily_rows_answer(t.id, t.timezone, $2::timestamptz, $3::timestamptz) as daily_ok
  from flagmeter.tenants t where t.id = $1::bigint
), ${periodSums}
select section || ',' || coalesce(day, '') || ',' || ${csvField('feature', escapeFormulas)} || ',' || ${csvField('"user"', escapeFormulas)} || ',' || tokens::text || ',' || events::text || E'\\r\\n' as line from (
  select 1 as ord, 'total' as section, null::text as day, null::text as feature, null::text as "user",
    coalesce(sum(tokens), 0)::bigint as tokens, coalesce(sum(event_count), 0)::bigint as events, 0::bigint as rank
  from f
  union all
  select 2, 'feature', null, f.feature, null, f.tokens, f.event_count, row_number() over (order by f.tokens desc, f.feature) from f
  union all
  select 3, 'day', to_char(d.day, 'YYYY-MM-DD'), d.feature, null, sum(d.tokens)::bigint, sum(d.event_count)::bigint,
    row_number() over (order by d.day, d.feature)
  from t join flagmeter.rollups_daily d on d.tenant_id = t.id and d.timezone = t.timezone and d.day >= t.first_day and d.day < t.end_day
  where t.daily_ok
  group by d.day, d.feature
  union all
  select 4, 'user', null, null, u.end_user, sum(u.tokens)::bigint, sum(u.event_count)::bigint,
    row_number() over (order by sum(u.tokens) desc, u.end_user nulls last)
  from t cross join lateral flagmeter.daily_user_usage(t.id, t.first_day, t.end_day) u
  where t.daily_ok and u.timezone = t.timezone
  group by u.end_user
) x
order by ord, rank`;

export const statementCsvStatement = (tenantId: number, start: Date, end: Date, escapeFormulas: boolean) =>
  ({ text: csvChunks(statementCsvSql(escapeFormulas)), values: [tenantId, start, end] });
