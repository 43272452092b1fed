// Evaluation counts per tenant · environment · flag · hour · value, counted in memory on the
// request path (one Map update) and added to flagmeter.flag_evaluations in one statement every
// FLAG_COUNTS_FLUSH_MS and at shutdown. A failed flush keeps its counts for the next one. Once an
// hour a flush also drops the counts older than FLAG_EVALUATIONS_RETENTION_DAYS.
import type { Pool } from '../db/pool.ts';
import { addEvaluationCounts, pruneEvaluationCounts, type CountRow } from '../db/flags.ts';
import type { Logger } from '../log.ts';
import { repeat } from '../pacing.ts';

const MAX_KEYS = 200_000;

interface Cell { tenantId: number; envId: number; key: string; hour: number; value: string; n: number; last: number }

export class EvaluationCounter {
  private cells = new Map<string, Cell>();
  private loop: { stop(): void } | undefined;
  private busy: Promise<void> | undefined;
  /** Evaluations counted since start (the Prometheus counter). */
  evaluated = 0;
  failures = 0;
  dropped = 0;
  private prunedAt = 0;
  private readonly pool: Pool;
  private readonly intervalMs: number;
  private readonly log: Logger;
  private readonly retentionDays: number;

  constructor(pool: Pool, intervalMs: number, log: Logger, retentionDays = 0) {
    this.pool = pool;
    this.intervalMs = intervalMs;
    this.log = log;
    this.retentionDays = retentionDays;
  }

  count(tenantId: number, envId: number, key: string, value: string | boolean): void {
    this.evaluated++;
    const now = Date.now();
    const hour = now - (now % 3_600_000);
    const v = String(value);
    const id = `${tenantId}|${envId}|${hour}|${key}|${v}`;
    const cell = this.cells.get(id);
    if (cell) {
      cell.n++;
      cell.last = now;
      return;
    }
    if (this.cells.size >= MAX_KEYS) {
      this.dropped++;
      return;
    }
    this.cells.set(id, { tenantId, envId, key, hour, value: v, n: 1, last: now });
  }

  start(): void {
    if (this.loop || this.intervalMs === 0) return;
    // flush() keeps a failed batch and never throws: nothing reaches the error callback
    this.loop = repeat(() => this.flush(), this.intervalMs, () => {});
  }

  /** Writes what was counted so far. Never throws; concurrent calls share one flush. */
  flush(): Promise<void> {
    this.busy ??= this.write().finally(() => { this.busy = undefined; });
    return this.busy;
  }

  async stop(): Promise<void> {
    this.loop?.stop();
    this.loop = undefined;
    await this.busy;
    await this.flush();
  }

  private async write(): Promise<void> {
    if (this.retentionDays > 0 && Date.now() - this.prunedAt > 3_600_000) {
      this.prunedAt = Date.now();
      await pruneEvaluationCounts(this.pool, this.retentionDays)
        .catch((err: Error) => this.log.warn({ err: err.message }, 'could not prune old flag evaluation counts'));
    }
    if (this.cells.size === 0) return;
    const batch = this.cells;
    this.cells = new Map();
    const rows: CountRow[] = [...batch.values()].map((c) => ({ tenantId: c.tenantId, envId: c.envId, key: c.key, hour: new Date(c.hour), value: c.value, n: c.n, last: new Date(c.last) }));
    try {
      await addEvaluationCounts(this.pool, rows);
    } catch (err) {
      this.failures++;
      this.log.warn({ err: (err as Error).message, rows: rows.length }, 'could not write flag evaluation counts; keeping them for the next flush');
      for (const [id, c] of batch) {
        const now = this.cells.get(id);
        if (now) {
          now.n += c.n;
          now.last = Math.max(now.last, c.last);
        } else if (this.cells.size < MAX_KEYS) this.cells.set(id, c);
        else this.dropped++;
      }
    }
  }
}
