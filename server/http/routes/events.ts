// POST /api/events: one event or a batch, answered after the batch holding it has committed.
import { batchBuffered, batchStored, eventBuffered, eventStored } from '../../ingest/schemas.ts';
import { send } from '../responses.ts';
import { Router, type Response } from 'express';
import { AppError } from '../../core/errors.ts';
import { jsonBody } from '../json-body.ts';
import { requireScope, type Caller } from '../../auth/middleware.ts';
import { validateEvents } from '../../ingest/validate.ts';
import type { EventRow } from '../../db/events.ts';
import { tenantLimit, type RateLimiter } from '../../ratelimit.ts';
import type { TenantRef } from '../../db/tenants.ts';
import type { AppDeps } from '../../deps.ts';

/** A tenant-bound key may only send its own tenant's events: 403 naming each foreign one. */
function assertOwnTenant(caller: Caller | undefined, body: unknown): void {
  const own = caller?.tenant;
  if (!own) return;
  const items = Array.isArray(body) ? body : [body];
  const foreign = items.flatMap((e, index) => {
    const tenant = (e as { tenant?: unknown } | null)?.tenant;
    return typeof tenant === 'string' && tenant !== own
      ? [{ ...(Array.isArray(body) ? { index } : {}), field: 'tenant', message: `'${tenant}' is not this key's tenant ('${own}')` }]
      : [];
  });
  if (foreign.length > 0) {
    throw new AppError(403, 'forbidden_tenant', `This key may only send events for '${own}'; nothing was stored.`, { details: foreign });
  }
}

/**
 * A tenant-bound key whose tenant was deleted may still be cached for a moment on a replica the
 * invalidation has not reached (no Valkey): its slug may already name a new tenant. The ids differ,
 * so such a key never writes into the new tenant.
 */
function assertSameTenantId(caller: Caller | undefined, rows: EventRow[]): void {
  const own = caller?.tenantId;
  if (own === undefined || own === null) return;
  if (rows.some((r) => r.tenantId !== own)) {
    throw new AppError(401, 'unauthorized', 'The API key is not valid: its tenant was deleted.', { headers: { 'WWW-Authenticate': 'Bearer realm="flagmeter"' } });
  }
}

/** Charges each tenant of the request its number of events; 429 when any cannot pay. */
async function enforceRateLimit(limiter: RateLimiter, defaults: { perSecond: number; burst: number }, rows: EventRow[], tenants: Map<number, TenantRef>, res: Response): Promise<void> {
  const counts = new Map<number, number>();
  for (const r of rows) counts.set(r.tenantId, (counts.get(r.tenantId) ?? 0) + 1);
  const decision = await limiter.take([...counts].map(([tenantId, cost]) => {
    const t = tenants.get(tenantId)!;
    return { key: String(tenantId), cost, limit: tenantLimit(t, defaults) };
  }));
  res.set({ 'RateLimit-Limit': String(decision.limit), 'RateLimit-Remaining': String(decision.remaining), 'RateLimit-Reset': String(decision.resetSeconds) });
  if (decision.allowed) return;
  if (!Number.isFinite(decision.retryAfterSeconds)) {
    throw new AppError(400, 'batch_exceeds_burst', `This batch holds more events for one tenant than its rate limit allows at once (${decision.limit}): split it.`);
  }
  throw new AppError(429, 'rate_limited', `Rate limit reached; retry in ${decision.retryAfterSeconds} s. Nothing of this request was stored.`,
    { headers: { 'Retry-After': String(decision.retryAfterSeconds) } });
}

export function eventsRouter({ config, tenants, writer, limiter }: AppDeps): Router {
  const router = Router();
  const defaults = { perSecond: config.RATE_LIMIT_PER_SECOND, burst: config.RATE_LIMIT_BURST };

  router.post('/events', requireScope('ingest'), ...jsonBody(config.BODY_LIMIT_BYTES), async (req, res) => {
    assertOwnTenant(req.caller, req.body);
    const { rows, single, tenantsById } = await validateEvents(req.body, {
      maxEvents: config.EVENTS_MAX_PER_REQUEST,
      maxFutureMs: config.EVENT_MAX_FUTURE_SECONDS * 1000,
      tenants,
    });
    assertSameTenantId(req.caller, rows);
    await enforceRateLimit(limiter, defaults, rows, tenantsById, res);
    const result = await writer.write(rows);
    if (result.buffered) {
      // accepted and durable in Valkey, counted once the drainer has moved it (duplicates are found then)
      if (single) send(res, 202, eventBuffered, { success: true, eventId: result.eventIds[0]!, buffered: true });
      else send(res, 202, batchBuffered, { success: true, accepted: rows.length, buffered: true });
      return;
    }
    if (single) {
      const duplicate = result.duplicates[0]!;
      send(res, duplicate ? 200 : 201, eventStored, { success: true, eventId: result.eventIds[0]!, duplicate });
      return;
    }
    const duplicates = result.duplicates.reduce((n, d) => n + (d ? 1 : 0), 0);
    send(res, 201, batchStored, { success: true, accepted: rows.length - duplicates, duplicates });
  });
  return router;
}
