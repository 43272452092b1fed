// check / reserve / settle / release / guard over POST /api/check and DELETE /api/reservations/:id.
// A check is retried a few times with the same idempotency id (the server answers a retry with the
// same answer and the same reservation); when FlagMeter stays unreachable, failMode decides:
// 'closed' throws FlagMeterUnavailableError, 'open' answers allowed with reason 'unverified' — the
// same two choices as the server's ENTITLEMENT_FAIL_MODE when its database is away.
import { nextDelayMs, retryable, retryAfterMs, sleep } from './backoff.ts';
import { EntitlementDeniedError, FlagMeterError, FlagMeterHttpError, FlagMeterUnavailableError } from './errors.ts';
import type { Reply } from './http.ts';
import { errorOf } from './http.ts';
import { resultTokens } from './usage.ts';
import type { FlagMeter } from './client.ts';

export interface CheckAnswer {
  allowed: boolean;
  reason: 'ok' | 'quota_exhausted' | 'feature_limit_reached' | 'would_exceed' | 'unverified';
  tenant: string;
  feature: string | null;
  limitOn: 'quota' | 'feature' | null;
  limit: number | null;
  used: number | null;
  reserved: number | null;
  remaining: number | null;
  overage: number | null;
  hard: boolean | null;
  periodStart: string | null;
  periodEnd: string | null;
  asOf: string;
  reservation?: { id: string; tokens: number; expiresAt: string };
  replayed?: boolean;
}

export interface CheckOptions {
  feature?: string;
  /** idempotency key of the check (default: a random UUID, reused by the SDK's retries) */
  id?: string;
  /** per call, instead of the client's failMode */
  failMode?: 'open' | 'closed';
}

export interface ReserveOptions extends CheckOptions {
  /** how long the hold lasts, 1–3600 s (server default 300) */
  ttlSeconds?: number;
  /** the end user, put on the settling event */
  user?: string;
}

export interface GuardOptions<T> extends ReserveOptions {
  /** the real tokens from fn's result (default: the result's OpenAI/Anthropic `usage`, else the estimate) */
  usage?: (result: T) => number | undefined;
}

export interface Reservation {
  /** false: the check denied; answer.reason says why; settle/release do nothing */
  readonly allowed: boolean;
  readonly answer: CheckAnswer;
  /** the reservation's id; undefined when denied or unverified (nothing is held) */
  readonly id: string | undefined;
  /** counts the real tokens and ends the hold in one transaction (POST /api/events with the reservation) */
  settle(actualTokens: number, opts?: { user?: string; feature?: string }): Promise<void>;
  /** gives the held tokens back (DELETE /api/reservations/:id); true when released, false when already ended */
  release(): Promise<boolean>;
}

function unverified(tenant: string, feature: string | undefined): CheckAnswer {
  return {
    allowed: true, reason: 'unverified', tenant, feature: feature ?? null, limitOn: null, limit: null, used: null, reserved: null,
    remaining: null, overage: null, hard: null, periodStart: null, periodEnd: null, asOf: new Date().toISOString(),
  };
}

/** A request retried on network errors, 5xx and 429 (Retry-After honoured) up to `retries` times; the last reply or error. */
async function withRetries(fm: FlagMeter, retries: number, send: () => Promise<Reply>): Promise<Reply> {
  for (let attempt = 0; ; attempt++) {
    let reply: Reply | undefined;
    let error: unknown;
    try {
      reply = await send();
      if (!retryable(reply.status)) return reply;
    } catch (err) {
      error = err;
    }
    if (attempt >= retries) {
      if (reply) return reply;
      throw error;
    }
    const after = reply ? retryAfterMs(reply.headers.get('retry-after')) : undefined;
    await sleep(nextDelayMs(attempt, after, fm.options.retry as Required<typeof fm.options.retry>));
  }
}

async function postCheck(fm: FlagMeter, body: Record<string, unknown>, failMode: 'open' | 'closed'): Promise<CheckAnswer> {
  let reply: Reply;
  try {
    reply = await withRetries(fm, fm.options.checkRetries, () => fm.http.request('POST', '/api/check', body));
  } catch (err) {
    if (failMode === 'open') return unverified(String(body.tenant), body.feature as string | undefined);
    throw err;
  }
  if (reply.status === 200) return reply.body as CheckAnswer;
  const { code, message } = errorOf(reply);
  if (retryable(reply.status)) {
    if (failMode === 'open') return unverified(String(body.tenant), body.feature as string | undefined);
    throw new FlagMeterUnavailableError(`FlagMeter's check answered ${reply.status}: ${message}`);
  }
  throw new FlagMeterHttpError(reply.status, code, `FlagMeter refused the check (${reply.status} ${code ?? ''}): ${message}`, reply.body);
}

