// Delivers an endpoint's due events, one at a time, oldest first (per subject), signed. The endpoint
// row is locked for each attempt (skip locked: another worker on it carries on, so one endpoint is
// never called twice at once), and the attempt's outcome, its next try and the endpoint's failure
// count commit together. After WEBHOOK_DISABLE_AFTER_FAILURES failed attempts in a row the endpoint
// is disabled and the tenant's Slack webhook (or SLACK_WEBHOOK_URL) is told.
import type { Config } from '../config.ts';
import { withTransaction, type Pool } from '../db/pool.ts';
import { getTenantSettings } from '../db/tenants.ts';
import {
  disableEndpoint, lockEndpointForDelivery, nextDueDelivery, recordDeliveryAttempt,
} from '../db/webhooks.ts';
import { backoffMs } from '../jobs/deliver.ts';
import { postToSlack } from '../jobs/slack.ts';
import { maskUrl, maskUrlIn } from '../core/mask.ts';
import { postJson } from './post.ts';
import { signedHeaders } from './signing.ts';
import type { WebhookPolicy } from './ssrf.ts';

export interface Attempt {
  deliveryId: number;
  status: 'delivered' | 'retrying' | 'failed';
  error?: string;
  /** The start of the remote body (bounded, URL masked): for the log only. */
  excerpt?: string;
}

export interface EndpointRun { attempts: Attempt[]; disabled?: string }

type Settings = Pick<Config, 'ALERT_RETRY_BASE_MS' | 'ALERT_RETRY_MAX_MS' | 'ALERT_HTTP_TIMEOUT_MS' | 'WEBHOOK_MAX_ATTEMPTS' | 'WEBHOOK_DISABLE_AFTER_FAILURES' | 'SLACK_WEBHOOK_URL'>;

/** Up to `max` due deliveries of one endpoint. */
export async function deliverEndpoint(pool: Pool, config: Settings, policy: WebhookPolicy, endpointId: number, max = 50): Promise<EndpointRun> {
  const run: EndpointRun = { attempts: [] };
  for (let i = 0; i < max; i++) {
    const step = await withTransaction(pool, async (client) => {
      const endpoint = await lockEndpointForDelivery(client, endpointId);
      if (!endpoint || !endpoint.enabled) return undefined;
      const due = await nextDueDelivery(client, endpointId);
      if (!due) return undefined;

      // one id per event and endpoint, the same on every retry: the receiver's idempotency key
      const messageId = `msg_${due.eventId}_${endpointId}`;
      const headers = signedHeaders(endpoint.secrets, messageId, Math.floor(Date.now() / 1000), due.body);
      const result = await postJson(endpoint.url, due.body, headers, { timeoutMs: config.ALERT_HTTP_TIMEOUT_MS, policy });
      const attempts = due.attempts + 1;
      const ref = { id: due.id, endpointId };
      if (result.ok) {
        await recordDeliveryAttempt(client, ref, { status: 'delivered', httpStatus: result.status ?? null, error: null });
        return { attempt: { deliveryId: due.id, status: 'delivered' } satisfies Attempt };
      }
      const error = maskUrlIn(result.error!, endpoint.url);
      const excerpt = result.excerpt === undefined ? {} : { excerpt: maskUrlIn(result.excerpt, endpoint.url) };
      const last = attempts >= config.WEBHOOK_MAX_ATTEMPTS;
      const waitMs = Math.max(backoffMs(attempts, config), Math.min(result.retryAfterMs ?? 0, 86_400_000));
      await recordDeliveryAttempt(client, ref, {
        status: last ? 'failed' : 'pending', httpStatus: result.status ?? null, error,
        ...(last ? {} : { nextAttemptAt: new Date(Date.now() + waitMs) }),
      });
      const attempt: Attempt = { deliveryId: due.id, status: last ? 'failed' : 'retrying', error, ...excerpt };
      const failures = endpoint.consecutiveFailures + 1;
      if (failures >= config.WEBHOOK_DISABLE_AFTER_FAILURES) {
        const reason = `disabled after ${failures} failed attempts in a row (the last: ${error})`;
        await disableEndpoint(client, endpointId, reason);
        return { attempt, disabled: { reason, tenant: endpoint.tenant, url: endpoint.url } };
      }
      return { attempt };
    });
    if (!step) break;
    run.attempts.push(step.attempt);
    if (step.disabled) {
      run.disabled = step.disabled.reason;
      await tellDisabled(pool, config, policy, endpointId, step.disabled);
      break;
    }
    // a failure waits for its backoff; the next due one may be another subject's, but the endpoint is struggling: stop for now
    if (step.attempt.status !== 'delivered') break;
  }
  return run;
}

/** The alert for a disabled endpoint: to the tenant's Slack webhook, or the default one (best effort: the log has it too). */
async function tellDisabled(pool: Pool, config: Settings, policy: WebhookPolicy, endpointId: number, d: { reason: string; tenant: string | null; url: string }): Promise<void> {
  const settings = d.tenant ? await getTenantSettings(pool, d.tenant) : undefined;
  const slack = settings?.webhook ? (settings.webhook.enabled ? settings.webhook.url : undefined) : config.SLACK_WEBHOOK_URL;
  if (!slack) return;
  const whose = d.tenant ? `tenant '${d.tenant}'` : 'the installation';
  await postToSlack(slack, `FlagMeter: webhook endpoint ${endpointId} of ${whose} (${maskUrl(d.url)}) was ${d.reason}. Enable it again once it answers.`, config.ALERT_HTTP_TIMEOUT_MS, policy);
}
