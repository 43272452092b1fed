// A route's rate limit: charge the buckets, show the RateLimit-* headers, 429 with Retry-After when
// a bucket cannot pay. The buckets are server/ratelimit.ts's (Valkey's when configured).
import type { Response } from 'express';
import { AppError } from '../core/errors.ts';
import type { Charge, RateLimiter } from '../ratelimit.ts';

export async function enforceLimit(limiter: RateLimiter, charges: Charge[], res: Response): Promise<void> {
  const decision = await limiter.take(charges);
  res.set({ 'RateLimit-Limit': String(decision.limit), 'RateLimit-Remaining': String(decision.remaining), 'RateLimit-Reset': String(decision.resetSeconds) });
  if (!decision.allowed) {
    throw new AppError(429, 'rate_limited', `Rate limit reached; retry in ${decision.retryAfterSeconds} s.`, { headers: { 'Retry-After': String(decision.retryAfterSeconds) } });
  }
}
