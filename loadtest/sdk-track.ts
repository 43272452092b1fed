// npm run bench:sdk [-- --events N] [-- --server | --url URL --key KEY --tenant SLUG]: what
// @flagmeter/sdk costs the process that calls track(). (1) track() alone: the caller's CPU per event
// and events/s; (2) track() plus everything the SDK does for an event on the caller's side
// (batching, JSON, answer handling) with a fetch that answers 201 at once, so no network or server
// is measured; (3) with --server (a FlagMeter started here on an embedded PostgreSQL 18, then a
// check that every token was counted once) or --url, events/s delivered from this one process.
import { parseArgs } from 'node:util';
import { FlagMeter } from '../sdk/node/src/index.ts';
import { startChild, type Child } from './lib/children.ts';
import { setUpDatabase, storedTotals, type BenchDatabase } from './lib/database.ts';
import { benchApiKey } from './lib/workload.ts';

const { values } = parseArgs({ options: {
  events: { type: 'string', default: '300000' }, server: { type: 'boolean', default: false },
  url: { type: 'string' }, key: { type: 'string' }, tenant: { type: 'string', default: 'acme-corp' },
} });
const N = Number(values.events);

async function measure(label: string, fm: FlagMeter, tenant: string, n: number, drain: boolean): Promise<void> {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < n; i++) void fm.track({ tenant, feature: 'gpt-4o', tokens: 1 + (i % 500), user: `u${i % 100}` });
  if (drain) await fm.flush();
  const wall = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const usPerEvent = (cpu.user + cpu.system) / n;
  console.log(`| ${label} | ${n.toLocaleString('en')} | ${Math.round(n / wall).toLocaleString('en')} | ${usPerEvent.toFixed(2)} |`);
  await fm.close().catch(() => {});
}

const accepted = async () => new Response('{"success":true,"accepted":1000,"duplicates":0}', { status: 201, headers: { 'content-type': 'application/json' } });

console.log(`Node ${process.version}, ${N.toLocaleString('en')} events per row\n`);
console.log('| what | events | events/s | caller CPU µs/event |');
console.log('| --- | ---: | ---: | ---: |');
// warm-up so the JIT has compiled the path before it is measured
await measure('warm-up (ignore)', new FlagMeter({ baseUrl: 'http://127.0.0.1:9', maxQueueSize: N, flushIntervalMs: 1e9, flushOnExit: false }), 'acme-corp', Math.min(N, 50_000), false);
await measure('track() only (queued in memory)', new FlagMeter({ baseUrl: 'http://127.0.0.1:9', maxQueueSize: N, flushIntervalMs: 1e9, flushOnExit: false }), 'acme-corp', N, false);
await measure('track() + batches + JSON, fetch answering 201 at once', new FlagMeter({ baseUrl: 'http://stub', fetch: accepted, maxQueueSize: N, flushOnExit: false }), 'acme-corp', N, true);
if (values.url) {
  await measure(`delivered into ${values.url}`, new FlagMeter({ baseUrl: values.url, apiKey: values.key, maxQueueSize: N, flushOnExit: false }), values.tenant!, N, true);
}
if (values.server) {
  let db: BenchDatabase | undefined;
  let app: Child | undefined;
  try {
    db = await setUpDatabase(undefined, 1);
    const key = benchApiKey();
    // one tenant takes every event: its rate limit out of the way (this measures the SDK's delivery)
    app = await startChild('FlagMeter', 'server/main.ts', ['serve'], {
      DATABASE_URL: db.url, LOG_LEVEL: 'warn', FLAGMETER_DEMO: 'false', FLAGMETER_ADMIN_KEY: key,
      RATE_LIMIT_PER_SECOND: '10000000', RATE_LIMIT_BURST: '100000000',
    });
    const before = await storedTotals(db.url);
    await measure('delivered into a FlagMeter on this machine (same cores)', new FlagMeter({ baseUrl: `http://127.0.0.1:${app.port}`, apiKey: key, maxQueueSize: N, flushOnExit: false }), db.tenants[0]!, N, true);
    const after = await storedTotals(db.url);
    const expected = Array.from({ length: N }, (_, i) => 1 + (i % 500)).reduce((a, b) => a + b, 0);
    console.log(`\ncounted: ${after.events - before.events} events, ${after.eventTokens - before.eventTokens} tokens (expected ${N} and ${expected})`);
  } finally {
    await app?.stop();
    await db?.drop(false);
  }
}
