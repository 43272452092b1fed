// A tenant's usage this period: the totals with features, limits and alerts, the chart's series, the alerts.
import { ApiError, enc, request } from './http.ts';
import type { Alert, Bucket, TenantDetail, UsageSeries } from './types.ts';

export const fetchTenant = (slug: string, signal?: AbortSignal) =>
  request<TenantDetail>(`/api/usage/${enc(slug)}`, { signal });

export const fetchSeries = (slug: string, bucket: Bucket, signal?: AbortSignal) =>
  request<UsageSeries>(`/api/usage/${enc(slug)}/series?bucket=${bucket}`, { signal });

/** A server without the alerts route (404) simply has none to show. */
export async function fetchAlerts(slug: string, signal?: AbortSignal): Promise<Alert[]> {
  try {
    return (await request<{ alerts: Alert[] }>(`/api/alerts?tenant=${enc(slug)}`, { signal })).alerts;
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) return [];
    throw err;
  }
}
