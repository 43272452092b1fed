// For the tests that migrate a database part way, fill it, then apply the later migrations: an
// insert with the columns events has had since migration 1 (insertEvents writes the token parts of
// migration 14), and a comparison that ignores the columns later migrations added.
import type { EventRow } from '../../server/db/events.ts';
import type { Pool } from '../../server/db/pool.ts';

export async function insertEventsOldSchema(pool: Pool, rows: readonly EventRow[]): Promise<void> {
  const col = <T>(f: (r: EventRow) => T) => rows.map(f);
  await pool.query(`
    insert into flagmeter.events (id, tenant_id, feature, tokens, occurred_at, idempotency_key, end_user)
    select * from unnest($1::uuid[], $2::bigint[], $3::text[], $4::int[], $5::timestamptz[], $6::text[], $7::text[])`,
  [col((r) => r.id), col((r) => r.tenantId), col((r) => r.feature), col((r) => r.tokens), col((r) => r.occurredAt), col((r) => r.key), col((r) => r.user)]);
}

/** `after` cut to the keys `before` has (recursively, through arrays and objects). */
export function onlyKeysOf(before: unknown, after: unknown): unknown {
  if (Array.isArray(before) && Array.isArray(after)) return after.map((a, i) => onlyKeysOf(before[i], a));
  if (before && after && typeof before === 'object' && typeof after === 'object' && !(before instanceof Date)) {
    return Object.fromEntries(Object.keys(before).map((k) => [k, onlyKeysOf((before as Record<string, unknown>)[k], (after as Record<string, unknown>)[k])]));
  }
  return after;
}
