// The console's calls to the API, reads and writes alike: the API key when one is set, else the
// session cookie (sent by the browser, same origin). Errors carry the API's field details so a form
// can show each next to its field.
import { ApiError } from '../api/http.ts';
import { apiKey, authHeaders, refused } from '../session.ts';

export interface FieldError { field: string; message: string; index?: number }

export class RequestError extends ApiError {
  readonly details: FieldError[];
  constructor(status: number, code: string, message: string, details: FieldError[] = []) {
    super(status, code, message);
    this.details = details;
  }
}

export async function request<T>(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<T> {
  const key = apiKey.peek();
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      headers: { accept: 'application/json', ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...authHeaders(key) },
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'same-origin',
      signal,
    });
  } catch (err) {
    if ((err as Error).name === 'AbortError') throw err;
    throw new RequestError(0, 'network', 'Cannot reach the FlagMeter API.');
  }
  const answer = res.status === 204 ? undefined : await res.json().catch(() => undefined);
  if (!res.ok) {
    const error = answer?.error;
    // a 401 means the key or the session is gone: back to the sign-in (a 403 on a write is just "not you")
    if (res.status === 401) refused(key, error?.message ?? 'Signed out.');
    throw new RequestError(res.status, error?.code ?? 'http_error', error?.message ?? `The API answered ${res.status}.`, error?.details ?? []);
  }
  return answer as T;
}

export const enc = encodeURIComponent;
