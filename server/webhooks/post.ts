// One POST to a webhook, through the SSRF guard, connected to the address the guard checked.
// What the remote answered is never passed on whole: `error` (shown to read keys in
// GET /api/alerts, stored in delivery logs) holds the status only; `excerpt` (for admins and the
// log) at most EXCERPT_CHARS characters of the body, control characters replaced.
import http from 'node:http';
import https from 'node:https';
import { pinnedLookup, resolveTarget, WebhookRefused, type WebhookPolicy } from './ssrf.ts';

export interface PostResult {
  ok: boolean;
  /** HTTP status, or undefined when no answer came (refused, network error, timeout). */
  status?: number;
  /** Why it failed, in words that carry neither the URL nor the remote body. */
  error?: string;
  /** The start of the remote body, for admins only (bounded, printable). */
  excerpt?: string;
  /** From a 429's Retry-After (seconds or an HTTP date). */
  retryAfterMs?: number;
  /** True when the SSRF guard refused the URL: nothing was sent. */
  refused?: boolean;
}

export const EXCERPT_CHARS = 200;
/** Bytes of a remote body read at most: enough for an excerpt, never a whole internal page in memory. */
const READ_BYTES = 4096;

export function parseRetryAfter(value: string | undefined | null, now = Date.now()): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** A remote body as it may be shown to an admin or logged: bounded, one line, no control characters. */
export function excerptOf(body: string): string {
  const flat = body.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]+/gu, ' ').trim();
  return flat.length > EXCERPT_CHARS ? `${flat.slice(0, EXCERPT_CHARS)}…` : flat;
}

export async function postJson(
  rawUrl: string, body: string, headers: Record<string, string>,
  opts: { timeoutMs: number; policy: WebhookPolicy },
): Promise<PostResult> {
  const deadline = AbortSignal.timeout(opts.timeoutMs);
  let target;
  try {
    target = await resolveTarget(rawUrl, opts.policy);
  } catch (err) {
    if (err instanceof WebhookRefused) return { ok: false, refused: true, error: `refused: ${err.message}` };
    throw err;
  }
  const { url } = target;
  const hostname = url.hostname.replace(/^\[|\]$/g, '');
  const secure = url.protocol === 'https:';
  return new Promise<PostResult>((resolve) => {
    let settled = false;
    const done = (r: PostResult) => { if (!settled) { settled = true; resolve(r); } };
    const req = (secure ? https : http).request({
      method: 'POST', hostname, port: url.port || undefined, path: `${url.pathname}${url.search}`,
      headers: { 'content-type': 'application/json', 'user-agent': 'FlagMeter-Webhooks', ...headers, 'content-length': Buffer.byteLength(body) },
      lookup: pinnedLookup(target),
      // a fresh connection per request: a pooled one may have been made for another address
      agent: false,
      signal: deadline,
      // TLS: SNI and the certificate check use `hostname` (node's default), while the socket goes to the checked address
    }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      const finish = () => {
        const status = res.statusCode ?? 0;
        const excerpt = excerptOf(Buffer.concat(chunks).toString('utf8'));
        if (status >= 200 && status < 300) return done({ ok: true, status });
        done({
          ok: false, status, error: `HTTP ${status}`, ...(excerpt ? { excerpt } : {}),
          ...(status === 429 ? { retryAfterMs: parseRetryAfter(res.headers['retry-after']) } : {}),
        });
      };
      res.on('data', (c: Buffer) => {
        if (size < READ_BYTES) chunks.push(c.subarray(0, READ_BYTES - size));
        size += c.length;
        // enough read: the rest of a large answer is not wanted
        if (size >= READ_BYTES) { finish(); res.destroy(); }
      });
      res.on('end', finish);
      res.on('error', finish);
    });
    req.on('error', (err: Error) => {
      const timedOut = deadline.aborted;
      done({ ok: false, error: timedOut ? `no answer within ${opts.timeoutMs} ms` : err.message });
    });
    req.end(body);
  });
}
