// Posting one alert to a Slack incoming webhook, and the message it carries.
import fetch from 'node-fetch';

export interface PostResult {
  ok: boolean;
  /** HTTP status, or undefined when no answer came (network error, timeout). */
  status?: number;
  error?: string;
  /** From a 429's Retry-After (seconds or an HTTP date). */
  retryAfterMs?: number;
}

export function alertText(tenant: string, usedTokens: number, quota: number, feature: string | null = null): string {
  const percent = Math.floor((usedTokens * 100) / quota);
  if (feature !== null) {
    return `FlagMeter: tenant '${tenant}' has hit ${percent}% of its ${quota.toLocaleString('en-US')}-token limit on feature '${feature}' this period.`;
  }
  return `FlagMeter: tenant '${tenant}' has hit ${percent}% of ${quota.toLocaleString('en-US')} tokens this month.`;
}

export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

export async function postToSlack(url: string, text: string, timeoutMs: number): Promise<PostResult> {
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ text }),
      signal: AbortSignal.timeout(timeoutMs),
      redirect: 'error',
    });
    const body = (await res.text()).slice(0, 200);
    if (res.ok) return { ok: true, status: res.status };
    return {
      ok: false,
      status: res.status,
      error: `HTTP ${res.status}${body ? `: ${body}` : ''}`,
      ...(res.status === 429 ? { retryAfterMs: parseRetryAfter(res.headers.get('retry-after')) } : {}),
    };
  } catch (err) {
    const e = err as Error;
    return { ok: false, error: e.name === 'TimeoutError' || e.name === 'AbortError' ? `no answer within ${timeoutMs} ms` : e.message };
  }
}
