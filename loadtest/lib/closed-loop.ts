// Batched ingest is measured closed-loop: a few clients each send a batch, wait for its answer, send
// the next. Throughput in events/s is the figure; arrival-rate pacing adds nothing for 1,000-event bodies.
import type { HttpClient } from './http-client.ts';
import { LatencyRecorder, type LatencySummary } from './latency.ts';
import type { Ledger, Shot } from './ledger.ts';

export interface ClosedLoopResult {
  clients: number;
  durationMs: number;
  requests: number;
  ok: number;
  events: number;
  eventsPerSecond: number;
  statuses: Record<string, number>;
  errors: number;
  latency: LatencySummary;
  firstError?: string;
}

export async function runClosedLoop(o: {
  client: HttpClient; clients: number; durationMs: number; shot(i: number): Shot; ledger: Ledger;
  onTick?(elapsedMs: number, events: number): void;
}): Promise<ClosedLoopResult> {
  const client = o.client;
  const latency = new LatencyRecorder(100_000);
  const statuses: Record<string, number> = {};
  let requests = 0, ok = 0, events = 0, errors = 0, i = 0;
  let firstError: string | undefined;
  const start = performance.now();
  const ticker = setInterval(() => o.onTick?.(performance.now() - start, events), 250);

  await Promise.all(Array.from({ length: o.clients }, async () => {
    while (performance.now() - start < o.durationMs) {
      const shot = o.shot(i++);
      const sentAt = performance.now();
      requests++;
      try {
        const reply = await client.request(shot.request);
        latency.record(performance.now() - sentAt);
        if (reply.status >= 200 && reply.status < 300) {
          ok++;
          events += shot.events;
          o.ledger.ackTokens += shot.tokens;
          o.ledger.ackEvents += shot.events;
        } else {
          statuses[reply.status] = (statuses[reply.status] ?? 0) + 1;
          firstError ??= `${reply.status} ${reply.body.toString('utf8', 0, 300)}`;
        }
      } catch (err) {
        errors++;
        o.ledger.unknownTokens += shot.tokens;
        o.ledger.unknownEvents += shot.events;
        firstError ??= (err as Error).message;
      }
    }
  }));
  clearInterval(ticker);
  const elapsed = performance.now() - start;
  return {
    clients: o.clients, durationMs: elapsed, requests, ok, events, eventsPerSecond: events / (elapsed / 1000),
    statuses, errors, latency: latency.summary(), ...(firstError ? { firstError } : {}),
  };
}
