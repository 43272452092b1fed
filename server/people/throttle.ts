// Sign-in throttling, per account name and per client address, in the same token buckets as the
// per-tenant rate limits (Valkey when configured, so replicas share them). Each bucket holds N
// attempts and refills over LOGIN_WINDOW_SECONDS. Every attempt pays, before the password is checked.
import type { Request } from 'express';
import type { Config } from '../config.ts';
import { AppError } from '../core/errors.ts';
import type { Charge, RateLimiter } from '../ratelimit.ts';

type ThrottleConfig = Pick<Config, 'LOGIN_MAX_PER_ACCOUNT' | 'LOGIN_MAX_PER_ADDRESS' | 'LOGIN_WINDOW_SECONDS'>;

const bucket = (key: string, max: number, windowSeconds: number): Charge =>
  ({ key, cost: 1, limit: { burst: max, perSecond: max / windowSeconds } });

export async function throttleSignIn(limiter: RateLimiter, config: ThrottleConfig, req: Request, account?: string): Promise<void> {
  const charges = [bucket(`login:address:${req.ip ?? 'unknown'}`, config.LOGIN_MAX_PER_ADDRESS, config.LOGIN_WINDOW_SECONDS)];
  if (account !== undefined) charges.push(bucket(`login:account:${account}`, config.LOGIN_MAX_PER_ACCOUNT, config.LOGIN_WINDOW_SECONDS));
  const decision = await limiter.take(charges);
  if (!decision.allowed) {
    const seconds = Number.isFinite(decision.retryAfterSeconds) ? Math.max(1, decision.retryAfterSeconds) : config.LOGIN_WINDOW_SECONDS;
    throw new AppError(429, 'too_many_attempts', `Too many sign-in attempts; try again in ${seconds} s.`, { headers: { 'Retry-After': String(seconds) } });
  }
}
