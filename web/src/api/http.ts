// Reads from the FlagMeter API. Errors arrive as {error: {code, message}}; network failures too
// become an ApiError so every view shows one kind of error.
import { authHeaders, apiKey, isKeyRefusal, refused } from '../session.ts';
import type { Alert, Bucket, TenantDetail, UsageSeries } from './types.ts';

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

export async function getJson<T>(path: string, signal?: AbortSignal): Promise<T> {
  let res: Response;
  const key = apiKey.peek();
  try {
    res = await fetch(path, { headers: { accept: 'application/json', ...authHeaders(key) }, signal });
  } catch (err) {
    if ((err as Error).name === 'AbortError') throw err;
    throw new ApiError(0, 'network', 'Cannot reach the FlagMeter API.');
  }
  const body = await res.json().catch(() => undefined);
  if (!res.ok) {
    const error = body?.error;
    if (isKeyRefusal(res.status, error?.code)) refused(key, error?.message ?? 'The API key was refused.', res.status);
    throw new ApiError(res.status, error?.code ?? 'http_error', error?.message ?? `The API answered ${res.status}.`);
  }
  return body as T;
}

const enc = encodeURIComponent;

export const fetchTenant = (slug: string, signal?: AbortSignal) =>
  getJson<TenantDetail>(`/api/usage/${enc(slug)}`, signal);

export const fetchSeries = (slug: string, bucket: Bucket, signal?: AbortSignal) =>
  getJson<UsageSeries>(`/api/usage/${enc(slug)}/series?bucket=${bucket}`, signal);

/** Alerts come with issue 3; until the route exists (404) a tenant simply has none. */
export async function fetchAlerts(slug: string, signal?: AbortSignal): Promise<Alert[]> {
  try {
    return (await getJson<{ alerts: Alert[] }>(`/api/alerts?tenant=${enc(slug)}`, signal)).alerts;
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) return [];
    throw err;
  }
}
