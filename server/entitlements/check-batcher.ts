// Concurrent checks share one call of flagmeter.check_entitlements(): while a call is out, new
// checks wait for the next one (at most maxConcurrent calls at a time, maxBatch checks each). At
// low load a check goes at once, alone; under load many go in one round trip and, with
// reservations, one commit — a busy tenant's holds are then not capped at one per commit (the
// per-tenant lock is held until commit). Each check is still exact: the statement that answers it
// starts after the check arrived, so it sees every event acknowledged before.
import type { Pool } from '../db/pool.ts';
import type { CheckRequest } from '../db/entitlements.ts';

export type RawAnswer = Record<string, unknown> | null;

interface Pending { req: CheckRequest; resolve(a: RawAnswer): void; reject(e: Error): void }

export interface CheckBatcherOptions { maxBatch: number; maxConcurrent: number }

/** What a retry with the same id must repeat exactly (the tenant is part of the key). */
export const requestOf = (req: CheckRequest) =>
  ({ feature: req.feature ?? null, tokens: req.tokens ?? null, reserve: req.reserve, ttlSeconds: req.reserve ? req.ttlSeconds : null });

export class CheckBatcher {
  private queue: Pending[] = [];
  private active = 0;
  private readonly pool: Pool;
  private readonly opts: CheckBatcherOptions;

  constructor(pool: Pool, opts: CheckBatcherOptions = { maxBatch: 256, maxConcurrent: 2 }) {
    this.pool = pool;
    this.opts = opts;
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
      void this.run(batch).finally(() => {
        this.active--;
        this.kick();
      });
    }
  }

  /** Never throws: every check of the batch is answered or rejected. */
  private async run(batch: Pending[]): Promise<void> {
    try {
      const requests = batch.map(({ req }) => ({
        tenant: req.tenant, feature: req.feature ?? null, tokens: req.tokens ?? null, reserve: req.reserve,
        ttlSeconds: req.ttlSeconds, id: req.id ?? null, request: requestOf(req),
      }));
      const { rows: [row] } = await this.pool.query<{ answers: RawAnswer[] }>(
        { name: 'check_entitlements', text: 'select flagmeter.check_entitlements($1::jsonb) as answers', values: [JSON.stringify(requests)] });
      const answers = row!.answers;
      batch.forEach((p, i) => p.resolve(answers[i] ?? null));
    } catch (err) {
      for (const p of batch) p.reject(err as Error);
    }
  }
}
