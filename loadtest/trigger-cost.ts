// npm run bench:trigger [-- rounds]: what the rollups cost the hot insert. In one fresh database,
// alternates every definition the rollup trigger has had (migration 1: minute rows only; migration 5:
// minute and daily rows; today's: minute, daily and per-end-user daily rows) and runs the SQL ceiling
// (insertEvents, 1,000-row statements, 2 connections, 8 s, every event naming one of 100 users: the
// per-user rollup's worst case) under each, in a rotated order from round to round, so all see the
// same machine state; prints events/s per round and each definition's ratio to the one before it.
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
/** Each migration that (re)defines the trigger, oldest first, with the definition it left. */
const definitions = migrations.flatMap((m, i) => (m.includes('function flagmeter.tg_events__rollup()') ? [i + 1] : []));
const variants = Object.fromEntries(definitions.map((n) => [`trigger of migration ${n}`, triggerAsOf(n)]));

const db = await setUpDatabase(process.env.DATABASE_URL, 50);
const admin = new pg.Pool({ connectionString: db.url, max: 1 });
const results = new Map<string, number[]>();
try {
  for (let round = 1; round <= rounds; round++) {
    // each round starts with another variant: the tables only grow, so a fixed order would favour the first
    const all = Object.entries(variants);
    const order = [...all.slice((round - 1) % all.length), ...all.slice(0, (round - 1) % all.length)];
    for (const [name, fn] of order) {
      await admin.query(fn);
      const r = await runSqlCeiling({ url: db.url, connections: 2, batchSize: 1000, durationMs: 8000, tenantIds: db.tenantIds, ledger: new Ledger() });
      results.set(name, [...(results.get(name) ?? []), Math.round(r.eventsPerSecond)]);
      console.log(`round ${round}, ${name}: ${Math.round(r.eventsPerSecond).toLocaleString('en-US')} events/s`);
    }
  }
  const names = [...results.keys()];
  const pct = (a: number[], b: number[]) => a.map((x, i) => `${(100 * (x / b[i]! - 1)).toFixed(1)}%`).join(', ');
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  for (let i = 1; i < names.length; i++) {
    const [a, b] = [results.get(names[i]!)!, results.get(names[i - 1]!)!];
    console.log(`${names[i]} / ${names[i - 1]}, per round: ${pct(a, b)}; medians ${median(a).toLocaleString('en-US')} / ${median(b).toLocaleString('en-US')} events/s`);
  }
} finally {
  await admin.end();
  await db.drop(false);
}
