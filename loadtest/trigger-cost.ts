// npm run bench:trigger [-- --rounds 6 --seconds 8 --users 100 --last 2] (or [-- rounds]): what the rollups cost the
// hot insert. In one embedded PostgreSQL 18, one database per schema the rollup trigger has had (the
// committed migrations up to the one that defined it: migration 1, minute rows only; 5, minute and
// daily rows; 10, per-end-user rows in the trigger; 11 and later, the per-user queue; the newest,
// the per-user rollup folded from events behind a transaction-id watermark; --last n keeps the
// newest n), plus the newest schema without that watermark (no per-user work on the insert beyond
// the daily rows' named part); runs the SQL ceiling (insertEvents, 1,000-row statements, 2
// connections) in each, in a rotated order from round to round, so all see the same machine state;
// prints events/s per round and each variant's ratio to the one before it, per round and as the
// median. --users: how many end users the events name (0: none; 100: every event names one, the
// per-user rollup's worst case). --parts: every event gives input/output/cached parts (which
// schemas before migration 14 store but ignore).
import { parseArgs } from 'node:util';
import pg from 'pg';
import { triggerDefinitions, userWatermarkMigration, withoutUserWatermark } from './lib/triggers.ts';
import { setUpDatabase, type BenchDatabase } from './lib/database.ts';
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
const newest = triggerDefinitions().slice(-Number(args.last));
const watermarkAt = userWatermarkMigration();
console.log(`${rounds} rounds of ${seconds} s per variant; events name ${users ? `one of ${users} users` : 'no user'}${args.parts ? ', with token parts' : ''}`);

// the first database starts the server; the others are created in it
const databases: BenchDatabase[] = [];
const variants = new Map<string, BenchDatabase>();
try {
  const latest = newest.at(-1)![0];
  if (watermarkAt > 0 && latest >= watermarkAt) {
    const db = await setUpDatabase(process.env.DATABASE_URL, 50, false, latest);
    databases.push(db);
    const admin = new pg.Client(db.url);
    await admin.connect();
    await admin.query(withoutUserWatermark);
    await admin.end();
    variants.set(`migration ${latest} without the per-user watermark`, db);
  }
  for (const [n] of newest) {
    const db = await setUpDatabase(databases[0]?.serverUrl ?? process.env.DATABASE_URL, 50, false, n);
    databases.push(db);
    variants.set(`migration ${n}`, db);
  }
  const results = new Map<string, number[]>();
  for (let round = 1; round <= rounds; round++) {
    // each round starts with another variant: the tables only grow, so a fixed order would favour the first
    const all = [...variants];
    const order = [...all.slice((round - 1) % all.length), ...all.slice(0, (round - 1) % all.length)];
    for (const [name, db] of order) {
      const r = await runSqlCeiling({ url: db.url, connections: 2, batchSize: 1000, durationMs: seconds * 1000, tenantIds: db.tenantIds, ledger: new Ledger(), users, parts: args.parts });
      results.set(name, [...(results.get(name) ?? []), Math.round(r.eventsPerSecond)]);
      console.log(`round ${round}, ${name}: ${Math.round(r.eventsPerSecond).toLocaleString('en-US')} events/s`);
    }
  }
  // in the order of the variants (round 1's): the baseline first, the newest last
  const names = [...results.keys()];
  const pct = (r: number) => `${(100 * (r - 1)).toFixed(1)}%`;
  const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); return (s[Math.floor((s.length - 1) / 2)]! + s[Math.ceil((s.length - 1) / 2)]!) / 2; };
  for (let i = 1; i < names.length; i++) {
    const [a, b] = [results.get(names[i]!)!, results.get(names[i - 1]!)!];
    const ratios = a.map((x, k) => x / b[k]!);
    console.log(`${names[i]} / ${names[i - 1]}: median of the per-round ratios ${pct(median(ratios))} (per round: ${ratios.map(pct).join(', ')}); median events/s ${Math.round(median(a)).toLocaleString('en-US')} / ${Math.round(median(b)).toLocaleString('en-US')}`);
  }
  if (names.length > 2 && variants.size > newest.length) {
    // what the per-user rollup costs today: the newest schema against itself without the watermark
    const [a, b] = [results.get(names.at(-1)!)!, results.get(names[0]!)!];
    const ratios = a.map((x, k) => x / b[k]!);
    console.log(`${names.at(-1)} / ${names[0]}: median of the per-round ratios ${pct(median(ratios))} (per round: ${ratios.map(pct).join(', ')})`);
  }
} finally {
  // the embedded server's own database last: dropping it stops the server
  for (const db of databases.reverse()) await db.drop(false);
}
