// The reporting step of `npm run bench`: a busy tenant with a month of per-user history (a million
// user·day rows), then
//  - its CSV export through GET /api/usage/:tenant/query (window=day, groupBy=user): rows/s, and the
//    server's RSS growth while it streams (the aim: under 50 MB, whatever the length);
//  - the query API's latency for that month by day and by user (JSON);
//  - what the per-end-user rollup costs the hot insert: the SQL ceiling with and without its
//    insertion watermark (the transaction-id column default and its BRIN index), alternated in this database.
import pg from 'pg';
import { ensureTenants } from '../../server/db/tenants.ts';
import type { Child } from './children.ts';
import { ProcSampler, rssMb } from './proc.ts';
import { rate, type Row } from './report.ts';
import { runSqlCeiling } from './sql-ceiling.ts';
import { withoutUserWatermark } from './triggers.ts';
import type { BenchContext } from './steps.ts';

export const REPORTING_TENANT = 'busy-reporting';

const percentile = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
};
const median = (xs: number[]) => percentile(xs, 50);

/** The previous full UTC calendar month, and users per day so that users × days ≥ `rows`. */
function monthAndUsers(rows: number) {
  const now = new Date();
  const to = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
  const from = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 1));
  const days = Math.round((to.getTime() - from.getTime()) / 86_400_000);
  return { from, to, days, users: Math.ceil(rows / days) };
}

/** A month of history for one tenant through the real insert path (events + rollup trigger), a day per statement. */
async function seed(ctx: BenchContext, url: string, rows: number) {
  const m = monthAndUsers(rows);
  const pool = new pg.Pool({ connectionString: url, max: 1 });
  const started = performance.now();
  try {
    await ensureTenants(pool, [{ slug: REPORTING_TENANT, name: 'Busy reporting tenant', monthlyQuota: 1e12 }]);
    const { rows: [t] } = await pool.query<{ id: number }>('select id from flagmeter.tenants where slug = $1::text', [REPORTING_TENANT]);
    let tokens = 0;
    for (let u = 1; u <= m.users; u++) tokens += 1 + (u % 100);
    for (let d = 0; d < m.days; d++) {
      ctx.progress.update(`reporting: seeding ${REPORTING_TENANT}, day ${d + 1} of ${m.days} (${m.users.toLocaleString('en-US')} users a day)`);
      await pool.query(`
        insert into flagmeter.events (id, tenant_id, feature, tokens, occurred_at, end_user)
        select gen_random_uuid(), $1::bigint, 'feature-' || (u % 4), 1 + u % 100, $2::timestamptz + (u % 1440) * interval '1 minute', 'user-' || u
        from generate_series(1, $3::int) u`, [t!.id, new Date(m.from.getTime() + d * 86_400_000), m.users]);
      // written by direct SQL: the bench's data check counts them like the SQL ceiling's
      ctx.ledger.sqlEvents += m.users;
      ctx.ledger.sqlTokens += tokens;
    }
    // the minute job folds the new events into the per-user rollup within a minute: read the month as it then is
    await pool.query('select flagmeter.fold_user_rollups()');
  } finally {
    await pool.end();
  }
  return { ...m, events: m.users * m.days, seconds: (performance.now() - started) / 1000 };
}

interface ExportResult { rows: number; bytes: number; seconds: number; rowsPerSecond: number; rssBeforeMb: number; rssPeakMb: number; rssGrowthMb: number }

