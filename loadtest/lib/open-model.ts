// Open-model load (k6's constant-arrival-rate): request i is due at start + i/rate whatever happened
// to earlier ones, and its latency runs from that due time, so a stalled server (or a late client
// timer) shows up in the percentiles instead of silently slowing the arrivals. A request due while
// maxInFlight are outstanding is dropped and counted, as k6 does when it runs out of VUs.
import type { HttpClient } from './http-client.ts';
import { LatencyRecorder, type LatencySummary } from './latency.ts';
import type { Ledger, Shot } from './ledger.ts';

export interface OpenModelOptions {
  /** Kept by the caller across probes, so connections opened once are reused. */
  client: HttpClient;
  rate: number;
  durationMs: number;
  maxInFlight: number;
  shot(i: number): Shot;
  ledger: Ledger;
  /** How long to wait for answers after the last send before giving up on them. */
  drainMs?: number;
  onTick?(live: LiveStats): void;
}

export interface LiveStats { elapsedMs: number; sent: number; done: number; inFlight: number; dropped: number; failed: number }

export interface OpenModelResult {
  rate: number;
  durationMs: number;
  scheduled: number;
  sent: number;
  ok: number;
  /** Answers that were not 2xx, by status. */
  statuses: Record<string, number>;
  /** Socket errors, and requests still unanswered after the drain. */
  errors: number;
  unanswered: number;
  dropped: number;
  achievedRate: number;
  latency: LatencySummary;
  byKind: Record<string, LatencySummary>;
  firstError?: string;
}

export async function runOpenModel(o: OpenModelOptions): Promise<OpenModelResult> {
  const client = o.client;
  await client.warm(Math.min(o.maxInFlight, Math.max(8, Math.ceil(o.rate / 100))));
  const total = Math.max(1, Math.round((o.rate * o.durationMs) / 1000));
  const interval = 1000 / o.rate;
  const all = new LatencyRecorder(total);
  const kinds = new Map<string, LatencyRecorder>();
  const statuses: Record<string, number> = {};
  let sent = 0, done = 0, ok = 0, errors = 0, dropped = 0, inFlight = 0, lastDone = 0;
  let firstError: string | undefined;

  const fire = (i: number, due: number) => {
    const shot = o.shot(i);
    inFlight++;
    sent++;
    client.request(shot.request).then((reply) => {
      const now = performance.now();
      lastDone = now;
      const ms = now - due;
      all.record(ms);
      let rec = kinds.get(shot.kind);
      if (!rec) kinds.set(shot.kind, rec = new LatencyRecorder(total));
      rec.record(ms);
      if (shot.status === undefined ? reply.status >= 200 && reply.status < 300 : reply.status === shot.status) {
        ok++;
        o.ledger.ackTokens += shot.tokens;
        o.ledger.ackEvents += shot.events;
      } else {
        statuses[reply.status] = (statuses[reply.status] ?? 0) + 1;
        firstError ??= `${reply.status} ${reply.body.toString('utf8', 0, 300)}`;
      }
    }, (err: Error) => {
      errors++;
      o.ledger.unknownTokens += shot.tokens;
      o.ledger.unknownEvents += shot.events;
      firstError ??= err.message;
    }).finally(() => {
      inFlight--;
      done++;
    });
  };

  const start = performance.now();
  let next = 0;
  await new Promise<void>((resolve) => {
    let ticks = 0;
    const tick = () => {
      const now = performance.now();
      // every request due by now goes out in this tick, each stamped with its own due time
      while (next < total && start + next * interval <= now) {
        if (inFlight >= o.maxInFlight) dropped++;
        else fire(next, start + next * interval);
        next++;
      }
      if (o.onTick && ++ticks % 50 === 0) o.onTick({ elapsedMs: now - start, sent, done, inFlight, dropped, failed: errors });
      if (next >= total) resolve();
      else setTimeout(tick, Math.max(0, Math.min(1, start + next * interval - now)));
    };
    tick();
  });
  const sendEnd = performance.now();

  const drainUntil = performance.now() + (o.drainMs ?? 30_000);
  while (inFlight > 0 && performance.now() < drainUntil) await new Promise((r) => setTimeout(r, 5));
  const unanswered = inFlight;
  if (unanswered > 0) {
    firstError ??= `${unanswered} requests unanswered after the drain`;
    client.close();
  }

  const byKind: Record<string, LatencySummary> = {};
  for (const [kind, rec] of kinds) byKind[kind] = rec.summary();
  const elapsed = Math.max(sendEnd, lastDone) - start;
  return {
    rate: o.rate, durationMs: o.durationMs, scheduled: total, sent, ok, statuses, errors, unanswered, dropped,
    achievedRate: ok / (elapsed / 1000), latency: all.summary(), byKind, ...(firstError ? { firstError } : {}),
  };
}
