// The jobs of `flagmeter worker`: pg-boss (in its own `pgboss` schema) runs the minute tick as a
// cron singleton across replicas and delivers alerts; a local timer runs the fast crossing check.
import { PgBoss } from 'pg-boss';
import type { Config } from '../config.ts';
import type { Pool } from '../db/pool.ts';
import type { Logger } from '../log.ts';
import type { Metrics } from '../metrics.ts';
import { deliverAlert } from './deliver.ts';
import { runTick, type EnqueueDelivery } from './tick.ts';
import { repeat } from '../pacing.ts';
import { dueEndpoints } from '../db/webhooks.ts';
import { deliverEndpoint } from '../webhooks/deliver.ts';
import { policyFor } from '../webhooks/ssrf.ts';

export const TICK_QUEUE = 'flagmeter-tick';
export const ALERT_QUEUE = 'alert-delivery';
export const WEBHOOK_QUEUE = 'webhook-delivery';
const FAST_CHECK_WINDOW = '10 minutes';

export interface Worker {
  boss: PgBoss;
  enqueue: EnqueueDelivery;
  stop(): Promise<void>;
}

/** Starts pg-boss and creates our queues; with `work`, also the schedule, the handlers and the fast check. */
export async function startWorker(opts: { config: Config; pool: Pool; databaseUrl: string; log: Logger; work?: boolean; metrics?: Pick<Metrics, 'alertsSent' | 'alertsFailed' | 'webhookAttempts'> }): Promise<Worker> {
  const { config, pool, databaseUrl, log } = opts;
  const boss = new PgBoss({ connectionString: databaseUrl, schema: 'pgboss', application_name: 'flagmeter-worker', max: 4 });
  boss.on('error', (err: Error) => log.error({ err: err.message }, 'pg-boss error'));
  await boss.start();
  // the tick only ever runs once at a time, across every replica
  await boss.createQueue(TICK_QUEUE, { policy: 'singleton', retryLimit: 0, expireInSeconds: 300 });
  // our handler schedules its own retries (to honour Retry-After); pg-boss's retries cover crashes
  await boss.createQueue(ALERT_QUEUE, { retryLimit: 3, retryDelay: 10, retryBackoff: true, retryDelayMax: 600, expireInSeconds: 120 });

  // one job per endpoint at a time (stately: at most one queued and one running per singletonKey);
  // the delivery rows hold the retries, so pg-boss's only cover a crash
  await boss.createQueue(WEBHOOK_QUEUE, { policy: 'stately', retryLimit: 2, retryDelay: 5, expireInSeconds: 600 });

  const enqueue: EnqueueDelivery = async (client, alertId, startAfter) => {
    await boss.send(ALERT_QUEUE, { alertId }, {
      db: { executeSql: (text, values) => client.query(text, values as unknown[]) },
      ...(startAfter ? { startAfter } : {}),
    });
  };

  let fastCheck: { stop(): void } | undefined;
  let webhookPoll: { stop(): void } | undefined;
  if (opts.work !== false) {
    await boss.schedule(TICK_QUEUE, '* * * * *');
    await boss.work(TICK_QUEUE, async () => {
      const result = await runTick(pool, enqueue, config);
      log.info({ job: 'tick', ...result }, 'tick');
    });
    await boss.work<{ alertId: number }>(ALERT_QUEUE, { localConcurrency: 2 }, async ([job]) => {
      const outcome = await deliverAlert(pool, enqueue, config, job!.data.alertId);
      if (outcome.status === 'delivered') opts.metrics?.alertsSent.inc();
      else if (outcome.status === 'failed') opts.metrics?.alertsFailed.inc();
      log[outcome.status === 'failed' ? 'error' : 'info']({ job: 'alert', alertId: job!.data.alertId, ...outcome }, 'alert delivery');
    });
    await boss.work<{ endpointId: number }>(WEBHOOK_QUEUE, { localConcurrency: 2 }, async ([job]) => {
      const run = await deliverEndpoint(pool, config, policyFor(config), job!.data.endpointId);
      for (const a of run.attempts) opts.metrics?.webhookAttempts.inc({ outcome: a.status });
      for (const a of run.attempts) log[a.status === 'delivered' ? 'info' : 'warn']({ job: 'webhook', endpointId: job!.data.endpointId, ...a }, 'webhook delivery');
      if (run.disabled) log.error({ job: 'webhook', endpointId: job!.data.endpointId, reason: run.disabled }, 'webhook endpoint disabled');
    });
    if (config.WEBHOOK_POLL_MS > 0) {
      // the outbox's relay: endpoints with a due delivery get a job (at most one waiting each)
      webhookPoll = repeat(async () => {
        for (const endpointId of await dueEndpoints(pool)) {
          await boss.send(WEBHOOK_QUEUE, { endpointId }, { singletonKey: String(endpointId) });
        }
      }, config.WEBHOOK_POLL_MS, (err) => log.warn({ err: err.message }, 'webhook poll failed; trying again'));
    }
    if (config.ALERT_CHECK_INTERVAL_MS > 0) {
      // it sums every recently active tenant's period: spaced out further when that gets slow
      fastCheck = repeat(async () => {
        const { alerts } = await runTick(pool, enqueue, config, { recent: FAST_CHECK_WINDOW });
        if (alerts.length > 0) log.info({ alerts }, 'fast check: new threshold crossings');
      }, config.ALERT_CHECK_INTERVAL_MS, (err) => log.warn({ err: err.message }, 'fast crossing check failed; the minute tick will catch up'));
    }
  }

  return {
    boss,
    enqueue,
    stop: async () => {
      fastCheck?.stop();
      webhookPoll?.stop();
      await boss.stop({ graceful: true, timeout: config.SHUTDOWN_TIMEOUT_MS });
    },
  };
}
