// Runs flagmeter.tick() and enqueues one delivery job per new alert in the SAME transaction: an
// outbox, so there is never an alert row without its job nor a job without its row.
import type pg from 'pg';
import type { Config } from '../config.ts';
import { withTransaction, type Pool } from '../db/pool.ts';
import { pruneWebhookEvents } from '../db/webhooks.ts';

export interface TickResult {
  alerts: number[];
  partitionsCreated: number;
  partitionsDropped: string[];
  rollupsCompacted: number;
  keysPruned: number;
  /** flagmeter.tick_entitlements(): lapsed reservations marked expired, old check answers deleted. */
  reservationsExpired?: number;
  checksPruned?: number;
  /** flagmeter.fold_user_rollups(): per-end-user rows folded from the trigger's queue. */
  userRollupsFolded?: number;
  /** Webhook events past WEBHOOK_LOG_RETENTION_DAYS with nothing pending, deleted with their delivery log. */
  webhookEventsPruned?: number;
}

/** Enqueues the delivery of an alert through the given transaction's connection, to start no sooner than startAfter. */
export type EnqueueDelivery = (client: pg.ClientBase, alertId: number, startAfter?: Date) => Promise<void>;

export interface TickOptions {
  /** Only tenants with usage this recent (e.g. '10 minutes'), and no maintenance: the fast check. */
  recent?: string;
  /** Evaluate as of this instant instead of the database's now() (tests). */
  asOf?: Date;
}

export async function runTick(pool: Pool, enqueue: EnqueueDelivery, config: Config, opts: TickOptions = {}): Promise<TickResult> {
  const result = await tickTransaction(pool, enqueue, config, opts);
  // the insert trigger's per-end-user queue, on every tick (the fast check too, so it stays short);
  // its own statement: a fold never holds up the alerts
  const { rows: [fold] } = await pool.query<{ n: number }>('select flagmeter.fold_user_rollups() as n');
  result.userRollupsFolded = fold!.n;
  if (!opts.recent) result.webhookEventsPruned = await pruneWebhookEvents(pool, config.WEBHOOK_LOG_RETENTION_DAYS);
  return result;
}

function tickTransaction(pool: Pool, enqueue: EnqueueDelivery, config: Config, opts: TickOptions): Promise<TickResult> {
  return withTransaction(pool, async (client) => {
    const { rows: [row] } = await client.query<{ tick: TickResult }>(
      `select flagmeter.tick(coalesce($1::timestamptz, now()), $2::interval, $3::interval, $4::interval, $5::interval) as tick`,
      [opts.asOf ?? null, opts.recent ?? null, `${config.EVENTS_RETENTION_MONTHS} months`,
        `${config.ROLLUP_COMPACT_AFTER_DAYS} days`, `${config.IDEMPOTENCY_WINDOW_DAYS} days`]);
    const result = row!.tick;
    // feature-limit alerts and the reservation sweep, in the same transaction (same outbox)
    const { rows: [ent] } = await client.query<{ r: { alerts: number[]; reservationsExpired: number; checksPruned: number } }>(
      `select flagmeter.tick_entitlements(coalesce($1::timestamptz, now()), $2::interval, $3::interval) as r`,
      [opts.asOf ?? null, opts.recent ?? null, `${config.IDEMPOTENCY_WINDOW_DAYS} days`]);
    result.alerts = [...result.alerts, ...ent!.r.alerts];
    if (!opts.recent) Object.assign(result, { reservationsExpired: ent!.r.reservationsExpired, checksPruned: ent!.r.checksPruned });
    for (const alertId of result.alerts) await enqueue(client, alertId);
    return result;
  });
}
