// npm run bench:trigger [-- rounds]: what the daily rollups cost the hot insert. In one fresh
// database, alternates the rollup trigger of migration 1 (minute rows only) with today's (minute and
// daily rows) and runs the SQL ceiling (insertEvents, 1,000-row statements, 2 connections, 8 s)
// under each, first one then the other from round to round, so both see the same machine state;
// prints events/s per round and the ratio.
import pg from 'pg';
import { committedMigrations } from '../server/db/migrate.ts';
import { setUpDatabase } from './lib/database.ts';
import { Ledger } from './lib/ledger.ts';
import { runSqlCeiling } from './lib/sql-ceiling.ts';

const rounds = Number(process.argv[2] ?? 3);
const migrations = committedMigrations();
/** The trigger function as the last migration that (re)defines it left it, among the first `upTo`. */
const triggerAsOf = (upTo: number) => {
  const sql = migrations.slice(0, upTo).findLast((m) => m.includes('function flagmeter.tg_events__rollup()'))!;
  const body = sql.slice(sql.search(/create (or replace )?function flagmeter\.tg_events__rollup\(\)/), sql.indexOf('comment on function flagmeter.tg_events__rollup()'));
  return body.replace(/^create function/, 'create or replace function');
};
const variants = { 'minute rows only (migration 1)': triggerAsOf(1), 'minute and daily rows (today)': triggerAsOf(migrations.length) };

const db = await setUpDatabase(process.env.DATABASE_URL, 50);
const admin = new pg.Pool({ connectionString: db.url, max: 1 });
const results = new Map<string, number[]>();
try {
  for (let round = 1; round <= rounds; round++) {
    // each round starts with the other variant: the tables only grow, so a fixed order would favour the first
    const order = Object.entries(variants);
    for (const [name, fn] of round % 2 ? order : order.reverse()) {
      await admin.query(fn);
      const r = await runSqlCeiling({ url: db.url, connections: 2, batchSize: 1000, durationMs: 8000, tenantIds: db.tenantIds, ledger: new Ledger() });
      results.set(name, [...(results.get(name) ?? []), Math.round(r.eventsPerSecond)]);
      console.log(`round ${round}, ${name}: ${Math.round(r.eventsPerSecond).toLocaleString('en-US')} events/s`);
    }
  }
  const [before, after] = [...results.values()];
  const ratios = before!.map((b, i) => after![i]! / b);
  console.log(`today's trigger / migration 1's, per round: ${ratios.map((r) => `${(100 * (r - 1)).toFixed(1)}%`).join(', ')}`);
} finally {
  await admin.end();
  await db.drop(false);
}
