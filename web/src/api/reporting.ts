// Reads of the reporting API (past periods, statements, the usage query), and the paths the CSV
// downloads use (download in http.ts: fetch with the page's key, then a Blob; a plain link could not carry it).
import { enc, request } from './http.ts';
import type { Bucket, Periods, QueryAnswer, Statement, UsageSeries } from './types.ts';

export const periodsPath = (slug: string) => `/api/tenants/${enc(slug)}/periods`;
export const statementPath = (slug: string, start: string) => `/api/tenants/${enc(slug)}/periods/${enc(start)}`;
export const queryPath = (slug: string, p: { window: string; from: string; to: string; groupBy?: string }) =>
  `/api/usage/${enc(slug)}/query?${new URLSearchParams({ window: p.window, from: p.from, to: p.to, ...(p.groupBy ? { groupBy: p.groupBy } : {}) })}`;

export const fetchPeriods = (slug: string, signal?: AbortSignal) => request<Periods>(periodsPath(slug), { signal });
export const fetchStatement = (slug: string, start: string, signal?: AbortSignal) => request<Statement>(statementPath(slug, start), { signal });

/** A past period's chart: the query API per hour or day, with the running total the chart draws. */
export async function fetchPeriodSeries(s: Statement, bucket: Bucket, signal?: AbortSignal): Promise<UsageSeries> {
  const answer = await request<QueryAnswer>(queryPath(s.tenant, { window: bucket, from: s.periodStart, to: s.periodEnd }), { signal });
  let cumulative = 0;
  return {
    tenant: s.tenant, bucket, timezone: s.timezone, periodStart: s.periodStart, periodEnd: s.periodEnd, quota: s.monthlyQuota,
    points: answer.rows.map((r) => ({ t: r.windowStart, tokens: r.tokens, cumulative: (cumulative += r.tokens) })),
  };
}
