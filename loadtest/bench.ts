// npm run bench [-- --quick]: FlagMeter's throughput and latency on this machine, each figure next to
// its ceiling measured in the same run, then a check that every acknowledged token was counted once.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startChild, type Child } from './lib/children.ts';
import { setUpDatabase, storedTotals, type BenchDatabase, type StoredTotals } from './lib/database.ts';
import { Ledger } from './lib/ledger.ts';
import { busyWarning, describeMachine } from './lib/machine.ts';
import { Progress } from './lib/progress.ts';
import { machineLine, method, table, type Row } from './lib/report.ts';
import { batchRow, batchStep, kneeRow, kneeStep, mixStep, sqlStep, target, type BenchContext } from './lib/steps.ts';
import { reportingStep } from './lib/reporting-steps.ts';
import { batches, benchApiKey, cycle, mix, singleEvents, usageReads } from './lib/workload.ts';
import { benchValkey } from './lib/valkey.ts';
import { cacheSources, describeSources, type CacheSources } from './lib/cache-sources.ts';
import { loadConfig } from '../server/config.ts';
import { buildServer, defaultOutFile } from '../scripts/build-server.ts';
import { projectRoot } from '../server/paths.ts';
import { flagsHttpStep, flagsMicroBench, type FlagsHttpResult } from './lib/flags-steps.ts';
import { flagsRulesBench } from './lib/flags-rules-bench.ts';
import { checkRow, checkStep, reserveRow, reserveStep } from './lib/entitlements-steps.ts';

const STEPS = ['ceiling', 'single', 'mix', 'reads', 'reads-cached', 'batch', 'check', 'reserve', 'flags', 'flags-eval', 'sql', 'reporting'] as const;
type Step = (typeof STEPS)[number];

const HELP = `Usage: npm run bench -- [options]

Starts a PostgreSQL 18 (embedded, in a temp folder) and FlagMeter as a child process, loads it from
this process with an open-model generator, and prints a Markdown table plus loadtest/results/<time>.json.

  --quick               ~3 s per probe instead of 10 s (development; numbers are rougher)
  --duration <s>        seconds per probe/step (overrides --quick)
  --database-url <url>  use this PostgreSQL (default: DATABASE_URL, else embedded); a fresh database
                        flagmeter_bench_<time> is created in it and dropped afterwards
  --only <steps>        comma-separated subset of: ${STEPS.join(', ')}
  --mix-rate <req/s>    offered rate of the 80/20 mix (default 1000, the seed POC's target)
  --max-in-flight <n>   open-model in-flight limit before requests are dropped (default 256)
  --tenants <n>         tenants to spread events over (default 50)
  --valkey-url <url>    run FlagMeter with this Valkey/Redis (VALKEY_URL) under a key prefix of its own,
                        deleted afterwards; reads-cached then measures the Valkey cache twice, as
                        configured by default (250 ms in memory in front of Valkey) and with every
                        read asking Valkey (USAGE_CACHE_LOCAL_MS=0) (default: no Valkey,
                        reads-cached measures the in-process cache)
  --current-sql         also apply sql/current.sql (the uncommitted migration) after the committed ones
  --cpu-prof            run FlagMeter with --cpu-prof (profiles land in loadtest/results/)
  --node-flags=<flags>  extra Node flags for FlagMeter, space-separated (e.g. --node-flags="--max-semi-space-size=4")
  --typescript          run FlagMeter from server/main.ts (type stripping) instead of the bundle the
                        image runs (dist/flagmeter.mjs, built first)
  --keep                keep the database (and the embedded server's folder) afterwards
  -h, --help            this text
`;

const here = path.dirname(fileURLToPath(import.meta.url));

