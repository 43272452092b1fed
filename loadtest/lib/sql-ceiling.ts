// The ingest ceiling without HTTP: FlagMeter's own hot insert (insertEvents, one statement per batch,
// rollup trigger included) called in a loop from a few connections, with batches like the API's.
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { insertEvents, type EventRow } from '../../server/db/events.ts';
import type { Ledger } from './ledger.ts';

export interface SqlCeilingResult { connections: number; batchSize: number; durationMs: number; events: number; eventsPerSecond: number }

// two of them are in the default price list (migration 14), two are not (unpriced: cost 0)
const features = ['gpt-4o', 'gpt-4o-mini', 'claude-sonnet', 'text-embedding-3'];

export async function runSqlCeiling(o: {
  url: string; connections: number; batchSize: number; durationMs: number; tenantIds: number[]; ledger: Ledger;
  /** End users the events name (default 100), spread over tenants and features as the HTTP workload's
   * random ones are (a round robin would give each tenant two users); 0: no event names one. */
  users?: number;
  /** True: every event splits its tokens into input, output and cached parts (priced apart since migration 14). */
  parts?: boolean;
  onTick?(elapsedMs: number, events: number): void;
}): Promise<SqlCeilingResult> {
  const pool = new pg.Pool({ connectionString: o.url, max: o.connections });
  let events = 0;
  const users = o.users ?? 100;
  const start = performance.now();
  const ticker = setInterval(() => o.onTick?.(performance.now() - start, events), 250);
  try {
    await Promise.all(Array.from({ length: o.connections }, async (_, worker) => {
      let n = worker;
      while (performance.now() - start < o.durationMs) {
        const at = new Date().toISOString();
        const rows: EventRow[] = new Array(o.batchSize);
        let tokens = 0;
        for (let i = 0; i < o.batchSize; i++, n++) {
          const t = 1 + (n * 7919) % 1000;
          tokens += t;
          rows[i] = { id: randomUUID(), tenantId: o.tenantIds[n % o.tenantIds.length]!, feature: features[n % features.length]!, tokens: t, occurredAt: at, key: null, user: users > 0 ? `user-${Math.floor(n / o.tenantIds.length) * 7919 % users}` : null };
          if (o.parts) {
            const cached = Math.floor(t / 4), output = Math.floor(t / 3);
            rows[i]!.inputTokens = t - cached - output; rows[i]!.outputTokens = output; rows[i]!.cachedTokens = cached;
          }
        }
        await insertEvents(pool, rows);
        events += o.batchSize;
        o.ledger.sqlEvents += o.batchSize;
        o.ledger.sqlTokens += tokens;
      }
    }));
  } finally {
    clearInterval(ticker);
    await pool.end();
  }
  const elapsed = performance.now() - start;
  return { connections: o.connections, batchSize: o.batchSize, durationMs: elapsed, events, eventsPerSecond: events / (elapsed / 1000) };
}
