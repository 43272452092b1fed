// Every latency of a step in a Float64Array sized for the step's request count (8 bytes each:
// 10 s at 20,000 req/s is 1.6 MB), so percentiles are exact. Past the cap it keeps a uniform
// reservoir sample, so memory stays bounded whatever the step does.
export interface LatencySummary { count: number; mean: number; p50: number; p90: number; p99: number; p999: number; max: number }

const HARD_CAP = 4_000_000;

export class LatencyRecorder {
  private values: Float64Array;
  private n = 0;
  private seen = 0;
  private sum = 0;
  private max = 0;

  constructor(expected: number) {
    this.values = new Float64Array(Math.min(HARD_CAP, Math.max(1024, Math.ceil(expected * 1.05))));
  }

  record(ms: number): void {
    this.seen++;
    this.sum += ms;
    if (ms > this.max) this.max = ms;
    if (this.n < this.values.length) this.values[this.n++] = ms;
    else {
      const slot = Math.floor(Math.random() * this.seen);
      if (slot < this.values.length) this.values[slot] = ms;
    }
  }

  summary(): LatencySummary {
    const sorted = this.values.subarray(0, this.n).sort();
    const at = (q: number) => (this.n === 0 ? 0 : sorted[Math.min(this.n - 1, Math.ceil(q * this.n) - 1)]!);
    return {
      count: this.seen, mean: this.seen ? this.sum / this.seen : 0,
      p50: at(0.5), p90: at(0.9), p99: at(0.99), p999: at(0.999), max: this.max,
    };
  }
}
