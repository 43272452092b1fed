// The entitlement steps of the bench: POST /api/check without reserve (a knee, like the other
// request steps), and reserve + settle pairs (closed loop). Each is followed by its data check:
// the answers' `used` equal the events table, no hold is left over, and `used + reserved` never
// passed the hard limit while the pairs ran (sampled from a connection of its own).
import pg from 'pg';
import { encodeRequest, type HttpClient } from './http-client.ts';
import { kneeStep, type BenchContext, type Probe, type Target } from './steps.ts';
import type { KneeResult } from './knee.ts';
import { LatencyRecorder, type LatencySummary } from './latency.ts';
import type { Shot } from './ledger.ts';
import { ProcSampler, type StepUsage } from './proc.ts';
import { rate, type Row } from './report.ts';

const features = ['gpt-4o', 'gpt-4o-mini', 'claude-sonnet', 'text-embedding-3'];

export function checkShots(tenants: string[], apiKey: string): Shot[] {
  return Array.from({ length: 1024 }, (_, i) => ({
    request: encodeRequest('POST', '/api/check', JSON.stringify({ tenant: tenants[i % tenants.length], feature: features[i % features.length], tokens: 1 + (i % 500) }), apiKey),
    kind: 'check', events: 0, tokens: 0,
  }));
}

export interface DataCheck { ok: boolean; message: string }

/** Every tenant's check answers `used` = its events in the period, and no check left a hold. */
async function checkFigures(ctx: BenchContext, client: HttpClient, apiKey: string, tenants: string[]): Promise<DataCheck> {
  const db = new pg.Client(ctx.db.url);
  await db.connect();
  try {
    const problems: string[] = [];
    for (const tenant of tenants) {
      const reply = await client.request(encodeRequest('POST', '/api/check', JSON.stringify({ tenant }), apiKey));
      const answer = JSON.parse(reply.body.toString()) as { used: number; reserved: number; periodStart: string };
      const { rows: [r] } = await db.query(
        `select coalesce(sum(e.tokens), 0)::bigint::text as tokens from flagmeter.events e join flagmeter.tenants t on t.id = e.tenant_id
         where t.slug = $1::text and e.occurred_at >= $2::timestamptz`, [tenant, answer.periodStart]);
      if (answer.used !== Number(r.tokens)) problems.push(`${tenant}: check says used ${answer.used}, events hold ${r.tokens}`);
      if (answer.reserved !== 0) problems.push(`${tenant}: ${answer.reserved} tokens reserved by checks without reserve`);
    }
    const { rows: [open] } = await db.query(`select count(*)::int as n from flagmeter.reservations`);
    if (open.n !== 0) problems.push(`${open.n} reservations exist after checks without reserve`);
    return problems.length
      ? { ok: false, message: `CHECK DATA CHECK FAILED: ${problems.slice(0, 5).join('; ')}` }
      : { ok: true, message: `check data check: ${tenants.length} tenants, every check's used = the events table, no holds` };
  } finally {
    await db.end();
  }
}

export async function checkStep(ctx: BenchContext, target: Target, tenants: string[], apiKey: string): Promise<{ knee: KneeResult<Probe>; check: DataCheck }> {
  // the aim: P99 ≤ 20 ms
  const shots = checkShots(tenants, apiKey);
  const knee = await kneeStep({ ...ctx, p99Ms: 20 }, 'POST /api/check (no reserve)', target, (i) => shots[i % shots.length]!);
  const check = await checkFigures(ctx, target.client, apiKey, tenants);
  ctx.progress.done(`  ${check.message}`);
  return { knee, check };
}

export function checkRow(knee: KneeResult<Probe>, ceiling?: { label: string; rate: number }): Row {
  const b = knee.best;
  return {
    step: 'POST /api/check, no reserve (P99 ≤ 20 ms)', figure: rate(knee.rate),
    ...(ceiling ? { ceiling: `${rate(ceiling.rate)} (${ceiling.label})`, ratio: ceiling.rate ? knee.rate / ceiling.rate : 0 } : {}),
    ...(b ? { p50: b.latency.p50, p99: b.latency.p99, usage: b.usage } : {}),
  };
}

