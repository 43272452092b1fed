// npm run bench:periods [-- --tenants 500]: how long "usage this billing period" takes once a month of
// traffic is stored. Fills a fresh database through the real insert path (events, rollup trigger,
// then tick()'s compaction), then times the readers that sum every tenant's period.
import { parseArgs } from 'node:util';
import pg from 'pg';
import { setUpDatabase } from './lib/database.ts';
import { busyWarning, describeMachine } from './lib/machine.ts';
import { Progress } from './lib/progress.ts';
import { machineLine } from './lib/report.ts';
import { listUsage } from '../server/db/tenants.ts';
import { usageBody } from '../server/db/usage.ts';

const HELP = `Usage: npm run bench:periods -- [options]

Fills a fresh database (embedded PostgreSQL 18 in a temp folder, or --database-url) with a month of
traffic for every tenant: one event per tenant, feature and minute for the last --minute-days days,
one per tenant, feature and hour before that (compacted by tick() into hourly rollups, as in
production). Then times each period-sum reader (median of --runs after one warm-up run).

  --tenants <n>         tenants (default 500)
  --features <n>        features per tenant (default 3)
  --days <n>            days of history, all inside each tenant's current period (default 28)
  --minute-days <n>     of those, the most recent days with an event every minute (default 3)
  --runs <n>            timed runs per reader (default 5)
  --database-url <url>  use this PostgreSQL (default: DATABASE_URL, else embedded)
  --current-sql         also apply sql/current.sql (the uncommitted migration)
  -h, --help            this text
`;

function options() {
  const { values } = parseArgs({
    options: {
      tenants: { type: 'string', default: '500' },
      features: { type: 'string', default: '3' },
      days: { type: 'string', default: '28' },
      'minute-days': { type: 'string', default: '3' },
      runs: { type: 'string', default: '5' },
      'database-url': { type: 'string' },
      'current-sql': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(HELP);
    process.exit(0);
  }
  const int = (name: string, v: string, max: number) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1 || n > max) throw new Error(`--${name} must be an integer from 1 to ${max} (got '${v}')`);
    return n;
  };
  const o = {
    tenants: int('tenants', values.tenants, 100_000),
    features: int('features', values.features, 50),
    days: int('days', values.days, 31),
    minuteDays: int('minute-days', values['minute-days'], 28),
    runs: int('runs', values.runs, 100),
    databaseUrl: values['database-url'] ?? process.env.DATABASE_URL,
    currentSql: values['current-sql'],
  };
  if (o.minuteDays > o.days) throw new Error('--minute-days cannot exceed --days');
  return o;
}

// Tenants in several zones (one with a :30 offset), so periods start at different UTC instants.
const ZONES = ['UTC', 'America/New_York', 'Europe/Berlin', 'Asia/Kolkata'];

/** Inserts the history in time order, an hour (or a day of hourly events) per statement, as traffic would arrive. */
async function fill(pool: pg.Pool, o: ReturnType<typeof options>, progress: Progress): Promise<number> {
  const started = performance.now();
  const insert = (from: string, to: string, step: string) => pool.query(
    `insert into flagmeter.events (id, tenant_id, feature, tokens, occurred_at)
     select gen_random_uuid(), t.id, 'feature-' || f, 1 + (t.id * 7 + f) % 100, m
     from generate_series($1::timestamptz, $2::timestamptz - interval '1 microsecond', $3::interval) m
     cross join flagmeter.tenants t cross join generate_series(1, $4::int) f
     order by m, t.id, f`, [from, to, step, o.features]);
  const { rows: [b] } = await pool.query<{ start: Date; minutes_from: Date; now: Date }>(
    `select date_trunc('hour', max(p.period_start) + interval '1 hour' - interval '1 microsecond') as start,
            date_trunc('hour', now()) - make_interval(days => $1::int) as minutes_from, date_trunc('minute', now()) as now
     from flagmeter.tenants t cross join lateral flagmeter.billing_period(t.billing_day, t.timezone, now()) p`,
    [o.minuteDays]);
  const hourly = Math.ceil((b!.minutes_from.getTime() - b!.start.getTime()) / 86_400_000);
  for (let d = 0; d < hourly; d++) {
    const from = new Date(b!.start.getTime() + d * 86_400_000);
    await insert(from.toISOString(), new Date(Math.min(from.getTime() + 86_400_000, b!.minutes_from.getTime())).toISOString(), '1 hour');
    progress.update(`fill: hourly day ${d + 1}/${hourly}`);
  }
  for (let t = b!.minutes_from.getTime(), i = 0; t < b!.now.getTime(); t += 3_600_000, i++) {
    await insert(new Date(t).toISOString(), new Date(Math.min(t + 3_600_000, b!.now.getTime())).toISOString(), '1 minute');
    progress.update(`fill: minute hour ${i + 1}/${o.minuteDays * 24}`);
  }
  progress.update('fill: compacting (tick) and analyzing');
  await pool.query('select flagmeter.tick()');
  await pool.query('vacuum analyze');
  return performance.now() - started;
}

