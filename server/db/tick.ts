// The minute job's statements: flagmeter.tick() and tick_entitlements() in the caller's transaction
// (the alert outbox), and the per-end-user fold on its own.
import type pg from 'pg';
import type { Pool } from './pool.ts';

export interface TickResult {
  alerts: number[];
  partitionsCreated: number;
  partitionsDropped: string[];
  rollupsCompacted: number;
  keysPruned: number;
  /** flagmeter.tick_entitlements(): lapsed reservations marked expired, old check answers deleted. */
  reservationsExpired?: number;
  checksPruned?: number;
  /** flagmeter.fold_user_rollups(): per-end-user rows folded from the events past the watermark. */
  userRollupsFolded?: number;
  /** Webhook events past WEBHOOK_LOG_RETENTION_DAYS with nothing pending, deleted with their delivery log. */
  webhookEventsPruned?: number;
}

export interface TickParams {
  /** null: the database's now(). */
  asOf: Date | null;
  /** Only tenants with usage this recent (an interval, e.g. '10 minutes'); null: all, with maintenance. */
  recent: string | null;
  retention: string;
  compactAfter: string;
  idempotencyWindow: string;
}

export async function tick(client: pg.ClientBase, p: TickParams): Promise<TickResult> {
  const { rows: [row] } = await client.query<{ tick: TickResult }>(
    `select flagmeter.tick(coalesce($1::timestamptz, now()), $2::interval, $3::interval, $4::interval, $5::interval) as tick`,
    [p.asOf, p.recent, p.retention, p.compactAfter, p.idempotencyWindow]);
  return row!.tick;
}

export async function tickEntitlements(client: pg.ClientBase, p: Pick<TickParams, 'asOf' | 'recent' | 'idempotencyWindow'>): Promise<{ alerts: number[]; reservationsExpired: number; checksPruned: number }> {
  const { rows: [ent] } = await client.query<{ r: { alerts: number[]; reservationsExpired: number; checksPruned: number } }>(
    `select flagmeter.tick_entitlements(coalesce($1::timestamptz, now()), $2::interval, $3::interval) as r`,
    [p.asOf, p.recent, p.idempotencyWindow]);
  return ent!.r;
}

/** Folds the named events past the insertion watermark into the per-end-user rollup ; returns the rows upserted. */
export async function foldUserRollups(pool: Pool): Promise<number> {
  const { rows: [fold] } = await pool.query<{ n: number }>('select flagmeter.fold_user_rollups() as n');
  return fold!.n;
}