/** Streams the CSV, counting records (no name in it holds a newline), sampling the server's RSS meanwhile. */
async function exportCsv(ctx: BenchContext, server: Child, path: string, auth: Record<string, string>): Promise<ExportResult> {
  const rssBeforeMb = rssMb(server.pid);
  let rssPeakMb = rssBeforeMb;
  const sampler = setInterval(() => { rssPeakMb = Math.max(rssPeakMb, rssMb(server.pid)); }, 50);
  const started = performance.now();
  let newlines = 0;
  let bytes = 0;
  try {
    const res = await fetch(`http://127.0.0.1:${server.port}${path}`, { headers: { ...auth, accept: 'text/csv' } });
    if (res.status !== 200) throw new Error(`CSV export answered ${res.status}: ${await res.text()}`);
    const reader = res.body!.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      bytes += value.length;
      for (let i = 0; i < value.length; i++) if (value[i] === 10) newlines++;
      ctx.progress.update(`reporting: CSV export, ${(newlines - 1).toLocaleString('en-US')} rows, server RSS ${Math.round(rssPeakMb)} MB peak`);
    }
  } finally {
    clearInterval(sampler);
  }
  rssPeakMb = Math.max(rssPeakMb, rssMb(server.pid));
  const seconds = (performance.now() - started) / 1000;
  const rows = newlines - 1;
  return { rows, bytes, seconds, rowsPerSecond: rows / seconds, rssBeforeMb, rssPeakMb, rssGrowthMb: rssPeakMb - rssBeforeMb };
}

async function latency(server: Child, path: string, auth: Record<string, string>, runs: number) {
  const times: number[] = [];
  let rows = 0;
  for (let i = 0; i <= runs; i++) {
    const t0 = performance.now();
    const res = await fetch(`http://127.0.0.1:${server.port}${path}`, { headers: auth });
    const body = await res.json() as { rows?: unknown[]; error?: { message: string } };
    if (res.status !== 200) throw new Error(`${path} answered ${res.status}: ${body.error?.message}`);
    rows = body.rows!.length;
    // the first is a warm-up
    if (i > 0) times.push(performance.now() - t0);
  }
  return { runs, rows, p50: median(times), p99: percentile(times, 99), max: Math.max(...times) };
}

/** The SQL ceiling with and without the per-user rollup's one cost on the insert (the insertion
 * watermark's column default and BRIN index), alternated; the watermark is in place afterwards. */
async function ingestCost(ctx: BenchContext, rounds: number) {
  const admin = new pg.Pool({ connectionString: ctx.db.url, max: 1 });
  // the column default and the index as the migration left them, to put back
  const { rows: [kept] } = await admin.query<{ def: string; index: string }>(`
    select pg_get_expr(d.adbin, d.adrelid) as def, pg_get_indexdef('flagmeter.events_xact_id_brin'::regclass) as index
    from pg_attrdef d join pg_attribute a on a.attrelid = d.adrelid and a.attnum = d.adnum
    where d.adrelid = 'flagmeter.events'::regclass and a.attname = 'xact_id'`);
  const variants = [
    { name: 'without', sql: withoutUserWatermark },
    { name: 'with', sql: `alter table flagmeter.events alter column xact_id set default ${kept!.def}; ${kept!.index}` },
  ];
  const results = new Map<string, number[]>(variants.map((v) => [v.name, []]));
  let on = true;
  try {
    for (let round = 0; round < rounds; round++) {
      for (const v of round % 2 ? [...variants].reverse() : variants) {
        if ((v.name === 'with') !== on) {
          await admin.query(v.sql);
          on = v.name === 'with';
        }
        const r = await runSqlCeiling({
          url: ctx.db.url, connections: 2, batchSize: 1000, durationMs: ctx.stepMs, tenantIds: ctx.db.tenantIds, ledger: ctx.ledger, users: 100,
          onTick: (ms, events) => ctx.progress.update(`reporting: ingest ${v.name} the per-user watermark, round ${round + 1}: ${(ms / 1000).toFixed(1)} s, ${events.toLocaleString('en-US')} events`),
        });
        results.get(v.name)!.push(r.eventsPerSecond);
      }
    }
  } finally {
    if (!on) await admin.query(variants[1]!.sql).catch(() => undefined);
    await admin.end();
  }
  const b = results.get('without')!;
  const a = results.get('with')!;
  const ratios = a.map((x, i) => x / b[i]!);
  return { beforeEventsPerSecond: b, afterEventsPerSecond: a, medianRatio: median(ratios) };
}

