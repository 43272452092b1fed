// The highest arrival rate a target sustains within the latency budget: double the rate until a
// probe fails, then bisect between the last pass and the first fail down to ~5%. A failed probe is
// run once more before it counts: one stall from a neighbour on a shared box should not halve the
// answer, while a rate that is really too high fails twice.
import type { OpenModelResult } from './open-model.ts';

export interface KneeOptions<R> { startRate: number; maxRate: number; p99Ms: number; probe(rate: number): Promise<R> }
export interface KneeResult<R> { rate: number; best: R | undefined; probes: R[] }

/** A probe passes when every request was sent and answered 2xx, at P99 within the budget. */
export function passes(r: OpenModelResult, p99Ms: number): boolean {
  return r.dropped === 0 && r.errors === 0 && r.unanswered === 0 && r.ok === r.scheduled && r.latency.p99 <= p99Ms;
}

export async function findKnee<R extends OpenModelResult>(o: KneeOptions<R>): Promise<KneeResult<R>> {
  const probes: R[] = [];
  let best: R | undefined;
  const attempt = async (rate: number): Promise<R | undefined> => {
    for (let i = 0; i < 2; i++) {
      const r = await o.probe(rate);
      probes.push(r);
      if (passes(r, o.p99Ms)) return r;
    }
    return undefined;
  };
  let lo = 0;
  let hi = 0;
  for (let rate = o.startRate; ; rate = Math.min(o.maxRate, rate * 2)) {
    const r = await attempt(rate);
    if (!r) { hi = rate; break; }
    lo = rate;
    best = r;
    if (rate >= o.maxRate) return { rate: lo, best, probes };
  }
  while (hi - lo > Math.max(50, lo * 0.05)) {
    const rate = Math.round((lo + hi) / 2 / 50) * 50 || Math.round((lo + hi) / 2);
    if (rate <= lo || rate >= hi) break;
    const r = await attempt(rate);
    if (r) { lo = rate; best = r; } else hi = rate;
  }
  return { rate: lo, best, probes };
}
