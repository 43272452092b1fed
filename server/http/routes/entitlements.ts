// POST /api/check ("may this tenant spend now?") and DELETE /api/reservations/:id. Exact: the
// answer is computed by PostgreSQL from the daily rollups and the open holds, no cache.
import { Router, type Response } from 'express';
import { z } from 'zod';
import { AppError } from '../../core/errors.ts';
import { jsonBody, parseWith } from '../json-body.ts';
import { pathParam } from '../path-params.ts';
import { assertTenantAllowed, callerId, requireScope } from '../../auth/middleware.ts';
import { isDatabaseUnavailable } from '../../db/errors.ts';
import { tenantLimit } from '../../ratelimit.ts';
import { enforceLimit } from '../rate-limit.ts';
import { releaseReservation } from '../../db/entitlements.ts';
import { decide } from '../../entitlements/decide.ts';
import { checkAnswer, checkBody, RESERVATION_TTL_DEFAULT_SECONDS, reservationView } from '../../entitlements/schemas.ts';
import type { RouteDoc } from '../route-doc.ts';
import type { AppDeps } from '../../deps.ts';
import { send } from '../responses.ts';

/**
 * The check scope (ingest implies it: the backend that will post the event). Not evaluate: that key
 * may sit in a browser, and a check can hold a tenant's whole hard quota.
 */
const mayCheck = requireScope('check');

const reservationId = z.uuid({ message: 'a reservation id (a UUID)' });

export function entitlementsRouter({ config, pool, entitlementMetrics, checks, tenants, limiter }: AppDeps): Router {
  const router = Router();
  const defaults = { perSecond: config.RATE_LIMIT_PER_SECOND, burst: config.RATE_LIMIT_BURST };

  /** One check costs one token of the tenant's check bucket (its own rate limit, or the defaults). */
  async function limitCheck(slug: string, res: Response): Promise<void> {
    const ref = await tenants.resolve([slug]).then((m) => m.get(slug), (err: Error) => {
      // the database away: the fail mode answers (ENTITLEMENT_FAIL_MODE), not the limiter
      if (isDatabaseUnavailable(err)) return undefined;
      throw err;
    });
    // an unknown tenant is answered 404 by the check itself
    if (ref) await enforceLimit(limiter, [{ key: `check:${ref.id}`, cost: 1, limit: tenantLimit(ref, defaults) }], res);
  }

  router.post('/check', mayCheck, ...jsonBody(config.BODY_LIMIT_BYTES), async (req, res) => {
    const input = parseWith(checkBody, req.body, 'The check');
    assertTenantAllowed(req.caller, input.tenant);
    await limitCheck(input.tenant, res);
    const answer = await decide(checks, {
      tenant: input.tenant, feature: input.feature, tokens: input.tokens, reserve: input.reserve,
      ttlSeconds: input.reservationTtlSeconds ?? RESERVATION_TTL_DEFAULT_SECONDS, id: input.id, caller: callerId(req.caller),
    }, config.ENTITLEMENT_FAIL_MODE);
    entitlementMetrics?.checks.inc({ reason: answer.reason });
    send(res, 200, checkAnswer, answer);
  });

  router.delete('/reservations/:id', mayCheck, async (req, res) => {
    const id = pathParam(req, 'id', reservationId);
    const result = await releaseReservation(pool, id.toLowerCase(), req.caller?.tenant ?? null);
    if (result.kind === 'not_found') throw new AppError(404, 'reservation_not_found', `No reservation '${id}'.`);
    if (result.kind === 'ended') {
      throw new AppError(409, `reservation_${result.reservation.status}`, `The reservation is already ${result.reservation.status}; nothing to release.`);
    }
    const body = result.reservation as z.infer<typeof reservationView>;
    send(res, 200, reservationView, body);
  });
  return router;
}

export const entitlementRouteDocs: RouteDoc[] = [
  { method: 'post', path: '/api/check', summary: 'May this tenant spend N tokens (on this feature) now? Exact (every acknowledged event, open holds), no cache; with reserve: true, holds the tokens atomically if they fit. Scope check (ingest implies it; evaluate does not). Rate limited per tenant like events.', scope: 'check',
    body: checkBody,
    responses: {
      200: { description: 'The answer: allowed and why, with the deciding limit\'s figures (and the reservation). With ENTITLEMENT_FAIL_MODE=open and the database away: allowed, reason unverified, figures null.', schema: checkAnswer },
      400: 'Invalid check (tokens not a positive integer, reserve without tokens, TTL out of range, unknown fields)',
      403: 'The key lacks the check scope, or is bound to another tenant',
      404: 'Unknown tenant',
      409: 'The check id was used for another request (check_id_reused), or by another key or person (check_id_taken: its answer and reservation are never shown)',
      413: 'Body too large', 415: 'Not JSON', 429: 'Rate limit (Retry-After)',
      503: 'The database is away and ENTITLEMENT_FAIL_MODE=closed (Retry-After)',
    } },
  { method: 'delete', path: '/api/reservations/{id}', summary: 'Release an open reservation (e.g. the model call failed). Scope check (ingest implies it); a tenant-bound key only its tenant\'s.', scope: 'check',
    responses: {
      200: { description: 'The released reservation', schema: reservationView },
      400: 'Not a UUID', 404: 'Unknown reservation (or another tenant\'s, for a tenant-bound key)',
      409: 'Already settled, released or expired', 503: 'Database unavailable (Retry-After)',
    } },
];
