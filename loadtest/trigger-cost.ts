// npm run bench:trigger [-- --rounds 6 --seconds 8 --users 100 --last 2] (or [-- rounds]): what the rollups cost the
// hot insert. In one fresh database, alternates the definitions the rollup trigger has had (migration 1:
// minute rows only; migration 5: minute and daily rows; migration 7: minute, daily and per-end-user
// daily rows; --last n keeps the newest n) and runs the SQL ceiling (insertEvents, 1,000-row
// statements, 2 connections) under each, in a rotated order from round to round, so all see the same
// machine state; prints events/s per round and each definition's ratio to the one before it, per
// round and as the median. --users: how many end users the events name (0: none, the anonymous case
// the per-user rollup skips; 100: every event names one, its worst case). --parts: every event gives
// input/output/cached parts (which triggers before migration 14 store but ignore).
import { parseArgs } from 'node:util';
import pg from 'pg';
import { triggerDefinitions } from './lib/triggers.ts';
import { setUpDatabase } from './lib/database.ts';
import { Ledger } from './lib/ledger.ts';
import { runSqlCeiling } from './lib/sql-ceiling.ts';

const { values: args, positionals } = parseArgs({ allowPositionals: true, options: {
  rounds: { type: 'string', default: '6' }, seconds: { type: 'string', default: '8' },
  users: { type: 'string', default: '100' }, last: { type: 'string', default: '99' }, parts: { type: 'boolean', default: false },
} });
// `npm run bench:trigger -- 4` (the rounds, as before) still works
const rounds = Number(positionals[0] ?? args.rounds);
const seconds = Number(args.seconds);
const users = Number(args.users);
const variants = Object.fromEntries(triggerDefinitions().slice(-Number(args.last)).map(([n, sql]) => [`trigger of migration ${n}`, sql]));
console.log(`${rounds} rounds of ${seconds} s per definition; events name ${users ? `one of ${users} users` : 'no user'}${args.parts ? ', with token parts' : ''}`);

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
      const r = await runSqlCeiling({ url: db.url, connections: 2, batchSize: 1000, durationMs: seconds * 1000, tenantIds: db.tenantIds, ledger: new Ledger(), users, parts: args.parts });
      results.set(name, [...(results.get(name) ?? []), Math.round(r.eventsPerSecond)]);
      console.log(`round ${round}, ${name}: ${Math.round(r.eventsPerSecond).toLocaleString('en-US')} events/s`);
    }
  }
  const names = [...results.keys()];
  const pct = (r: number) => `${(100 * (r - 1)).toFixed(1)}%`;
  const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); return (s[Math.floor((s.length - 1) / 2)]! + s[Math.ceil((s.length - 1) / 2)]!) / 2; };
  for (let i = 1; i < names.length; i++) {
    const [a, b] = [results.get(names[i]!)!, results.get(names[i - 1]!)!];
    const ratios = a.map((x, k) => x / b[k]!);
    console.log(`${names[i]} / ${names[i - 1]}: median of the per-round ratios ${pct(median(ratios))} (per round: ${ratios.map(pct).join(', ')}); median events/s ${Math.round(median(a)).toLocaleString('en-US')} / ${Math.round(median(b)).toLocaleString('en-US')}`);
  }
} finally {
  await admin.end();
  await db.drop(false);
}
