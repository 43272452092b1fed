// Sign-in throttling, in the same token buckets as the per-tenant rate limits (Valkey when
// configured, so replicas share them). The policy (docs/security.md): what is counted is failures,
// per client address (LOGIN_MAX_PER_ADDRESS, any account: slows spraying) and per account *from
// that address* (LOGIN_MAX_PER_ACCOUNT: slows guessing one password). Each bucket refills over
// LOGIN_WINDOW_SECONDS. An attempt pays before the password is checked (so parallel guesses cannot
// outrun the bucket) and is given back when it succeeds: a correct password is never counted, and
// guesses from elsewhere never lock the owner out of a clean address.
import type { Request } from 'express';
import type { Config } from '../config.ts';
import { AppError } from '../core/errors.ts';
import { refund, type Charge, type RateLimiter } from '../ratelimit.ts';

type ThrottleConfig = Pick<Config, 'LOGIN_MAX_PER_ACCOUNT' | 'LOGIN_MAX_PER_ADDRESS' | 'LOGIN_WINDOW_SECONDS'>;

const bucket = (key: string, max: number, windowSeconds: number): Charge =>
  ({ key, cost: 1, limit: { burst: max, perSecond: max / windowSeconds } });

/** An attempt that has paid; `succeeded()` gives its charge back. */
export interface Attempt { succeeded(): Promise<void> }

/** 429 (Retry-After) when this address, or this account from this address, has failed too often. */
export async function throttleSignIn(limiter: RateLimiter, config: ThrottleConfig, req: Request, account?: string): Promise<Attempt> {
  const address = req.ip ?? 'unknown';
  const charges = [bucket(`login:address:${address}`, config.LOGIN_MAX_PER_ADDRESS, config.LOGIN_WINDOW_SECONDS)];
  // encoded: a name may hold ':'; the address part keeps one account's buckets apart per address
  if (account !== undefined) charges.push(bucket(`login:account:${encodeURIComponent(account)}:${address}`, config.LOGIN_MAX_PER_ACCOUNT, config.LOGIN_WINDOW_SECONDS));
  const decision = await limiter.take(charges);
  if (!decision.allowed) {
    const seconds = Number.isFinite(decision.retryAfterSeconds) ? Math.max(1, decision.retryAfterSeconds) : config.LOGIN_WINDOW_SECONDS;
    throw new AppError(429, 'too_many_attempts', `Too many failed sign-in attempts from this address; try again in ${seconds} s.`, { headers: { 'Retry-After': String(seconds) } });
  }
  return { succeeded: async () => { await refund(limiter, charges); } };
}
