// npm run bench:cost [-- options]: what each hot request costs the server, in CPU microseconds, at a
// fixed rate well below the knee. A knee (npm run bench) moves with everything else the machine
// does; the CPU a request takes moves far less, so this is the figure to compare builds by, round
// after round alternated (e.g. main's bundle against a branch's).
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import path from 'node:path';
import { startChild, type Child } from './lib/children.ts';
import { setUpDatabase } from './lib/database.ts';
import { checkShots } from './lib/entitlements-steps.ts';
import { bulkShots, createFlags, listShots, singleShots } from './lib/flags-steps.ts';
import { Ledger, type Shot } from './lib/ledger.ts';
import { busyWarning, describeMachine } from './lib/machine.ts';
import { runOpenModel } from './lib/open-model.ts';
import { cpuSplit } from './lib/proc.ts';
import { Progress } from './lib/progress.ts';
import { target, type Target } from './lib/steps.ts';
import { benchApiKey, cycle, singleEvents } from './lib/workload.ts';
import { buildServer, defaultOutFile } from '../scripts/build-server.ts';
import { projectRoot } from '../server/paths.ts';

const HELP = `Usage: npm run bench:cost -- [options]

Starts a PostgreSQL 18 (embedded) and, in turn, the no-op Express app and FlagMeter (\`serve\`), and
sends each hot request at a fixed rate; prints the server's CPU time per answered request.

  --entry <file>     a FlagMeter bundle to measure (repeatable: the bundles alternate, round by round);
                     default: dist/flagmeter.mjs, built first
  --rate <req/s>     the fixed rate (default 3000: below the flag routes' knees on a 2-core machine)
  --duration <s>     seconds per request kind (default 8)
  --rounds <n>       rounds (default 2)
  --only <words>     only the request kinds whose label holds one of these (comma-separated, e.g. ofrep,check)
  --node-flags=<f>   extra Node flags for FlagMeter, space-separated (e.g. --node-flags="--cpu-prof")
  -h, --help         this text
`;

interface Kind { label: string; shots(port: number): Promise<Shot[]> }

const NOOP = 'no-op Express POST (the ceiling)';

