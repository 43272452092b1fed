// One HTTP exchange with FlagMeter through the platform's fetch: JSON in, JSON out, a timeout.
import { FlagMeterUnavailableError } from './errors.ts';

export interface Reply { status: number; body: any; headers: Headers }

export interface Transport {
  request(method: string, path: string, body?: unknown, timeoutMs?: number, extraHeaders?: Record<string, string>): Promise<Reply>;
}

export interface TransportOptions {
  baseUrl: string;
  apiKey?: string;
  timeoutMs: number;
  fetch?: typeof fetch;
  headers?: Record<string, string>;
}

export function makeTransport(opts: TransportOptions): Transport {
  const base = opts.baseUrl.replace(/\/+$/, '');
  const doFetch = opts.fetch ?? globalThis.fetch;
  const headers: Record<string, string> = {
    accept: 'application/json',
    ...(opts.apiKey ? { authorization: `Bearer ${opts.apiKey}` } : {}),
    ...opts.headers,
  };
  return {
    /** Throws FlagMeterUnavailableError when no answer came (network error, timeout); any status is a Reply. */
    async request(method, path, body, timeoutMs = opts.timeoutMs, extraHeaders) {
      let res: Response;
      try {
        res = await doFetch(`${base}${path}`, {
          method,
          headers: { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...extraHeaders },
          body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
          signal: AbortSignal.timeout(timeoutMs),
        });
      } catch (err) {
        throw new FlagMeterUnavailableError(`FlagMeter at ${base} did not answer ${method} ${path}: ${(err as Error).message}`, err);
      }
      let text: string;
      try {
        text = await res.text();
      } catch (err) {
        throw new FlagMeterUnavailableError(`FlagMeter's answer to ${method} ${path} was cut off: ${(err as Error).message}`, err);
      }
      let parsed: unknown;
      try {
        parsed = text ? JSON.parse(text) : undefined;
      } catch {
        parsed = text;
      }
      return { status: res.status, body: parsed, headers: res.headers };
    },
  };
}

/** The error code and message of FlagMeter's `{error: {code, message}}` body. */
export function errorOf(reply: Reply): { code: string | undefined; message: string; details: { index?: number; field: string; message: string }[] } {
  const e = (reply.body as { error?: { code?: string; message?: string; details?: [] } } | undefined)?.error;
  return { code: e?.code, message: e?.message ?? `HTTP ${reply.status}`, details: Array.isArray(e?.details) ? e.details : [] };
}