export async function reportingStep(ctx: BenchContext, server: Child, apiKey: string, o: { quick: boolean }) {
  const auth = { authorization: `Bearer ${apiKey}` };
  const target = o.quick ? 200_000 : 1_000_000;
  const seeded = await seed(ctx, ctx.db.url, target);
  ctx.progress.done(`reporting: seeded ${seeded.events.toLocaleString('en-US')} events (${seeded.users.toLocaleString('en-US')} users × ${seeded.days} days) in ${seeded.seconds.toFixed(1)} s`);
  const range = `from=${seeded.from.toISOString()}&to=${seeded.to.toISOString()}`;
  const base = `/api/usage/${REPORTING_TENANT}/query?${range}`;

  // a small query first, so the export's RSS baseline is a warmed-up server's
  await latency(server, `${base}&window=day`, auth, 1);
  const sampler = new ProcSampler(server.pid, ctx.db.postmasterPid);
  sampler.start();
  const exported = await exportCsv(ctx, server, `${base}&window=day&groupBy=user&format=csv`, auth);
  const usage = sampler.stop();
  if (exported.rows !== seeded.events) throw new Error(`the export held ${exported.rows} rows, expected ${seeded.events} (one per user and day)`);
  ctx.progress.done(`reporting: CSV export of ${exported.rows.toLocaleString('en-US')} rows in ${exported.seconds.toFixed(1)} s (${rate(exported.rowsPerSecond, 'rows/s')}), server RSS ${Math.round(exported.rssBeforeMb)} → ${Math.round(exported.rssPeakMb)} MB`);

  const runs = o.quick ? 5 : 20;
  const byDay = await latency(server, `${base}&window=day`, auth, runs);
  const byDayFeature = await latency(server, `${base}&window=day&groupBy=feature`, auth, runs);
  const byUser = await latency(server, `${base}&window=month&groupBy=user`, auth, runs);
  ctx.progress.done(`reporting: a month by day ${byDay.p50.toFixed(1)} ms (P50), by day and feature ${byDayFeature.p50.toFixed(1)} ms, by user (${byUser.rows.toLocaleString('en-US')} rows) ${byUser.p50.toFixed(1)} ms`);

  const ingest = await ingestCost(ctx, o.quick ? 2 : 4);
  const pct = (r: number) => `${r >= 1 ? '+' : ''}${(100 * (r - 1)).toFixed(1)}%`;
  ctx.progress.done(`reporting: ingest with the per-user rollup's watermark vs without: ${pct(ingest.medianRatio)} (median of per-round ratios)`);

  const ms = `${runs} runs after a warm-up`;
  const rows: Row[] = [
    { step: `CSV export, ${exported.rows.toLocaleString('en-US')} rows (query API, window=day, groupBy=user; ${(exported.bytes / 1e6).toFixed(0)} MB)`, figure: `${rate(exported.rowsPerSecond, 'rows/s')}; server RSS +${exported.rssGrowthMb.toFixed(1)} MB (${Math.round(exported.rssBeforeMb)} → ${Math.round(exported.rssPeakMb)} MB)`, usage },
    { step: `query API, a month by day (JSON, ${byDay.rows} rows; ${ms})`, figure: `${byDay.p50.toFixed(1)} ms P50`, p50: byDay.p50, p99: byDay.p99 },
    { step: `query API, a month by day and feature (JSON, ${byDayFeature.rows} rows; ${ms})`, figure: `${byDayFeature.p50.toFixed(1)} ms P50`, p50: byDayFeature.p50, p99: byDayFeature.p99 },
    { step: `query API, a month by user (JSON, ${byUser.rows.toLocaleString('en-US')} rows; ${ms})`, figure: `${byUser.p50.toFixed(1)} ms P50`, p50: byUser.p50, p99: byUser.p99 },
    { step: `ingest cost of the per-end-user rollup: direct SQL insertEvents, 2 connections × 1,000 rows, every event naming one of 100 users (with the per-user rollup's insertion watermark vs without it, alternated)`, figure: `${pct(ingest.medianRatio)} (${rate(median(ingest.afterEventsPerSecond), 'events/s')} vs ${rate(median(ingest.beforeEventsPerSecond), 'events/s')})` },
  ];
  return { rows, result: { seeded, exported, usage, byDay, byDayFeature, byUser, ingest } };
}
