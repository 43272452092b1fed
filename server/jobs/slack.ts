// Posting one alert to a Slack incoming webhook, and the message it carries.
import { postJson, type PostResult } from '../webhooks/post.ts';
import type { WebhookPolicy } from '../webhooks/ssrf.ts';

export type { PostResult };

/**
 * Money as a person reads it: cents, dropped when whole ("$412.50", "$500"), rounded half up from
 * the exact decimal text (Intl formats the string itself, not a float made of it).
 */
export function formatMoney(amount: string, currency: string): string {
  const format = new Intl.NumberFormat('en-US', { style: 'currency', currency, minimumFractionDigits: 2, maximumFractionDigits: 2, trailingZeroDisplay: 'stripIfInteger' });
  return format.format(amount as Intl.StringNumericLiteral);
}

/** A money alert: "$412.50 of $500 — 82%", with whose budget it is. */
export function moneyAlertText(tenant: string, money: { used: string; limit: string; currency: string; percent: number }, feature: string | null): string {
  const figures = `${formatMoney(money.used, money.currency)} of ${formatMoney(money.limit, money.currency)} — ${money.percent}%`;
  if (feature !== null) return `FlagMeter: tenant '${tenant}', budget on feature '${feature}': ${figures} this period.`;
  return `FlagMeter: tenant '${tenant}', monthly budget: ${figures} this period.`;
}

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
