// The bench's steps. Each returns its table rows and its raw results (for the JSON file).
import type { Child } from './children.ts';
import { HttpClient } from './http-client.ts';
import { runClosedLoop, type ClosedLoopResult } from './closed-loop.ts';
import type { BenchDatabase } from './database.ts';
import { findKnee, passes, type KneeResult } from './knee.ts';
import type { Ledger, Shot } from './ledger.ts';
import { runOpenModel, type OpenModelResult } from './open-model.ts';
import { ProcSampler, type StepUsage } from './proc.ts';
import type { Progress } from './progress.ts';
import { rate, type Row } from './report.ts';
import { runSqlCeiling, type SqlCeilingResult } from './sql-ceiling.ts';

export interface BenchContext {
  stepMs: number;
  pauseMs: number;
  p99Ms: number;
  maxInFlight: number;
  /** Closed-loop clients per batch size: enough requests in flight to keep the writer's flushes busy. */
  batchClients: (size: number) => number;
  ledger: Ledger;
  progress: Progress;
  db: BenchDatabase;
}

/** A server under test, the client kept for it, and the ledger its acknowledgements go to. */
export interface Target { child: Child; client: HttpClient; ledger: Ledger }

export function target(child: Child, ledger: Ledger): Target {
  return { child, client: new HttpClient(child.port), ledger };
}

export type Probe = OpenModelResult & { usage: StepUsage };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const failures = (r: { dropped?: number; errors: number; statuses: Record<string, number>; unanswered?: number }) =>
  `${r.dropped ?? 0} / ${r.errors + (r.unanswered ?? 0) + Object.values(r.statuses).reduce((a, b) => a + b, 0)}`;

async function probe(ctx: BenchContext, label: string, target: Target, rateRps: number, shot: (i: number) => Shot, durationMs = ctx.stepMs): Promise<Probe> {
  const sampler = new ProcSampler(target.child.pid, ctx.db.postmasterPid);
  sampler.start();
  const r = await runOpenModel({
    client: target.client, rate: rateRps, durationMs, maxInFlight: ctx.maxInFlight, shot, ledger: target.ledger,
    onTick: (s) => ctx.progress.update(`${label}: ${rate(rateRps)} for ${(s.elapsedMs / 1000).toFixed(1)} s, ${s.done} answered, ${s.inFlight} in flight, ${s.dropped} dropped`),
  });
  return { ...r, usage: sampler.stop() };
}

/** Unrecorded load first, so JIT and connection set-up do not land in the first probe. */
async function warmUp(ctx: BenchContext, label: string, target: Target, shot: (i: number) => Shot): Promise<void> {
  await probe(ctx, `${label} warm-up`, target, 500, shot, Math.min(2000, ctx.stepMs / 2));
  await sleep(ctx.pauseMs);
}

export async function kneeStep(ctx: BenchContext, label: string, target: Target, shot: (i: number) => Shot): Promise<KneeResult<Probe>> {
  await warmUp(ctx, label, target, shot);
  const knee = await findKnee({
    startRate: 1000, maxRate: 64_000, p99Ms: ctx.p99Ms,
    probe: async (r) => {
      const p = await probe(ctx, label, target, r, shot);
      await sleep(ctx.pauseMs);
      return p;
    },
  });
  const trail = knee.probes.map((p) => `${p.rate}${passes(p, ctx.p99Ms) ? '✓' : `✗(p99 ${Math.round(p.latency.p99)} ms, ${failures(p)})`}`).join(' ');
  ctx.progress.done(`${label}: ${rate(knee.rate)} at P99 ≤ ${ctx.p99Ms} ms   [${trail}]`);
  return knee;
}

