// npm run bench:unleash [-- --quick]: FlagMeter next to Unleash OSS on this machine, same run, same
// PostgreSQL, same flags, same generator and client, the two servers alternating (issue #22).
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startChild, type Child } from './lib/children.ts';
import { setUpDatabase } from './lib/database.ts';
import { Ledger, type Shot } from './lib/ledger.ts';
import { busyWarning, describeMachine } from './lib/machine.ts';
import { Progress } from './lib/progress.ts';
import { machineLine, table, type Row } from './lib/report.ts';
import { kneeRow, kneeStep, target, type BenchContext, type Probe, type Target } from './lib/steps.ts';
import type { KneeResult } from './lib/knee.ts';
import { benchApiKey } from './lib/workload.ts';
import { parseUnleashOptions, UNLEASH_HELP, UNLEASH_VERSION } from './lib/unleash-options.ts';
import {
  countFlags, ensureUnleash, FLAG_SET, FLAGMETER_ENV, flagMeterDefinitions304, flagMeterEvaluations, seedFlagMeter, seedUnleash,
  startUnleash, unleashDefinitions304, unleashEvaluations, type UnleashServer,
} from './lib/unleash.ts';
import { buildServer, defaultOutFile } from '../scripts/build-server.ts';
import { projectRoot } from '../server/paths.ts';

const o = parseUnleashOptions(process.argv.slice(2));
if (o.help) {
  process.stdout.write(UNLEASH_HELP);
  process.exit(0);
}

const here = path.dirname(fileURLToPath(import.meta.url));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const load = () => os.loadavg().map((n) => n.toFixed(2)).join(' ');

interface Pair { label: string; flagmeter: string; unleash: string; fm: (i: number) => Shot; un: (i: number) => Shot; runs: { round: number; server: 'FlagMeter' | 'Unleash'; load: string; knee: KneeResult<Probe> }[] }

