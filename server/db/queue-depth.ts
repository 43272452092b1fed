// pg-boss backlog per queue, counted live from its job table: pg-boss's own queue counters are
// refreshed only by its monitor (every 60 s), too stale for an alerting gauge.
import type { Pool } from './pool.ts';

/** Jobs not yet finished (created, retry, active) per queue; every queue in `queues` appears, 0 when idle. */
export async function queueDepths(pool: Pool, queues: readonly string[]): Promise<Record<string, number>> {
  const { rows } = await pool.query<{ queue: string; depth: number }>(
    `select q.name as queue, count(j.name)::int as depth
     from unnest($1::text[]) as q(name)
     left join pgboss.job j on j.name = q.name and j.state in ('created', 'retry', 'active')
     group by q.name`,
    [queues]);
  return Object.fromEntries(rows.map((r) => [r.queue, r.depth]));
}