export function kneeRow(step: string, knee: KneeResult<Probe>, ceiling?: { label: string; rate: number }): Row {
  const b = knee.best;
  const rssPeak = Math.max(...knee.probes.map((p) => p.usage.server?.rssPeakMb ?? 0));
  return {
    step, figure: rate(knee.rate),
    ...(ceiling ? { ceiling: `${rate(ceiling.rate)} (${ceiling.label})`, ratio: ceiling.rate ? knee.rate / ceiling.rate : 0 } : {}),
    ...(b ? { p50: b.latency.p50, p99: b.latency.p99, failures: failures(b), usage: { ...b.usage, ...(b.usage.server ? { server: { ...b.usage.server, rssPeakMb: rssPeak } } : {}) } } : {}),
  };
}

export async function mixStep(ctx: BenchContext, target: Target, rateRps: number, shot: (i: number) => Shot): Promise<{ row: Row; result: Probe }> {
  const r = await probe(ctx, 'mix 80/20', target, rateRps, shot);
  const post = r.byKind.post, get = r.byKind.get;
  ctx.progress.done(`mix 80/20: ${rate(r.achievedRate)} of ${rate(rateRps)} offered, P99 ${r.latency.p99.toFixed(1)} ms (POST ${post?.p99.toFixed(1)}, GET ${get?.p99.toFixed(1)}), ${failures(r)} dropped / failed`);
  return {
    result: r,
    row: {
      step: `80/20 mix at ${rate(rateRps)} offered`, figure: rate(r.achievedRate),
      ceiling: `P99 ≤ ${ctx.p99Ms} ms ${passes(r, ctx.p99Ms) ? 'met' : 'missed'}`,
      p50: r.latency.p50, p99: r.latency.p99, failures: failures(r), usage: r.usage,
    },
  };
}

export async function batchStep(ctx: BenchContext, target: Target, size: number, shots: Shot[]): Promise<ClosedLoopResult & { usage: StepUsage }> {
  const sampler = new ProcSampler(target.child.pid, ctx.db.postmasterPid);
  sampler.start();
  const r = await runClosedLoop({
    client: target.client, clients: ctx.batchClients(size), durationMs: ctx.stepMs, ledger: target.ledger,
    shot: (i) => shots[i % shots.length]!,
    onTick: (ms, events) => ctx.progress.update(`batches of ${size}: ${(ms / 1000).toFixed(1)} s, ${events.toLocaleString('en-US')} events`),
  });
  const usage = sampler.stop();
  ctx.progress.done(`batches of ${size} (${r.clients} clients): ${rate(r.eventsPerSecond, 'events/s')}, P99 ${r.latency.p99.toFixed(1)} ms per request, ${failures(r)} dropped / failed`);
  await sleep(ctx.pauseMs);
  return { ...r, usage };
}

export function batchRow(size: number, r: ClosedLoopResult & { usage: StepUsage }, ceiling?: number): Row {
  return {
    step: `batched ingest, ${size.toLocaleString('en-US')}-event bodies, ${r.clients} clients`, figure: rate(r.eventsPerSecond, 'events/s'),
    ...(ceiling ? { ceiling: `${rate(ceiling, 'events/s')} (direct SQL)`, ratio: r.eventsPerSecond / ceiling } : {}),
    p50: r.latency.p50, p99: r.latency.p99, failures: failures(r), usage: r.usage,
  };
}

export async function sqlStep(ctx: BenchContext, connections: number): Promise<SqlCeilingResult & { usage: StepUsage }> {
  const sampler = new ProcSampler(undefined, ctx.db.postmasterPid);
  sampler.start();
  const r = await runSqlCeiling({
    url: ctx.db.url, connections, batchSize: 1000, durationMs: ctx.stepMs, tenantIds: ctx.db.tenantIds, ledger: ctx.ledger,
    onTick: (ms, events) => ctx.progress.update(`direct SQL, ${connections} connections: ${(ms / 1000).toFixed(1)} s, ${events.toLocaleString('en-US')} events`),
  });
  const usage = sampler.stop();
  ctx.progress.done(`direct SQL insert, ${connections} connections × 1,000 rows: ${rate(r.eventsPerSecond, 'events/s')}`);
  await sleep(ctx.pauseMs);
  return { ...r, usage };
}
