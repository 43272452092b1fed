// The console's one transport: every call to the API goes through request (JSON) or download
// (a file). The API key when one is set, else the session cookie (same origin; the browser's
// Sec-Fetch-Site header is what the server checks for a cookie's write). Never cached.
//
// One rule for refusals: 401 means the key or the session is gone, so the page goes back to the
// sign-in (session.ts, refused) and the call fails too; 403 and any other non-2xx fail with an
// ApiError carrying the API's status, code, message and field details ({error: {code, message,
// details}}); a network failure is an ApiError with status 0. The live stream (live.ts) reads its
// own response, being the page's gate: there a 403 means the caller may see nothing, and it asks.
import { apiKey, authHeaders, refused } from '../session.ts';
import type { ErrorBody, FieldError } from './types.ts';

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  /** The fields the API names, so a form shows each message next to its field. */
  readonly details: FieldError[];
  constructor(status: number, code: string, message: string, details: FieldError[] = []) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

export interface CallInit {
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'; body?: unknown; signal?: AbortSignal | undefined;
  /** extra request headers (e.g. If-None-Match: * for a create that must not replace) */
  headers?: Record<string, string>;
}

export const enc = encodeURIComponent;

/** A query string of the defined values. */
export const query = (params: Record<string, string | number | undefined>) =>
  new URLSearchParams(Object.entries(params).filter(([, v]) => v !== undefined).map(([k, v]) => [k, String(v)])).toString();

/** The error body of a refused answer, if it is the API's. */
export async function errorOf(res: Response): Promise<ErrorBody['error'] | undefined> {
  return ((await res.json().catch(() => undefined)) as Partial<ErrorBody> | undefined)?.error;
}

/** The message of an error with the API's field details spelled out ("percentage: …; key: …"), for views without per-field errors. */
export function describe(err: unknown): string {
  if (err instanceof ApiError && err.details.length > 0) return err.details.map((d) => `${d.field}: ${d.message}`).join('; ');
  return (err as Error).message;
}

async function send(path: string, accept: string, init: CallInit): Promise<Response> {
  const key = apiKey.peek();
  const { method = 'GET', body, signal, headers } = init;
  let res: Response;
  try {
    res = await fetch(path, {
      method, cache: 'no-store', credentials: 'same-origin', signal,
      headers: { ...headers, accept, ...authHeaders(key), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (err) {
    if ((err as Error).name === 'AbortError') throw err;
    throw new ApiError(0, 'network', 'Cannot reach the FlagMeter API.');
  }
  if (res.ok) return res;
  const error = await errorOf(res);
  if (res.status === 401) refused(key, error?.message ?? 'The API key was refused.', res.status);
  throw new ApiError(res.status, error?.code ?? 'http_error', error?.message ?? `The API answered ${res.status}.`, error?.details ?? []);
}

/** Calls the API with a JSON body (if any) and returns its JSON answer (undefined for an empty one). */
export async function request<T>(path: string, init: CallInit = {}): Promise<T> {
  const res = await send(path, 'application/json', init);
  return (res.status === 204 ? undefined : await res.json().catch(() => undefined)) as T;
}

/** Fetches `path` (a CSV by default) and saves it under the server's file name, else `filename`. */
export async function download(path: string, filename: string, accept = 'text/csv'): Promise<void> {
  const res = await send(path, accept, {});
  const blob = await res.blob();
  const name = /filename="([^"]+)"/.exec(res.headers.get('content-disposition') ?? '')?.[1] ?? filename;
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/**
 * Opens `path` (an HTML page the API renders, e.g. a printable statement) in a new tab, fetched with
 * the page's key and shown from a Blob URL, as download does. The tab is opened at once, inside the
 * click, so a popup blocker lets it through, and closed again if the fetch fails.
 */
export async function openPage(path: string): Promise<void> {
  const tab = window.open('', '_blank');
  try {
    const res = await send(path, 'text/html', {});
    const url = URL.createObjectURL(new Blob([await res.text()], { type: 'text/html' }));
    if (tab) tab.location.href = url;
    else window.open(url, '_blank');
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
  } catch (err) {
    tab?.close();
    throw err;
  }
}