function options() {
  const { values } = parseArgs({
    options: {
      entry: { type: 'string', multiple: true },
      rate: { type: 'string', default: '3000' },
      duration: { type: 'string', default: '8' },
      rounds: { type: 'string', default: '2' },
      only: { type: 'string' },
      'node-flags': { type: 'string', default: '' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(HELP);
    process.exit(0);
  }
  const n = (name: string, v: string) => {
    const x = Number(v);
    if (!(x > 0)) throw new Error(`--${name} must be a positive number (got '${v}')`);
    return x;
  };
  return { entries: values.entry ?? [], rate: n('rate', values.rate), durationMs: n('duration', values.duration) * 1000, rounds: n('rounds', values.rounds),
    only: values.only?.split(',').map((w) => w.trim().toLowerCase()).filter(Boolean), nodeFlags: values['node-flags'].split(' ').filter(Boolean) };
}

interface Cost { us: number; userUs: number; p99: number; bad: number }

/** Server CPU µs per answered request over one fixed-rate run (after an unrecorded warm-up), in all and in user space. */
async function cost(t: Target, rate: number, durationMs: number, shots: Shot[]): Promise<Cost> {
  await runOpenModel({ client: t.client, rate: 500, durationMs: 1500, maxInFlight: 256, shot: cycle(shots), ledger: t.ledger });
  const before = cpuSplit(t.child.pid);
  const r = await runOpenModel({ client: t.client, rate, durationMs, maxInFlight: 256, shot: cycle(shots), ledger: t.ledger });
  const after = cpuSplit(t.child.pid);
  const bad = r.dropped + r.errors + r.unanswered + Object.values(r.statuses).reduce((a, b) => a + b, 0);
  const per = (seconds: number) => (seconds * 1e6) / Math.max(1, r.ok);
  return { us: per(after.user + after.system - before.user - before.system), userUs: per(after.user - before.user), p99: r.latency.p99, bad };
}

async function main(): Promise<void> {
  const o = options();
  const progress = new Progress();
  if (o.entries.length === 0) o.entries.push(path.relative(projectRoot, await buildServer(defaultOutFile)));
  const missing = o.entries.filter((e) => !existsSync(path.resolve(projectRoot, e)));
  if (missing.length) throw new Error(`--entry: no such file: ${missing.join(', ')} (build one with node scripts/build-server.ts, then copy dist/flagmeter.mjs)`);
  progress.update('starting PostgreSQL and migrating…');
  const db = await setUpDatabase(undefined, 50);
  const machine = describeMachine(db.serverVersion);
  const busy = busyWarning(machine);
  if (busy) progress.done(busy);
  const apiKey = benchApiKey();
  const children = new Set<Child>();
  const stopAll = () => Promise.allSettled([...children].map((c) => c.stop()));
  process.once('SIGINT', () => void stopAll().then(() => db.drop(false)).finally(() => process.exit(130)));
  const env = { DATABASE_URL: db.url, LOG_LEVEL: 'warn', FLAGMETER_DEMO: 'false', FLAGMETER_ADMIN_KEY: apiKey };
  const all: Kind[] = [
    { label: 'POST /api/events (one event)', shots: async () => singleEvents(db.tenants, apiKey) },
    { label: 'POST /api/check', shots: async () => checkShots(db.tenants, apiKey) },
    { label: 'GET /api/features → 304', shots: (port) => listShots(port, db.tenants, apiKey) },
    { label: 'OFREP single evaluation', shots: async () => singleShots(db.tenants, apiKey) },
    { label: 'OFREP bulk → 304', shots: (port) => bulkShots(port, db.tenants, apiKey) },
  ];
  const kinds = all.filter((k) => !o.only || o.only.some((w) => k.label.toLowerCase().includes(w)));
  // figures[kind][entry] = one value per round
  const figures = new Map<string, Map<string, Cost[]>>();
  const record = (kind: string, entry: string, v: Cost) => {
    const byEntry = figures.get(kind) ?? new Map();
    figures.set(kind, byEntry);
    byEntry.set(entry, [...(byEntry.get(entry) ?? []), v]);
  };
  try {
    let flagsCreated = false;
    for (let round = 1; round <= o.rounds; round++) {
      progress.update(`round ${round}: no-op Express…`);
      const noop = await startChild('no-op', 'loadtest/noop-server.ts', [], {}, o.nodeFlags);
      children.add(noop);
      const nt = target(noop, new Ledger());
      record(NOOP, 'no-op', await cost(nt, o.rate, o.durationMs, singleEvents(db.tenants, apiKey)));
      nt.client.close();
      await noop.stop();
      children.delete(noop);
      for (const entry of round % 2 ? o.entries : [...o.entries].reverse()) {
        progress.update(`round ${round}: starting ${entry}…`);
        const child = await startChild('FlagMeter', entry, ['serve'], env, o.nodeFlags);
        children.add(child);
        const t = target(child, new Ledger());
        if (!flagsCreated) await createFlags(child.port, apiKey);
        flagsCreated = true;
        for (const k of kinds) {
          progress.update(`round ${round}, ${entry}: ${k.label} at ${o.rate} req/s…`);
          record(k.label, entry, await cost(t, o.rate, o.durationMs, await k.shots(child.port)));
        }
        t.client.close();
        await child.stop();
        children.delete(child);
      }
    }
  } finally {
    await stopAll();
    await db.drop(false).catch(() => undefined);
  }
  const median = (runs: { us: number }[]) => {
    const v = runs.map((r) => r.us).sort((a, b) => a - b);
    return v.length % 2 ? v[(v.length - 1) / 2]! : (v[v.length / 2 - 1]! + v[v.length / 2]!) / 2;
  };
  const noopUs = median(figures.get(NOOP)!.get('no-op')!);
  const lines = ['| request | server CPU per request, one figure a round (user alone) | median | no-op ÷ this | P99 ms (worst round) |', '| --- | --- | --- | --- | --- |'];
  for (const [kind, byEntry] of figures) {
    for (const [entry, runs] of byEntry) {
      const each = runs.map((r) => `${r.us.toFixed(0)} µs (${r.userUs.toFixed(0)})${r.bad ? ` [${r.bad} not 2xx/304 or dropped]` : ''}`).join(', ');
      const m = median(runs);
      // the share of the ceiling it could reach were the server's CPU the limit
      lines.push(`| ${kind}${o.entries.length > 1 && entry !== 'no-op' ? ` — ${entry}` : ''} | ${each} | ${m.toFixed(0)} µs | ${Math.round((100 * noopUs) / m)}% | ${Math.max(...runs.map((r) => r.p99)).toFixed(1)} |`);
    }
  }
  process.stdout.write(`\n${lines.join('\n')}\n\nserver CPU (user + system, and user alone: the kernel's share moves with the host) per answered request at ${o.rate} req/s, ${o.durationMs / 1000} s per kind, one figure per round (bundles alternated); ${machine.cpu}, ${machine.cores} cores, Node ${machine.node}, PostgreSQL ${db.serverVersion}${busy ? `\n${busy}` : ''}\n`);
}

main().then(() => process.exit(0), (err: Error) => {
  process.stderr.write(`bench:cost failed: ${err.stack ?? err.message}\n`);
  process.exit(1);
});