async function time(runs: number, fn: () => Promise<unknown>): Promise<{ medianMs: number; minMs: number; maxMs: number }> {
  await fn();
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await fn();
    ms.push(performance.now() - t);
  }
  ms.sort((a, b) => a - b);
  return { medianMs: ms[Math.floor(ms.length / 2)]!, minMs: ms[0]!, maxMs: ms[ms.length - 1]! };
}

async function main(): Promise<void> {
  const o = options();
  const progress = new Progress();
  const db = await setUpDatabase(o.databaseUrl, o.tenants, o.currentSql);
  const pool = new pg.Pool({ connectionString: db.url, max: 2 });
  try {
    // every tenant's period holds all the history: its billing day is the day the history starts,
    // which begins on the first hour inside every tenant's period
    await pool.query(
      `update flagmeter.tenants set billing_day = least(28, extract(day from now() - make_interval(days => $1::int))::int),
         timezone = ($2::text[])[1 + id % cardinality($2::text[])]`, [o.days, ZONES]);
    const machine = describeMachine(db.serverVersion);
    const fillMs = await fill(pool, o, progress);
    const { rows: [size] } = await pool.query<{ events: number; minute_rows: number; hourly_rows: number; in_periods: number }>(`
      select (select count(*) from flagmeter.events)::int as events,
             (select count(*) from flagmeter.rollups)::int as minute_rows,
             (select count(*) from flagmeter.rollups_hourly)::int as hourly_rows,
             (select sum(event_count) from report.usage_current)::int as in_periods`);
    const s = size!;
    // the readers must sum all of it: a period that missed part of the history would time less work
    if (s.in_periods !== s.events) throw new Error(`only ${s.in_periods} of ${s.events} events fall in their tenant's current period: choose a smaller --days`);
    progress.done(`filled in ${(fillMs / 1000).toFixed(0)} s: ${s.events.toLocaleString('en-US')} events, ${s.minute_rows.toLocaleString('en-US')} minute rollups, ${s.hourly_rows.toLocaleString('en-US')} hourly rollups, every event in its tenant's current period`);

    const slugs = db.tenants;
    let next = 0;
    const readers: [string, () => Promise<unknown>][] = [
      ['one tenant: GET /api/usage/:tenant body (usageBody)', () => usageBody(pool, slugs[next++ % slugs.length]!)],
      ['every tenant: report.usage_current (GET /api/tenants, the live stream)', () => listUsage(pool)],
      ['every tenant and feature: report.usage_by_feature', () => pool.query('select * from report.usage_by_feature')],
      ['fast check: tick(now(), \'10 minutes\'), every tenant active', () => pool.query(`select flagmeter.tick(now(), '10 minutes')`)],
      ['minute job: tick() with maintenance', () => pool.query('select flagmeter.tick()')],
    ];
    const results: string[] = [];
    for (const [name, fn] of readers) {
      progress.update(`timing ${name}`);
      const r = await time(o.runs, fn);
      const line = `| ${name} | ${r.medianMs.toFixed(1)} ms | ${r.minMs.toFixed(1)}–${r.maxMs.toFixed(1)} ms |`;
      progress.done(`${name}: ${r.medianMs.toFixed(1)} ms`);
      results.push(line);
    }
    const warning = busyWarning(machine);
    process.stdout.write([
      '',
      `Period sums, ${o.tenants} tenants × ${o.features} features, ${o.days} days of history (last ${o.minuteDays} at one event per minute): median of ${o.runs} runs after a warm-up, one connection.`,
      `Machine: ${machineLine(machine)}${o.currentSql ? '; with sql/current.sql' : ''}`,
      ...(warning ? [warning] : []),
      '',
      '| reader | median | min–max |',
      '| --- | --- | --- |',
      ...results,
      '',
    ].join('\n'));
  } finally {
    await pool.end();
    await db.drop(false);
  }
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
