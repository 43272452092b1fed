// A check's answer as the caller gets it: the database's, or — with ENTITLEMENT_FAIL_MODE=open and
// the database away — an "unverified" yes that holds nothing, so the backend can go ahead.
import { AppError } from '../core/errors.ts';
import type { Config } from '../config.ts';
import { isDatabaseUnavailable } from '../db/errors.ts';
import { toCheckResult, type CheckRequest } from '../db/entitlements.ts';
import type { CheckBatcher } from './check-batcher.ts';
import type { CheckAnswer } from './schemas.ts';

/** The fail-open answer: allowed, nothing verified and nothing held. */
function unverified(req: CheckRequest): CheckAnswer {
  return {
    allowed: true, reason: 'unverified', tenant: req.tenant, feature: req.feature ?? null, limitOn: null,
    limit: null, used: null, reserved: null, remaining: null, overage: null, hard: null,
    periodStart: null, periodEnd: null, asOf: new Date().toISOString(),
  };
}

/** Answers one check; a database that is away fails open or (the error handler's 503) closed. */
export async function decide(checks: CheckBatcher, req: CheckRequest, failMode: Config['ENTITLEMENT_FAIL_MODE']): Promise<CheckAnswer> {
  try {
    const result = toCheckResult<CheckAnswer>(await checks.check(req));
    if (result.kind === 'unknown_tenant') throw new AppError(404, 'unknown_tenant', `No tenant '${req.tenant}'.`);
    if (result.kind === 'check_id_reused') {
      throw new AppError(409, 'check_id_reused', `The check id '${req.id}' was already used for another request (feature, tokens, reserve or TTL differ); use a new id.`);
    }
    if (result.kind === 'check_id_taken') {
      // nothing of the other caller's answer: its reservation id would let this caller release or settle it
      throw new AppError(409, 'check_id_taken', `The check id '${req.id}' is another key's (or person's) for this tenant; use an id of your own.`);
    }
    return result.answer;
  } catch (err) {
    if (!(err instanceof AppError) && isDatabaseUnavailable(err as Error) && failMode === 'open') return unverified(req);
    throw err;
  }
}
