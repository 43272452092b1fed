// The bench's pure pieces: exact percentiles, and the knee search landing near the true limit.
import { describe, expect, it } from '@jest/globals';
import { LatencyRecorder } from '../../loadtest/lib/latency.ts';
import { findKnee } from '../../loadtest/lib/knee.ts';
import type { OpenModelResult } from '../../loadtest/lib/open-model.ts';

describe('LatencyRecorder', () => {
  it('gives exact percentiles for 1..1000', () => {
    const r = new LatencyRecorder(1000);
    for (let i = 1000; i >= 1; i--) r.record(i);
    expect(r.summary()).toMatchObject({ count: 1000, p50: 500, p90: 900, p99: 990, max: 1000, mean: 500.5 });
  });

  it('stays within its cap and still counts every value', () => {
    const r = new LatencyRecorder(10);
    for (let i = 0; i < 50_000; i++) r.record(i % 100);
    const s = r.summary();
    expect(s.count).toBe(50_000);
    expect(s.p50).toBeGreaterThan(30);
    expect(s.p50).toBeLessThan(70);
  });
});

describe('findKnee', () => {
  const fake = (limit: number) => async (rate: number): Promise<OpenModelResult> => {
    const p99 = rate <= limit ? 10 : 200;
    return {
      rate, durationMs: 1000, scheduled: rate, sent: rate, ok: rate, statuses: {}, errors: 0, unanswered: 0, dropped: 0,
      achievedRate: rate, byKind: {}, latency: { count: rate, mean: 5, p50: 5, p90: 8, p99, p999: p99, max: p99 },
    };
  };

  it('doubles, then bisects to within 5% below the limit', async () => {
    const knee = await findKnee({ startRate: 1000, maxRate: 64_000, p99Ms: 50, probe: fake(5300) });
    expect(knee.rate).toBeLessThanOrEqual(5300);
    expect(knee.rate).toBeGreaterThan(5300 * 0.94);
  });

  it('retries a failed probe once and accepts a pass on the retry', async () => {
    let calls = 0;
    const flaky = async (rate: number) => {
      const r = await fake(3000)(rate);
      return rate === 2000 && calls++ === 0 ? { ...r, dropped: 5 } : r;
    };
    const knee = await findKnee({ startRate: 1000, maxRate: 64_000, p99Ms: 50, probe: flaky });
    expect(knee.rate).toBeGreaterThanOrEqual(2850);
  });

  it('reports 0 when even the slowest rate fails', async () => {
    const knee = await findKnee({ startRate: 1000, maxRate: 64_000, p99Ms: 50, probe: fake(10) });
    expect(knee.rate).toBe(0);
    expect(knee.best).toBeUndefined();
  });
});
