// npm run bench:start [-- options]: what `npm start` (role `all`: API and jobs in one process) holds
// at a constant rate of single-event POST /api/events from an external keep-alive client, next to
// `serve` + `worker` as two processes on the same database, in alternating runs. The figure of
// issue 21: P99 and requests dropped after warm-up, at 4,000/s.
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { startChild, type Child } from './lib/children.ts';
import { setUpDatabase } from './lib/database.ts';
import { HttpClient } from './lib/http-client.ts';
import { Ledger } from './lib/ledger.ts';
import { describeMachine } from './lib/machine.ts';
import { runOpenModel } from './lib/open-model.ts';
import { benchApiKey, cycle, singleEvents } from './lib/workload.ts';

const HELP = `Usage: npm run bench:start -- [options]

Starts an embedded PostgreSQL 18 (temp folder) with N tenants, then per round FlagMeter as \`all\`
(node server/main.ts all, as npm start runs it) and as \`serve\` + \`worker\`, each loaded with
single-event POST /api/events at a constant rate (open model: latency from each request's due time;
a request due while --max-in-flight are outstanding is dropped).

  --rate <req/s>        offered rate (default 4000)
  --duration <s>        recorded seconds per run (default 70: a run spans a minute tick)
  --warm-up <s>         unrecorded seconds at the same rate first (default 10)
  --rounds <n>          alternations of the modes (default 2)
  --modes <list>        comma-separated: all, split (default all,split)
  --max-in-flight <n>   (default 256)
  --tenants <n>         (default 50)
  --cpu-prof            run the FlagMeter processes with --cpu-prof (into loadtest/results/start-prof-<time>/)
  -h, --help            this text
`;

const { values: v } = parseArgs({
  options: {
    rate: { type: 'string', default: '4000' }, duration: { type: 'string', default: '70' }, 'warm-up': { type: 'string', default: '10' },
    rounds: { type: 'string', default: '2' }, modes: { type: 'string', default: 'all,split' }, 'max-in-flight': { type: 'string', default: '256' },
    tenants: { type: 'string', default: '50' }, 'cpu-prof': { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h', default: false },
  },
});
if (v.help) {
  process.stdout.write(HELP);
  process.exit(0);
}
const rate = Number(v.rate), durationMs = Number(v.duration) * 1000, warmMs = Number(v['warm-up']) * 1000;
const modes = v.modes.split(',').map((m) => m.trim()).filter(Boolean) as ('all' | 'split')[];
const profDir = path.resolve('loadtest/results', `start-prof-${new Date().toISOString().replace(/[:.]/g, '-')}`);
const nodeFlags = v['cpu-prof'] ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`] : [];

const db = await setUpDatabase(undefined, Number(v.tenants));
const machine = describeMachine(db.serverVersion);
const apiKey = benchApiKey();
const shots = cycle(singleEvents(db.tenants, apiKey));
const env = { DATABASE_URL: db.url, LOG_LEVEL: 'warn', FLAGMETER_DEMO: 'false', FLAGMETER_ADMIN_KEY: apiKey };
const load = () => os.loadavg().map((n) => n.toFixed(1)).join(' ');

async function start(mode: 'all' | 'split'): Promise<{ api: Child; children: Child[] }> {
  if (mode === 'all') {
    const api = await startChild('flagmeter all', 'server/main.ts', ['all'], env, nodeFlags);
    return { api, children: [api] };
  }
  const api = await startChild('flagmeter serve', 'server/main.ts', ['serve'], env, nodeFlags);
  const worker = await startChild('flagmeter worker', 'server/main.ts', ['worker'], env, nodeFlags, 'METRICS_PORT');
  return { api, children: [api, worker] };
}

console.log(`machine: ${machine.cpu}, ${machine.cores} cores, Node ${machine.node}; load average before: ${load()}`);
console.log(`single-event POST /api/events at ${rate}/s, ${durationMs / 1000} s recorded after ${warmMs / 1000} s of warm-up, max ${v['max-in-flight']} in flight`);
console.log('| round | mode | P50 ms | P99 ms | P99.9 ms | max ms | dropped | failed | achieved/s | load avg (1 5 15) |');
console.log('|---|---|---|---|---|---|---|---|---|---|');
const rows: unknown[] = [];
try {
  for (let round = 1; round <= Number(v.rounds); round++) {
    for (const mode of modes) {
      const { api, children } = await start(mode);
      const client = new HttpClient(api.port);
      try {
        const common = { client, rate, maxInFlight: Number(v['max-in-flight']), shot: shots, ledger: new Ledger() };
        if (warmMs > 0) await runOpenModel({ ...common, durationMs: warmMs });
        const r = await runOpenModel({ ...common, durationMs });
        const failed = r.errors + r.unanswered + Object.values(r.statuses).reduce((a, b) => a + b, 0);
        const l = r.latency;
        console.log(`| ${round} | ${mode === 'all' ? 'all' : 'serve + worker'} | ${l.p50.toFixed(1)} | ${l.p99.toFixed(1)} | ${l.p999.toFixed(1)} | ${l.max.toFixed(0)} | ${r.dropped} | ${failed} | ${r.achievedRate.toFixed(0)} | ${load()} |`);
        rows.push({ round, mode, ...r });
      } finally {
        client.close();
        for (const c of children.reverse()) await c.stop();
      }
    }
  }
} finally {
  await db.drop(false);
}
if (nodeFlags.length > 0) console.log(`CPU profiles: ${profDir}`);
