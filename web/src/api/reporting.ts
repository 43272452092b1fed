// Reads of the reporting API (past periods, statements, the usage query) and the CSV downloads.
// Downloads go through fetch with the page's key in the Authorization header, like every other
// read: a plain link could not carry it. The file is handed to the browser as a Blob.
import type { z } from 'zod';
import type { periodsAnswer, statementAnswer, usageQueryAnswer } from '../../../server/reporting/schemas.ts';
import { ApiError, getJson } from './http.ts';
import { apiKey, authHeaders, isKeyRefusal, refused } from '../session.ts';
import type { Bucket, UsageSeries } from './types.ts';

export type Periods = z.infer<typeof periodsAnswer>;
export type Period = Periods['periods'][number];
export type Statement = z.infer<typeof statementAnswer>;
export type QueryAnswer = z.infer<typeof usageQueryAnswer>;

const enc = encodeURIComponent;

export const periodsPath = (slug: string) => `/api/tenants/${enc(slug)}/periods`;
export const statementPath = (slug: string, start: string) => `/api/tenants/${enc(slug)}/periods/${enc(start)}`;
export const queryPath = (slug: string, p: { window: string; from: string; to: string; groupBy?: string }) =>
  `/api/usage/${enc(slug)}/query?${new URLSearchParams({ window: p.window, from: p.from, to: p.to, ...(p.groupBy ? { groupBy: p.groupBy } : {}) })}`;

export const fetchPeriods = (slug: string, signal?: AbortSignal) => getJson<Periods>(periodsPath(slug), signal);
export const fetchStatement = (slug: string, start: string, signal?: AbortSignal) => getJson<Statement>(statementPath(slug, start), signal);

/** A past period's chart: the query API per hour or day, with the running total the chart draws. */
export async function fetchPeriodSeries(s: Statement, bucket: Bucket, signal?: AbortSignal): Promise<UsageSeries> {
  const answer = await getJson<QueryAnswer>(queryPath(s.tenant, { window: bucket, from: s.periodStart, to: s.periodEnd }), signal);
  let cumulative = 0;
  return {
    tenant: s.tenant, bucket, timezone: s.timezone, periodStart: s.periodStart, periodEnd: s.periodEnd, quota: s.monthlyQuota,
    points: answer.rows.map((r) => ({ t: r.windowStart, tokens: r.tokens, cumulative: (cumulative += r.tokens) })),
  };
}

/** Fetches `path` as CSV and saves it under the server's file name. */
export async function downloadCsv(path: string, fallbackName: string): Promise<void> {
  const key = apiKey.peek();
  let res: Response;
  try {
    res = await fetch(path, { headers: { accept: 'text/csv', ...authHeaders(key) } });
  } catch {
    throw new ApiError(0, 'network', 'Cannot reach the FlagMeter API.');
  }
  if (!res.ok) {
    const error = (await res.json().catch(() => undefined))?.error;
    if (isKeyRefusal(res.status, error?.code)) refused(key, error?.message ?? 'The API key was refused.', res.status);
    throw new ApiError(res.status, error?.code ?? 'http_error', error?.message ?? `The API answered ${res.status}.`);
  }
  const blob = await res.blob();
  const name = /filename="([^"]+)"/.exec(res.headers.get('content-disposition') ?? '')?.[1] ?? fallbackName;
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