async function main(): Promise<number> {
  const progress = new Progress();
  const startedAt = new Date();
  const stamp = startedAt.toISOString().replace(/[:.]/g, '-');
  const resultsDir = path.join(here, 'results');
  await mkdir(resultsDir, { recursive: true });
  const machine = describeMachine('?');
  await ensureUnleash((line) => progress.done(line));
  progress.update('building FlagMeter (dist/flagmeter.mjs)…');
  await buildServer();
  progress.update('starting PostgreSQL and migrating…');
  const db = await setUpDatabase(undefined, 1);
  machine.postgres = db.serverVersion;
  const busy = busyWarning(machine);
  if (busy) progress.done(busy);
  progress.done(`machine: ${machineLine(machine)}; ${o.stepSeconds} s per probe, ${o.rounds} round(s)`);
  const children = new Set<Child>();
  let unleash: UnleashServer | undefined;
  const ctx: BenchContext = { stepMs: o.stepSeconds * 1000, pauseMs: o.stepSeconds >= 5 ? 1000 : 500, p99Ms: 50, maxInFlight: 256, batchClients: () => 1, ledger: new Ledger(), progress, db };
  const stopAll = async () => {
    await Promise.allSettled([...children].map((c) => c.stop()));
    await unleash?.drop().catch(() => undefined);
    await db.drop(false).catch(() => undefined);
  };
  process.once('SIGINT', () => void stopAll().then(() => process.exit(130)));
  try {
    const apiKey = benchApiKey();
    const tenant = db.tenants[0]!;
    progress.update('starting FlagMeter…');
    const fmChild = await startChild('FlagMeter', path.relative(projectRoot, defaultOutFile), ['serve'], { DATABASE_URL: db.url, LOG_LEVEL: 'warn', FLAGMETER_DEMO: 'false', FLAGMETER_ADMIN_KEY: apiKey });
    children.add(fmChild);
    progress.update(`starting Unleash ${UNLEASH_VERSION} (its migrations run first)…`);
    const t0 = performance.now();
    unleash = await startUnleash(db.url);
    children.add(unleash.child);
    progress.done(`Unleash ${UNLEASH_VERSION} up in ${((performance.now() - t0) / 1000).toFixed(1)} s on port ${unleash.child.port}, FlagMeter on ${fmChild.port}`);
    progress.update('seeding the flags in both…');
    await seedFlagMeter(fmChild.port, apiKey);
    await seedUnleash(unleash);
    await sleep(3000); // Unleash reads its revision and refreshes its caches on a timer
    const fmFlags = await countFlags(`http://127.0.0.1:${fmChild.port}/api/features?tenant=${tenant}&env=${FLAGMETER_ENV}`, `Bearer ${apiKey}`);
    const unFlags = await countFlags(`http://127.0.0.1:${unleash.child.port}/api/client/features`, unleash.clientToken);
    if (fmFlags !== FLAG_SET.length || unFlags !== FLAG_SET.length) throw new Error(`flag set not seeded: FlagMeter lists ${fmFlags}, Unleash ${unFlags} of ${FLAG_SET.length}`);
    progress.done(`seeded ${FLAG_SET.length} flags in each (FlagMeter: global flags in ${FLAGMETER_ENV}, listed for ${tenant}; Unleash: project default, environment development)`);

    const fm: Target = target(fmChild, ctx.ledger);
    const un: Target = target(unleash.child, ctx.ledger);
    const pairs: Pair[] = [];
    if (o.steps.includes('definitions')) {
      const [a, b] = [await flagMeterDefinitions304(fmChild.port, tenant, apiKey), await unleashDefinitions304(unleash)];
      pairs.push({ label: 'definitions with If-None-Match → 304', flagmeter: `GET /api/features?tenant&env (${FLAG_SET.length} flags)`, unleash: 'GET /api/client/features (backend token)', fm: () => a, un: () => b, runs: [] });
    }
    if (o.steps.includes('evaluation')) {
      const a = flagMeterEvaluations(tenant, apiKey), b = unleashEvaluations(unleash);
      // the reference flag's contexts reach its third strategy (100%): both must serve it
      const probe = { method: 'POST', body: new TextDecoder().decode(b[0]!.request).split('\r\n\r\n')[1] };
      const served = await fetch(`http://127.0.0.1:${unleash.child.port}/api/frontend`, { ...probe, headers: { authorization: unleash.frontendToken, 'content-type': 'application/json' } }).then((r) => r.text());
      if (!served.includes('"bench-rules"')) throw new Error(`Unleash's frontend API did not serve the reference flag: ${served.slice(0, 300)}`);
      pairs.push({ label: 'every flag for a context (evaluated per request)', flagmeter: 'OFREP bulk POST /ofrep/v1/evaluate/flags', unleash: 'POST /api/frontend (frontend token)', fm: (i) => a[i % a.length]!, un: (i) => b[i % b.length]!, runs: [] });
    }
    for (const pair of pairs) {
      for (let round = 1; round <= o.rounds; round++) {
        for (const [server, t, shot] of [['FlagMeter', fm, pair.fm], ['Unleash', un, pair.un]] as const) {
          const at = load();
          const knee = await kneeStep(ctx, `round ${round}, ${server}: ${pair.label}`, t, shot);
          pair.runs.push({ round, server, load: at, knee });
        }
      }
    }
    fm.client.close();
    un.client.close();

    const rows: Row[] = [];
    const summary: string[] = [];
    for (const p of pairs) {
      const best = (s: 'FlagMeter' | 'Unleash') => p.runs.filter((r) => r.server === s).map((r) => r.knee.rate);
      const [f, u] = [best('FlagMeter'), best('Unleash')];
      for (const r of p.runs) rows.push(kneeRow(`${p.label}, round ${r.round}: ${r.server} ${r.server === 'FlagMeter' ? p.flagmeter : p.unleash} (load ${r.load})`, r.knee));
      const ratios = f.map((x, i) => (u[i] ? x / u[i]! : Infinity));
      summary.push(`${p.label}: FlagMeter ${f.join(' / ')} req/s, Unleash ${u.join(' / ')} req/s; FlagMeter ÷ Unleash per round ${ratios.map((r) => `${r.toFixed(2)}×`).join(' / ')}`);
    }
    const file = path.join(resultsDir, `unleash-${stamp}.json`);
    await writeFile(file, JSON.stringify({ startedAt, unleashVersion: UNLEASH_VERSION, ...(busy ? { warning: busy } : {}), options: o, machine, loadAtEnd: load(), flags: FLAG_SET, rows, summary, pairs }, null, 2));
    process.stdout.write(`\n${table(rows)}\n\n${summary.join('\n')}\n\n${machineLine(machine)}; load average at the end ${load()}${o.quick ? ' — --quick run: rough numbers' : ''}${busy ? `\n${busy}` : ''}\n\nMethod: FlagMeter (\`node dist/flagmeter.mjs serve\`, LOG_LEVEL=warn) and Unleash ${UNLEASH_VERSION} (unleash-server's start(), LOG_LEVEL=warn, API tokens) run as child processes at once, each on its own database of one embedded PostgreSQL 18, with the same ${FLAG_SET.length} flags; each endpoint is loaded by the same open-model generator and keep-alive client (${o.stepSeconds} s probes, a rate passes at P99 ≤ 50 ms with nothing dropped and every answer as expected: 304 for the definitions, 200 for the evaluations), FlagMeter then Unleash, ${o.rounds} round(s). RSS is the server's peak over the step, CPU its share of one core at the reported rate.\nresults: ${path.relative(process.cwd(), file)}\n`);
    return 0;
  } catch (err) {
    for (const c of children) process.stderr.write(`--- last output of ${c.name}:\n${c.tail()}\n`);
    throw err;
  } finally {
    await stopAll();
  }
}

main().then((code) => process.exit(code), (err: Error) => {
  process.stderr.write(`bench:unleash failed: ${err.stack ?? err.message}\n`);
  process.exit(1);
});
