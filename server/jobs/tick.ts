// Runs flagmeter.tick() and enqueues one delivery job per new alert in the SAME transaction: an
// outbox, so there is never an alert row without its job nor a job without its row.
import type pg from 'pg';
import type { Config } from '../config.ts';
import { withTransaction, type Pool } from '../db/pool.ts';
import { foldUserRollups, tick, tickEntitlements, type TickResult } from '../db/tick.ts';
import { pruneWebhookEvents } from '../db/webhooks.ts';

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
  // the per-end-user fold from events past its watermark, on every tick (the fast check too, so
  // readers have few raw events to add); its own statement: a fold never holds up the alerts
  result.userRollupsFolded = await foldUserRollups(pool);
  if (!opts.recent) result.webhookEventsPruned = await pruneWebhookEvents(pool, config.WEBHOOK_LOG_RETENTION_DAYS);
  return result;
}

function tickTransaction(pool: Pool, enqueue: EnqueueDelivery, config: Config, opts: TickOptions): Promise<TickResult> {
  return withTransaction(pool, async (client) => {
    const params = {
      asOf: opts.asOf ?? null, recent: opts.recent ?? null, retention: `${config.EVENTS_RETENTION_MONTHS} months`,
      compactAfter: `${config.ROLLUP_COMPACT_AFTER_DAYS} days`, idempotencyWindow: `${config.IDEMPOTENCY_WINDOW_DAYS} days`,
    };
    const result = await tick(client, params);
    // feature-limit alerts and the reservation sweep, in the same transaction (same outbox)
    const ent = await tickEntitlements(client, params);
    result.alerts = [...result.alerts, ...ent.alerts];
    if (!opts.recent) Object.assign(result, { reservationsExpired: ent.reservationsExpired, checksPruned: ent.checksPruned });
    for (const alertId of result.alerts) await enqueue(client, alertId);
    return result;
  });
}