export function check(fm: FlagMeter, tenant: string, tokens: number | undefined, opts: CheckOptions): Promise<CheckAnswer> {
  const body: Record<string, unknown> = { tenant, id: opts.id ?? crypto.randomUUID() };
  if (opts.feature !== undefined) body.feature = opts.feature;
  if (tokens !== undefined) body.tokens = tokens;
  return postCheck(fm, body, opts.failMode ?? fm.options.failMode);
}

export async function reserve(fm: FlagMeter, tenant: string, tokens: number, opts: ReserveOptions): Promise<Reservation> {
  const checkId = opts.id ?? crypto.randomUUID();
  const body: Record<string, unknown> = { tenant, tokens, reserve: true, id: checkId };
  if (opts.feature !== undefined) body.feature = opts.feature;
  if (opts.ttlSeconds !== undefined) body.reservationTtlSeconds = opts.ttlSeconds;
  const answer = await postCheck(fm, body, opts.failMode ?? fm.options.failMode);
  const id = answer.reservation?.id;
  let ended = !answer.allowed;
  return {
    allowed: answer.allowed, answer, id,
    async settle(actualTokens, settleOpts = {}) {
      if (ended) throw new FlagMeterError(answer.allowed ? 'FlagMeter: this reservation was already settled or released' : 'FlagMeter: a denied check has nothing to settle');
      const feature = opts.feature ?? settleOpts.feature;
      if (!feature) throw new TypeError('FlagMeter: settle() needs a feature (reserve(..., {feature}) or settle(n, {feature}))');
      if (!Number.isInteger(actualTokens) || actualTokens <= 0) throw new TypeError('FlagMeter: settle() needs a positive integer of tokens (release() when nothing was spent)');
      ended = true;
      // the check's id on the event too: a retried settlement is a duplicate, not a second count
      await settleEvent(fm, { tenant, feature, tokens: actualTokens, id: checkId, user: settleOpts.user ?? opts.user, reservation: id });
    },
    async release() {
      if (ended || !id) return false;
      ended = true;
      try {
        const reply = await withRetries(fm, fm.options.checkRetries, () => fm.http.request('DELETE', `/api/reservations/${encodeURIComponent(id)}`));
        if (reply.status === 200) return true;
        if (reply.status === 409 || reply.status === 404) return false;
        fm.report(new FlagMeterHttpError(reply.status, errorOf(reply).code, `FlagMeter could not release reservation ${id}: ${errorOf(reply).message} (it expires by itself)`));
      } catch (err) {
        fm.report(new FlagMeterUnavailableError(`FlagMeter could not release reservation ${id} (it expires by itself): ${(err as Error).message}`, err));
      }
      return false;
    },
  };
}

/**
 * Posts the settling event at once (retried like a check). When FlagMeter stays unreachable the
 * event goes to the background queue instead, with the same id: it is counted once when delivered,
 * though the hold may expire first.
 */
async function settleEvent(fm: FlagMeter, event: Record<string, unknown>): Promise<void> {
  const e = Object.fromEntries(Object.entries(event).filter(([, v]) => v !== undefined));
  e.timestamp = new Date().toISOString();
  try {
    const reply = await withRetries(fm, fm.options.checkRetries, () => fm.http.request('POST', '/api/events', e));
    if (reply.status >= 200 && reply.status < 300) return;
    if (!retryable(reply.status)) {
      const { code, message } = errorOf(reply);
      throw new FlagMeterHttpError(reply.status, code, `FlagMeter refused the settlement (${reply.status} ${code ?? ''}): ${message}`, reply.body);
    }
  } catch (err) {
    if (err instanceof FlagMeterHttpError) throw err;
  }
  await fm.track(e as never);
}

export async function guard<T>(fm: FlagMeter, tenant: string, estimate: number, fn: (r: Reservation) => Promise<T> | T, opts: GuardOptions<T>): Promise<T> {
  const r = await reserve(fm, tenant, estimate, opts);
  if (!r.allowed) throw new EntitlementDeniedError(r.answer);
  let result: T;
  try {
    result = await fn(r);
  } catch (err) {
    await r.release();
    throw err;
  }
  const actual = (opts.usage ? opts.usage(result) : resultTokens(result)) ?? estimate;
  const model = (result as { model?: unknown } | null)?.model;
  if (actual > 0) await r.settle(actual, { feature: opts.feature ?? (typeof model === 'string' ? model : undefined) });
  else await r.release();
  return result;
}
