// Delivers one alert to Slack. The alert row is locked for the attempt, so a duplicate job waits
// and then finds it delivered. A failed attempt schedules the next one (exponential backoff with
// jitter, or the 429's Retry-After when longer) in the same transaction that records the failure.
import type { Config } from '../config.ts';
import { withTransaction, type Pool } from '../db/pool.ts';
import { lockAlertForDelivery, recordAttempt } from '../db/alerts.ts';
import { alertText, moneyAlertText, postToSlack } from './slack.ts';
import { maskUrlIn } from '../core/mask.ts';
import type { EnqueueDelivery } from './tick.ts';
import { policyFor, type WebhookPolicy } from '../webhooks/ssrf.ts';

export type DeliveryOutcome =
  | { status: 'delivered' | 'failed' | 'skipped' | 'stale'; attempts?: number; error?: string; excerpt?: string }
  | { status: 'retrying'; attempts: number; error: string; retryInMs: number; excerpt?: string };

/** "Equal jitter": half the exponential delay, plus a random part of the other half. */
export function backoffMs(attempt: number, config: Pick<Config, 'ALERT_RETRY_BASE_MS' | 'ALERT_RETRY_MAX_MS'>, random = Math.random()): number {
  const exp = Math.min(config.ALERT_RETRY_MAX_MS, config.ALERT_RETRY_BASE_MS * 2 ** Math.min(attempt - 1, 30));
  return Math.round(exp / 2 + (exp / 2) * random);
}

const MAX_RETRY_AFTER_MS = 86_400_000;

/** `policy`: the SSRF guard's (from WEBHOOK_ALLOW_PRIVATE/WEBHOOK_ALLOW_HOSTS unless a test brings its own resolver). */
export async function deliverAlert(pool: Pool, enqueue: EnqueueDelivery, config: Config, alertId: number, policy: WebhookPolicy = policyFor(config)): Promise<DeliveryOutcome> {
  return withTransaction(pool, async (client): Promise<DeliveryOutcome> => {
    const alert = await lockAlertForDelivery(client, alertId);
    if (!alert || alert.status !== 'pending') return { status: 'stale' };

    const url = alert.webhookUrl ? (alert.webhookEnabled ? alert.webhookUrl : null) : config.SLACK_WEBHOOK_URL ?? null;
    if (!url) {
      const error = alert.webhookUrl ? "the tenant's webhook is disabled" : 'no webhook configured (tenant or SLACK_WEBHOOK_URL)';
      await recordAttempt(client, alertId, { status: 'skipped', attempted: false, error });
      return { status: 'skipped', error };
    }

    const text = alert.money ? moneyAlertText(alert.tenant, alert.money, alert.feature) : alertText(alert.tenant, alert.usedTokens, alert.quota!, alert.feature);
    const result = await postToSlack(url, text, config.ALERT_HTTP_TIMEOUT_MS, policy);
    const attempts = alert.attempts + 1;
    if (result.ok) {
      await recordAttempt(client, alertId, { status: 'delivered', attempted: true, error: null });
      return { status: 'delivered', attempts };
    }
    // last_error is shown to read keys (GET /api/alerts): a network error names the URL, a credential;
    // the remote body is not in it (postJson), only in the excerpt the worker logs
    const error = maskUrlIn(result.error!, url);
    const excerpt = result.excerpt === undefined ? {} : { excerpt: maskUrlIn(result.excerpt, url) };
    if (attempts >= config.ALERT_MAX_ATTEMPTS) {
      await recordAttempt(client, alertId, { status: 'failed', attempted: true, error });
      return { status: 'failed', attempts, error, ...excerpt };
    }
    const retryInMs = Math.max(backoffMs(attempts, config), Math.min(result.retryAfterMs ?? 0, MAX_RETRY_AFTER_MS));
    await recordAttempt(client, alertId, { status: 'pending', attempted: true, error });
    // an absolute time: pg-boss would count seconds from the transaction's start, which was
    // before the POST, and so retry early by however long the POST took
    await enqueue(client, alertId, new Date(Date.now() + retryInMs));
    return { status: 'retrying', attempts, error, retryInMs, ...excerpt };
  });
}
