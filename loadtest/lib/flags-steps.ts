// The `flags` bench step: OFREP single evaluations (a rollout, a 1,000-user allow list and the issue's
// 3 strategies x 4 constraints flag with 3 weighted variants), OFREP bulk 304s and definition lists
// with If-None-Match (GET /api/features → 304) against a running FlagMeter, each as a ratio to the
// no-op ceiling of the same run. The `flags-eval` step: the in-process cost of evaluating one flag
// with a 1,000-user allow list and the reference flag, with and without counting, and the counter
// alone (no HTTP, no server), measured in this process.
import { compile, evaluate } from '../../sdk/node/src/local/evaluate.ts';
import type { Flag } from '../../server/flags/model.ts';
import { legacyStrategies } from '../../server/flags/legacy.ts';
import type { Shot } from './ledger.ts';
import { alternate, benchCounter, RULES_FLAG, rulesContext, timeLoop } from './flags-rules-bench.ts';
import { kneeStep, type BenchContext, type Probe, type Target } from './steps.ts';
import type { KneeResult } from './knee.ts';

const ENV = 'prod';
const USERS = 1000;

function request(path: string, body: string, apiKey: string, extra = ''): Buffer {
  return Buffer.from(`POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${apiKey}\r\n${extra}Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
}

const getRequest = (path: string, apiKey: string, extra = '') => Buffer.from(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${apiKey}\r\n${extra}\r\n`);

const allowList = Array.from({ length: USERS }, (_, i) => `user-${i * 2}`);

/** Global flags every bench tenant inherits: a percentage flag, a string flag with a 1,000-user allow list, and a few more. */
export async function createFlags(port: number, apiKey: string): Promise<void> {
  const flags = [
    { key: 'bench-rollout', enabled: true, strategy: 'percentage', percentage: 50 },
    { key: 'bench-model', enabled: true, strategy: 'targeting', type: 'string', onValue: 'gpt-4o', offValue: 'gpt-4o-mini', allow: allowList },
    { key: 'bench-banner', enabled: true, strategy: 'boolean' },
    { key: 'bench-beta', enabled: false, strategy: 'boolean' },
    { key: 'bench-search', enabled: true, strategy: 'percentage', percentage: 10, group: 'bench-rollout' },
    { key: 'bench-rules', enabled: true, ...RULES_FLAG },
  ];
  for (const f of flags) {
    const res = await fetch(`http://127.0.0.1:${port}/api/features`, {
      method: 'POST', headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' }, body: JSON.stringify({ env: ENV, ...f }),
    });
    if (res.status >= 300) throw new Error(`could not create ${f.key}: ${res.status} ${await res.text()}`);
  }
}

const SINGLE_KEYS = ['bench-rollout', 'bench-model', 'bench-rules'];

/** Single evaluations, the three flags in turn; every context carries the fields the reference flag reads. */
export function singleShots(tenants: string[], apiKey: string, count = 4095): Shot[] {
  return Array.from({ length: count }, (_, i) => {
    const key = SINGLE_KEYS[i % SINGLE_KEYS.length]!;
    const body = JSON.stringify({ context: { ...rulesContext(i % (USERS * 2)), tenant: tenants[i % tenants.length], env: ENV } });
    return { request: request(`/ofrep/v1/evaluate/flags/${key}`, body, apiKey), kind: 'ofrep', events: 0, tokens: 0 };
  });
}

/** Bulk requests carrying the ETag of their own earlier answer: every one should be a 304. */
export async function bulkShots(port: number, tenants: string[], apiKey: string, count = 512): Promise<Shot[]> {
  const shots: Shot[] = [];
  for (let i = 0; i < count; i++) {
    const body = JSON.stringify({ context: { ...rulesContext(i), tenant: tenants[i % tenants.length], env: ENV } });
    const res = await fetch(`http://127.0.0.1:${port}/ofrep/v1/evaluate/flags`, { method: 'POST', headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' }, body });
    const tag = res.headers.get('etag');
    await res.arrayBuffer();
    if (res.status !== 200 || !tag) throw new Error(`bulk evaluation answered ${res.status} without an ETag`);
    shots.push({ request: request('/ofrep/v1/evaluate/flags', body, apiKey, `If-None-Match: ${tag}\r\n`), kind: 'ofrep-bulk-304', events: 0, tokens: 0, status: 304 });
  }
  return shots;
}

/** Flag lists (each tenant's own and inherited flags, the console's first page) carrying the ETag of their own earlier answer: every one a 304. */
export async function listShots(port: number, tenants: string[], apiKey: string): Promise<Shot[]> {
  const shots: Shot[] = [];
  for (const tenant of tenants) {
    const path = `/api/features?tenant=${encodeURIComponent(tenant)}&env=${ENV}`;
    const res = await fetch(`http://127.0.0.1:${port}${path}`, { headers: { authorization: `Bearer ${apiKey}` } });
    const tag = res.headers.get('etag');
    await res.arrayBuffer();
    if (res.status !== 200 || !tag) throw new Error(`the flag list answered ${res.status} without an ETag`);
    shots.push({ request: getRequest(path, apiKey, `If-None-Match: ${tag}\r\n`), kind: 'flag-list-304', events: 0, tokens: 0, status: 304 });
  }
  return shots;
}

export interface FlagsHttpResult { single: KneeResult<Probe>; bulk304: KneeResult<Probe>; list304: KneeResult<Probe> }

export async function flagsHttpStep(ctx: BenchContext, fm: Target, tenants: string[], apiKey: string): Promise<FlagsHttpResult> {
  ctx.progress.update('flags: creating the bench flags…');
  await createFlags(fm.child.port, apiKey);
  const single = singleShots(tenants, apiKey);
  const singleKnee = await kneeStep(ctx, 'OFREP single evaluation', fm, (i) => single[i % single.length]!);
  const bulk = await bulkShots(fm.child.port, tenants, apiKey);
  const bulkKnee = await kneeStep(ctx, 'OFREP bulk 304', fm, (i) => bulk[i % bulk.length]!);
  // the list's tag covers its counts, which the server reads back after each flush (FLAG_COUNTS_FLUSH_MS,
  // 5 s): once the evaluations above are in, the tags stay valid for the whole step
  ctx.progress.update('flags: waiting for the evaluation counts to be flushed…');
  await new Promise((r) => setTimeout(r, 6000));
  const lists = await listShots(fm.child.port, tenants, apiKey);
  const listKnee = await kneeStep(ctx, 'flag list 304', fm, (i) => lists[i % lists.length]!);
  return { single: singleKnee, bulk304: bulkKnee, list304: listKnee };
}

export interface MicroResult { evaluations: number; nsPerEvaluation: number; nsPerEvaluationCounted: number; runs: number[] }

/**
 * One targeting flag with a 1,000-user allow list, evaluated in this process for users cycling over
 * 2,000 ids (half in the list): the time of a loop of `n` evaluations over n, best of `rounds`
 * (after a warm-up; plain and counted rounds alternate), with and without the evaluation counter
 * the server also updates per evaluation.
 */
export function flagsMicroBench(n = 2_000_000, rounds = 5): MicroResult {
  const flag: Flag = {
    tenant: 't', env: ENV, key: 'bench-model', description: '', enabled: true, strategies: legacyStrategies({ strategy: 'targeting', allow: allowList }),
    variants: [], stickiness: 'default', dependencies: [], type: 'string', onValue: 'gpt-4o', offValue: 'gpt-4o-mini', quotaRules: [],
    version: 1, createdAt: '', updatedAt: '',
  };
  const compiled = compile(flag, false);
  const users = Array.from({ length: USERS * 2 }, (_, i) => `user-${i}`);
  const counter = benchCounter();
  const tally = counter.tally(1, 1, flag.key);
  let sink = 0;
  const best = alternate(rounds, {
    plain: () => timeLoop(n, (i) => { if (evaluate(compiled, users[i % users.length]!).value === 'gpt-4o') sink++; }),
    counted: () => timeLoop(n, (i) => {
      const r = evaluate(compiled, users[i % users.length]!);
      counter.count(tally, r);
      if (r.value === 'gpt-4o') sink++;
    }),
  });
  if (sink === 0) throw new Error('no evaluation served the on value');
  return { evaluations: n, nsPerEvaluation: best.plain.wall, nsPerEvaluationCounted: best.counted.wall, runs: best.plain.rounds };
}