export interface ReserveResult {
  pairs: number; pairsPerSecond: number; denied: number; latency: LatencySummary; usage: StepUsage;
  burst: { granted: number; denied: number; used: number; limit: number };
  maxSampled: number; samples: number; check: DataCheck;
}

const THROUGHPUT_TENANT = 'bench-entitlements';
const BURST_TENANT = 'bench-entitlements-burst';
const BURST_LIMIT = 5000;

/**
 * Reserve + settle pairs: a hard-limited tenant with room (throughput), then one with 5,000 tokens
 * left that the same clients drain to the last token (over-commit). Settlements spend what was
 * reserved or less, so `used + reserved ≤ limit` must hold at every sample.
 */
export async function reserveStep(ctx: BenchContext, target: Target, apiKey: string, clients = 16): Promise<ReserveResult> {
  const db = new pg.Client(ctx.db.url);
  await db.connect();
  try {
    await db.query(
      `insert into flagmeter.tenants (slug, name, monthly_quota, quota_hard) values ($1::text, $1::text, 1000000000000, true), ($2::text, $2::text, $3::bigint, true)
       on conflict (slug) do update set quota_hard = true`, [THROUGHPUT_TENANT, BURST_TENANT, BURST_LIMIT]);
    const latency = new LatencyRecorder(100_000);
    let pairs = 0, denied = 0, settledTokens = 0;
    const pair = async (tenant: string, i: number): Promise<boolean> => {
      const started = performance.now();
      const reply = await target.client.request(encodeRequest('POST', '/api/check', JSON.stringify({ tenant, feature: 'gpt-4o', tokens: 10, reserve: true }), apiKey));
      const answer = JSON.parse(reply.body.toString()) as { allowed: boolean; reservation?: { id: string } };
      if (!answer.allowed) { denied++; return false; }
      const tokens = tenant === BURST_TENANT ? 10 : 1 + (i % 10);
      const settled = await target.client.request(encodeRequest('POST', '/api/events', JSON.stringify({ tenant, feature: 'gpt-4o', tokens, reservation: answer.reservation!.id }), apiKey));
      if (settled.status !== 201) throw new Error(`settlement answered ${settled.status}: ${settled.body.toString().slice(0, 200)}`);
      latency.record(performance.now() - started);
      pairs++;
      settledTokens += tokens;
      ctx.ledger.ackEvents++;
      ctx.ledger.ackTokens += tokens;
      return true;
    };

    const proc = new ProcSampler(target.child.pid, ctx.db.postmasterPid);
    proc.start();
    const end = Date.now() + ctx.stepMs;
    const started = performance.now();
    await Promise.all(Array.from({ length: clients }, async (_, c) => {
      for (let i = c; Date.now() < end; i += clients) {
        await pair(THROUGHPUT_TENANT, i);
        if (i % 200 === c) ctx.progress.update(`reserve + settle: ${pairs.toLocaleString('en-US')} pairs`);
      }
    }));
    const seconds = (performance.now() - started) / 1000;
    const usage = proc.stop();
    const throughputPairs = pairs;
    const throughputDenied = denied;

    // the burst, sampled: used + reserved of its quota from a connection of its own, all along
    let sampling = true, maxSampled = 0, samples = 0;
    const sampler = (async () => {
      const s = new pg.Client(ctx.db.url);
      await s.connect();
      try {
        while (sampling) {
          const { rows: [r] } = await s.query(`select (used + reserved)::bigint::text as total from report.entitlements where tenant = $1::text and feature is null`, [BURST_TENANT]);
          maxSampled = Math.max(maxSampled, Number(r.total));
          samples++;
        }
      } finally {
        await s.end();
      }
    })();

    // the burst: every client keeps reserving until denied
    pairs = 0; denied = 0;
    await Promise.all(Array.from({ length: clients * 4 }, async (_, c) => {
      while (await pair(BURST_TENANT, c));
    }));
    const burst = { granted: pairs, denied, used: 0, limit: BURST_LIMIT };
    sampling = false;
    await sampler;

    const problems: string[] = [];
    const { rows } = await db.query(
      `select t.slug, e.used::bigint::text as used, e.reserved::bigint::text as reserved,
         (select count(*) from flagmeter.reservations r where r.tenant_id = t.id and r.status <> 'settled')::int as unsettled,
         (select count(*) from flagmeter.reservations r where r.tenant_id = t.id and r.status = 'settled')::int as settled,
         (select coalesce(sum(tokens), 0) from flagmeter.events v where v.tenant_id = t.id)::bigint::text as events
       from flagmeter.tenants t join report.entitlements e on e.tenant = t.slug and e.feature is null
       where t.slug = any($1::text[]) order by t.slug`, [[THROUGHPUT_TENANT, BURST_TENANT]]);
    const bySlug = Object.fromEntries(rows.map((r) => [r.slug, r]));
    const b = bySlug[BURST_TENANT]!, t = bySlug[THROUGHPUT_TENANT]!;
    burst.used = Number(b.used);
    if (throughputDenied) problems.push(`${throughputDenied} pairs denied on a tenant with room`);
    if (Number(t.used) + burst.used !== settledTokens) problems.push(`settled ${settledTokens} tokens, used ${Number(t.used) + burst.used}`);
    if (Number(t.used) !== Number(t.events) || Number(b.used) !== Number(b.events)) problems.push('used differs from the events table');
    if (t.settled !== throughputPairs || b.settled !== burst.granted) problems.push(`settled reservations ${t.settled}+${b.settled}, acknowledged pairs ${throughputPairs}+${burst.granted}`);
    if (t.unsettled || b.unsettled || Number(t.reserved) || Number(b.reserved)) problems.push('holds left open');
    if (burst.granted * 10 !== BURST_LIMIT || burst.used !== BURST_LIMIT) problems.push(`burst: ${burst.granted} granted, used ${burst.used} of ${BURST_LIMIT}`);
    if (maxSampled > BURST_LIMIT) problems.push(`OVER-COMMIT: used + reserved reached ${maxSampled} > ${BURST_LIMIT}`);
    const check = problems.length
      ? { ok: false, message: `RESERVE DATA CHECK FAILED: ${problems.join('; ')}` }
      : { ok: true, message: `reserve data check: ${throughputPairs + burst.granted} pairs settled = reservations settled = events; no hold left; burst granted exactly ${burst.granted} × 10 = ${BURST_LIMIT} (${burst.denied} denied); used + reserved ≤ ${BURST_LIMIT} in all ${samples} samples (max ${maxSampled})` };
    const pairsPerSecond = throughputPairs / seconds;
    ctx.progress.done(`reserve + settle (${clients} clients): ${rate(pairsPerSecond, 'pairs/s')}, P99 ${latency.summary().p99.toFixed(1)} ms per pair\n  ${check.message}`);
    return { pairs: throughputPairs, pairsPerSecond, denied: throughputDenied, latency: latency.summary(), usage, burst, maxSampled, samples, check };
  } finally {
    await db.end();
  }
}

export function reserveRow(r: ReserveResult): Row {
  return {
    step: 'reserve + settle pairs (POST /api/check reserve, then POST /api/events with the reservation), 16 clients',
    figure: rate(r.pairsPerSecond, 'pairs/s'), ceiling: 'aim 2,000 pairs/s', ratio: r.pairsPerSecond / 2000,
    p50: r.latency.p50, p99: r.latency.p99, usage: r.usage,
  };
}