function options() {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      duration: { type: 'string' },
      'database-url': { type: 'string' },
      only: { type: 'string' },
      'mix-rate': { type: 'string', default: '1000' },
      'max-in-flight': { type: 'string', default: '256' },
      tenants: { type: 'string', default: '50' },
      'valkey-url': { type: 'string' },
      'cpu-prof': { type: 'boolean', default: false },
      'node-flags': { type: 'string', default: '' },
      typescript: { type: 'boolean', default: false },
      'current-sql': { type: 'boolean', default: false },
      keep: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(HELP);
    process.exit(0);
  }
  const positive = (name: string, v: string | undefined) => {
    const n = Number(v);
    if (!(n > 0)) throw new Error(`--${name} must be a positive number (got '${v}')`);
    return n;
  };
  const only = values.only?.split(',').map((s) => s.trim()).filter(Boolean) ?? [...STEPS];
  const unknown = only.filter((s) => !(STEPS as readonly string[]).includes(s));
  if (unknown.length) throw new Error(`--only: unknown step(s) ${unknown.join(', ')}; choose from ${STEPS.join(', ')}`);
  const stepSeconds = values.duration ? positive('duration', values.duration) : values.quick ? 3 : 10;
  return {
    steps: new Set(only as Step[]),
    stepSeconds,
    quick: values.quick,
    databaseUrl: values['database-url'] ?? process.env.DATABASE_URL,
    mixRate: positive('mix-rate', values['mix-rate']),
    maxInFlight: positive('max-in-flight', values['max-in-flight']),
    tenants: positive('tenants', values.tenants),
    valkeyUrl: values['valkey-url'],
    cpuProf: values['cpu-prof'],
    nodeFlags: values['node-flags'].split(' ').filter(Boolean),
    typescript: values.typescript,
    currentSql: values['current-sql'],
    keep: values.keep,
  };
}

interface Check { ok: boolean; expected: { tokens: number; events: number; unknownTokens: number; unknownEvents: number }; stored: StoredTotals; message: string }

async function dataCheck(db: BenchDatabase, ledger: Ledger): Promise<Check> {
  const stored = await storedTotals(db.url);
  const tokens = ledger.ackTokens + ledger.sqlTokens;
  const events = ledger.ackEvents + ledger.sqlEvents;
  const within = (v: number, lo: number, slack: number) => v >= lo && v <= lo + slack;
  const problems: string[] = [];
  if (stored.rollupTokens !== stored.eventTokens) problems.push(`rollups hold ${stored.rollupTokens} tokens but events hold ${stored.eventTokens}`);
  if (stored.rollupEvents !== stored.events) problems.push(`rollups count ${stored.rollupEvents} events but the events table has ${stored.events}`);
  if (!within(stored.eventTokens, tokens, ledger.unknownTokens)) problems.push(`acknowledged ${tokens} tokens, stored ${stored.eventTokens} (${stored.eventTokens - tokens > 0 ? '+' : ''}${stored.eventTokens - tokens})`);
  if (!within(stored.events, events, ledger.unknownEvents)) problems.push(`acknowledged ${events} events, stored ${stored.events} (${stored.events - events > 0 ? '+' : ''}${stored.events - events})`);
  const unknown = ledger.unknownEvents ? ` (${ledger.unknownEvents} events had no answer; allowed either way)` : '';
  const message = problems.length
    ? `DATA CHECK FAILED: ${problems.join('; ')}${unknown}`
    : `data check: ${events.toLocaleString('en-US')} events / ${tokens.toLocaleString('en-US')} tokens acknowledged (${ledger.sqlEvents.toLocaleString('en-US')} of them by direct SQL) = events table = rollups; none lost, none double counted${unknown}`;
  return { ok: problems.length === 0, expected: { tokens, events, unknownTokens: ledger.unknownTokens, unknownEvents: ledger.unknownEvents }, stored, message };
}

