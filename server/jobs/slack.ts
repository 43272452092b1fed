// Posting one alert to a Slack incoming webhook, and the message it carries.
import { postJson, type PostResult } from '../webhooks/post.ts';
import type { WebhookPolicy } from '../webhooks/ssrf.ts';

export type { PostResult };

export function alertText(tenant: string, usedTokens: number, quota: number, feature: string | null = null): string {
  const percent = Math.floor((usedTokens * 100) / quota);
  if (feature !== null) {
    return `FlagMeter: tenant '${tenant}' has hit ${percent}% of its ${quota.toLocaleString('en-US')}-token limit on feature '${feature}' this period.`;
  }
  return `FlagMeter: tenant '${tenant}' has hit ${percent}% of ${quota.toLocaleString('en-US')} tokens this month.`;
}

/** Through the SSRF guard (postJson): the URL is checked and the connection pinned at every call. */
export function postToSlack(url: string, text: string, timeoutMs: number, policy: WebhookPolicy): Promise<PostResult> {
  return postJson(url, JSON.stringify({ text }), {}, { timeoutMs, policy });
}
