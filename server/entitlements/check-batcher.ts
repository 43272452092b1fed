// Concurrent checks share one call of flagmeter.check_entitlements(): while a call is out, new
// checks wait for the next one (at most maxConcurrent calls at a time, maxBatch checks each). At
// low load a check goes at once, alone; under load many go in one round trip and, with
// reservations, one commit — a busy tenant's holds are then not capped at one per commit (the
// per-tenant lock is held until commit). Each check is still exact: the statement that answers it
// starts after the check arrived, so it sees every event acknowledged before.
import type { Pool } from '../db/pool.ts';
import { checkEntitlements, type CheckRequest, type RawAnswer } from '../db/entitlements.ts';

interface Pending { req: CheckRequest; resolve(a: RawAnswer): void; reject(e: Error): void }

export interface CheckBatcherOptions { maxBatch: number; maxConcurrent: number }

export class CheckBatcher {
  private queue: Pending[] = [];
  private active = 0;
  private readonly running = new Set<Promise<void>>();
  private readonly pool: Pool;
  private readonly opts: CheckBatcherOptions;

  constructor(pool: Pool, opts: CheckBatcherOptions = { maxBatch: 256, maxConcurrent: 2 }) {
    this.pool = pool;
    this.opts = opts;
  }

  /** Resolves once every batch in flight and queued has been answered (stop() calls it before the pool ends). */
  async close(): Promise<void> {
    while (this.running.size > 0) await Promise.all(this.running);
  }

  check(req: CheckRequest): Promise<RawAnswer> {
    return new Promise((resolve, reject) => {
      this.queue.push({ req, resolve, reject });
      this.kick();
    });
  }

  private kick(): void {
    while (this.queue.length > 0 && this.active < this.opts.maxConcurrent) {
      const batch = this.queue.splice(0, this.opts.maxBatch);
      this.active++;
      const run: Promise<void> = this.run(batch).finally(() => {
        this.active--;
        this.running.delete(run);
        this.kick();
      });
      this.running.add(run);
    }
  }

  /** Never throws: every check of the batch is answered or rejected. */
  private async run(batch: Pending[]): Promise<void> {
    try {
      const answers = await checkEntitlements(this.pool, batch.map((p) => p.req));
      batch.forEach((p, i) => p.resolve(answers[i] ?? null));
    } catch (err) {
      for (const p of batch) p.reject(err as Error);
    }
  }
}