async function main(): Promise<number> {
  const o = options();
  // what the image runs, unless --typescript: the bundle, built before the first FlagMeter starts
  const entry = o.typescript ? 'server/main.ts' : path.relative(projectRoot, defaultOutFile);
  const progress = new Progress();
  const ledger = new Ledger();
  const startedAt = new Date();
  const children = new Set<Child>();
  const resultsDir = path.join(here, 'results');
  await mkdir(resultsDir, { recursive: true });
  const stamp = startedAt.toISOString().replace(/[:.]/g, '-');

  // measured before our own Postgres starts, so the warning is about other work
  const machine = describeMachine('?');
  progress.update('starting PostgreSQL and migrating…');
  const db = await setUpDatabase(o.databaseUrl, o.tenants, o.currentSql);
  const valkey = o.valkeyUrl ? benchValkey(o.valkeyUrl, stamp) : undefined;
  let keep = o.keep;
  const abort = async (signal: string) => {
    progress.done(`${signal}: stopping`);
    await Promise.allSettled([...children].map((c) => c.stop()));
    await db.drop(o.keep).catch(() => undefined);
    await valkey?.cleanup().catch(() => undefined);
    process.exit(130);
  };
  process.once('SIGINT', () => void abort('SIGINT'));
  process.once('SIGTERM', () => void abort('SIGTERM'));

  machine.postgres = db.serverVersion;
  const busy = busyWarning(machine);
  if (busy) progress.done(busy);
  progress.done(`machine: ${machine.cpu}, ${machine.cores} cores, Node ${machine.node}, PostgreSQL ${machine.postgres}; ${o.stepSeconds} s per probe; database ${db.location}`);
  const ctx: BenchContext = {
    stepMs: o.stepSeconds * 1000, pauseMs: o.stepSeconds >= 5 ? 1000 : 500, p99Ms: 50,
    maxInFlight: o.maxInFlight, batchClients: (size) => (size >= 1000 ? 4 : 16), ledger, progress, db,
  };
  const start = async (name: string, script: string, args: string[], env: Record<string, string>, flags: string[] = []) => {
    progress.update(`starting ${name}…`);
    const c = await startChild(name, script, args, env, flags);
    children.add(c);
    return c;
  };
  const stop = async (c: Child) => {
    await c.stop();
    children.delete(c);
  };

  // every request carries a key, the no-op's too, so both parse the same bytes; auth is on as in production
  const apiKey = benchApiKey();
  const posts = singleEvents(db.tenants, apiKey);
  const reads = usageReads(db.tenants, apiKey);
  const results: Record<string, unknown> = {};
  let ceiling: number | undefined;
  let single, mixed, readKnee;
  let flagsHttp: FlagsHttpResult | undefined;
  const cachedReads: { label: string; knee: Awaited<ReturnType<typeof kneeStep>>; sources: CacheSources }[] = [];
  const batched: Record<number, Awaited<ReturnType<typeof batchStep>>> = {};

  try {
    if (o.steps.has('ceiling')) {
      const noop = await start('no-op Express 5', 'loadtest/noop-server.ts', [], {});
      // the no-op app stores nothing: its acknowledgements stay out of the data check
      const t = target(noop, new Ledger());
      const knee = await kneeStep(ctx, 'no-op ceiling', t, cycle(posts));
      t.client.close();
      await stop(noop);
      ceiling = knee.rate;
      results.ceiling = knee;
    }
    const http: Step[] = ['single', 'mix', 'reads', 'batch', 'check', 'reserve', 'flags'];
    if (!o.typescript) await buildServer();
    const flags = [...o.nodeFlags, ...(o.cpuProf ? ['--cpu-prof', `--cpu-prof-dir=${path.join(resultsDir, `prof-${stamp}`)}`] : [])];
    const fmEnv = { DATABASE_URL: db.url, LOG_LEVEL: 'warn', FLAGMETER_DEMO: 'false', FLAGMETER_ADMIN_KEY: apiKey, ...valkey?.env };
    if (http.some((s) => o.steps.has(s))) {
      // usage cache off: reads and the mix measure the SQL read path; reads-cached measures the cache
      const fmChild = await start('FlagMeter', entry, ['serve'], { ...fmEnv, USAGE_CACHE_TTL_MS: '0' }, flags);
      const fm = target(fmChild, ledger);
      if (o.steps.has('single')) results.single = single = await kneeStep(ctx, 'single-event POST', fm, cycle(posts));
      if (o.steps.has('mix')) results.mix = mixed = await mixStep(ctx, fm, o.mixRate, mix(posts, reads));
      if (o.steps.has('reads')) results.reads = readKnee = await kneeStep(ctx, 'usage reads', fm, cycle(reads));
      if (o.steps.has('batch')) {
        for (const size of [100, 1000]) batched[size] = await batchStep(ctx, fm, size, batches(db.tenants, apiKey, size));
        results.batch = batched;
      }
      if (o.steps.has('check')) results.check = await checkStep(ctx, fm, db.tenants, apiKey);
      if (o.steps.has('reserve')) results.reserve = await reserveStep(ctx, fm, apiKey);
      if (o.steps.has('flags')) results.flags = flagsHttp = await flagsHttpStep(ctx, fm, db.tenants, apiKey);
      progress.update('stopping FlagMeter (it writes out its buffer first)…');
      fm.client.close();
      await stop(fmChild);
    }
    if (o.steps.has('reads-cached')) {
      const variants: { label: string; env: Record<string, string> }[] = valkey
        ? [{ label: `Valkey + ${loadConfig({}).USAGE_CACHE_LOCAL_MS} ms in memory`, env: {} }, { label: 'Valkey only', env: { USAGE_CACHE_LOCAL_MS: '0' } }]
        : [{ label: 'in-process', env: {} }];
      for (const v of variants) {
        const fmChild = await start(`FlagMeter (usage cache: ${v.label})`, entry, ['serve'], { ...fmEnv, ...v.env }, flags);
        const fm = target(fmChild, ledger);
        const knee = await kneeStep(ctx, `usage reads, cached (${v.label})`, fm, cycle(reads));
        const sources = await cacheSources(fmChild.port);
        progress.done(`  answered from (whole step): ${describeSources(sources)}`);
        cachedReads.push({ label: v.label, knee, sources });
        fm.client.close();
        await stop(fmChild);
      }
      results.readsCached = cachedReads;
    }
    let sqlBest: number | undefined;
    if (o.steps.has('sql')) {
      const runs = [await sqlStep(ctx, 2), await sqlStep(ctx, 4)];
      sqlBest = Math.max(...runs.map((r) => r.eventsPerSecond));
      results.sql = runs;
    }
    let reportingRows: Row[] = [];
    if (o.steps.has('reporting')) {
      const fmChild = await start('FlagMeter (reporting)', entry, ['serve'], fmEnv, flags);
      const r = await reportingStep(ctx, fmChild, apiKey, { quick: o.quick });
      results.reporting = r.result;
      reportingRows = r.rows;
      await stop(fmChild);
    }

    const noopCeiling = ceiling === undefined ? undefined : { label: 'no-op Express', rate: ceiling };
    const rows: Row[] = [];
    if (results.ceiling) rows.push(kneeRow('no-op Express 5 POST (ceiling)', results.ceiling as never));
    if (single) rows.push(kneeRow('single-event POST /api/events', single, noopCeiling));
    if (mixed) rows.push(mixed.row);
    if (readKnee) rows.push(kneeRow('GET /api/usage/:tenant, no cache (PostgreSQL)', readKnee, noopCeiling));
    for (const c of cachedReads) rows.push(kneeRow(`GET /api/usage/:tenant, cached (${c.label}, TTL 1 s; answered ${describeSources(c.sources)})`, c.knee, noopCeiling));
    for (const size of [100, 1000]) if (batched[size]) rows.push(batchRow(size, batched[size], sqlBest));
    const entitlementChecks = [results.check, results.reserve].map((r) => (r as { check?: { ok: boolean; message: string } } | undefined)?.check).filter((c) => c !== undefined);
    if (results.check) rows.push(checkRow((results.check as Awaited<ReturnType<typeof checkStep>>).knee, noopCeiling));
    if (results.reserve) rows.push(reserveRow(results.reserve as Awaited<ReturnType<typeof reserveStep>>));
    if (flagsHttp) {
      rows.push(kneeRow('OFREP POST /ofrep/v1/evaluate/flags/{key} (in-memory evaluation: a rollout, a 1,000-user list, 3 strategies × 4 constraints + 3 variants, in turn)', flagsHttp.single, noopCeiling));
      rows.push(kneeRow('OFREP bulk POST /ofrep/v1/evaluate/flags with If-None-Match → 304', flagsHttp.bulk304, noopCeiling));
      rows.push(kneeRow('GET /api/features?tenant&env with If-None-Match → 304 (definitions from memory)', flagsHttp.list304, noopCeiling));
    }
    if (o.steps.has('flags-eval')) {
      // in this process, after the HTTP steps (nothing else runs meanwhile)
      progress.update('flags-eval: in-process evaluation micro-benchmark…');
      const n = o.quick ? 4 : 1;
      const micro = flagsMicroBench(2_000_000 / n);
      const rules = flagsRulesBench(1_000_000 / n);
      results.flagsMicro = micro;
      results.flagsRules = rules;
      const ns = (x: number) => `${x.toFixed(0)} ns`;
      rows.push({ step: `in-process evaluation of one flag with a 1,000-user allow list (best of 5 × ${(2 / n).toLocaleString('en-US')}M, bench process)`, figure: `${ns(micro.nsPerEvaluation)} (${ns(micro.nsPerEvaluationCounted)} with counting)` });
      rows.push({ step: `in-process evaluation of a flag with 3 strategies × 4 constraints and 3 weighted variants (best of 5 × ${(1 / n).toLocaleString('en-US')}M)`, figure: `${ns(rules.nsPerEvaluation)} (${ns(rules.cpuNsPerEvaluation)} CPU); ${ns(rules.nsPerEvaluationCounted)} with counting` });
      rows.push({ step: 'evaluation counter alone (one count, three values in turn)', figure: `${ns(rules.nsPerCount)} (${ns(rules.cpuNsPerCount)} CPU)` });
    }
    if (sqlBest !== undefined) {
      const best = (results.sql as Awaited<ReturnType<typeof sqlStep>>[]).reduce((a, b) => (b.eventsPerSecond > a.eventsPerSecond ? b : a));
      rows.push({ step: `direct SQL insertEvents, ${best.connections} connections × 1,000 rows (ceiling)`, figure: `${Math.round(best.eventsPerSecond).toLocaleString('en-US')} events/s`, usage: best.usage });
    }
    rows.push(...reportingRows);

    progress.update('checking the data…');
    const check = await dataCheck(db, ledger);
    for (const c of entitlementChecks) {
      if (!c.ok) check.ok = false;
      check.message += `\n${c.message}`;
    }
    if (!check.ok) keep = true;
    const methodText = method({ stepSeconds: o.stepSeconds, p99Ms: ctx.p99Ms, maxInFlight: ctx.maxInFlight, batchClients: '16 clients with 100-event bodies, 4 with 1,000-event bodies', tenants: o.tenants, mixRate: o.mixRate, embedded: !o.databaseUrl, valkey: !!valkey, nodeFlags: o.nodeFlags, entry });
    const file = path.join(resultsDir, `${stamp}.json`);
    await writeFile(file, JSON.stringify({ startedAt, ...(busy ? { warning: busy } : {}), options: { ...o, steps: [...o.steps], databaseUrl: o.databaseUrl ? '(given)' : undefined, valkeyUrl: o.valkeyUrl ? '(given)' : undefined }, machine, rows, check, results }, null, 2));

    process.stdout.write(`\n${table(rows)}\n\n${machineLine(machine)}${o.quick ? ' — --quick run: rough numbers' : ''}${busy ? `\n${busy}` : ''}\n\nMethod:\n${methodText}\n\n${check.message}\nresults: ${path.relative(process.cwd(), file)}${keep ? `\ndatabase kept: ${db.location}` : ''}\n`);
    return check.ok ? 0 : 1;
  } catch (err) {
    keep = true;
    for (const c of children) process.stderr.write(`--- last output of ${c.name}:\n${c.tail()}\n`);
    process.stderr.write(`database kept for a look: ${db.location}\n`);
    if (/does not exist/.test((err as Error).message) && !o.currentSql) process.stderr.write('hint: a relation is missing; if the server needs the uncommitted sql/current.sql, pass --current-sql\n');
    throw err;
  } finally {
    await Promise.allSettled([...children].map((c) => c.stop()));
    await db.drop(keep).catch((err: Error) => process.stderr.write(`could not clean up the database: ${err.message}\n`));
    await valkey?.cleanup().catch((err: Error) => process.stderr.write(`could not delete the bench's Valkey keys: ${err.message}\n`));
  }
}

main().then((code) => process.exit(code), (err: Error) => {
  process.stderr.write(`bench failed: ${err.stack ?? err.message}\n`);
  process.exit(1);
});
