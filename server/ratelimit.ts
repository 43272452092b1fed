// Per-tenant token buckets: `burst` events at once, refilled at `perSecond`. A request costs its
// number of events, for each tenant it touches; it passes only if every bucket it touches can pay,
// and then all of them pay (so a refused request costs nothing). A negative cost gives tokens back
// (never above the burst): sign-in charges an attempt first and gives it back when it succeeds.

export interface Limit { perSecond: number; burst: number }
export interface Charge { key: string; cost: number; limit: Limit }

/** A tenant's own limit where it has one (PATCH /api/tenants), else the installation's defaults. */
export const tenantLimit = (t: { rateLimitPerSecond: number | null; rateLimitBurst: number | null }, defaults: Limit): Limit =>
  ({ perSecond: t.rateLimitPerSecond ?? defaults.perSecond, burst: t.rateLimitBurst ?? defaults.burst });

export interface Decision {
  allowed: boolean;
  /** For the RateLimit-* headers: the most constrained bucket of the request. */
  limit: number;
  remaining: number;
  /** Seconds until that bucket is full again. */
  resetSeconds: number;
  /** When refused: seconds until the request could pass. */
  retryAfterSeconds: number;
}

export interface RateLimiter {
  take(charges: Charge[]): Promise<Decision>;
}

/** Gives back what `take` charged (capped at each bucket's burst). */
export function refund(limiter: RateLimiter, charges: Charge[]): Promise<Decision> {
  return limiter.take(charges.map((c) => ({ ...c, cost: -c.cost })));
}

interface Bucket { tokens: number; at: number }

const MAX_BUCKETS = 100_000;

export class LocalRateLimiter implements RateLimiter {
  private buckets = new Map<string, Bucket>();
  private readonly now: () => number;

  constructor(now: () => number = Date.now) {
    this.now = now;
  }

  async take(charges: Charge[]): Promise<Decision> {
    const now = this.now();
    const levels = charges.map((c) => {
      const b = this.buckets.get(c.key);
      const tokens = b ? Math.min(c.limit.burst, b.tokens + ((now - b.at) / 1000) * c.limit.perSecond) : c.limit.burst;
      return { c, tokens };
    });
    const allowed = levels.every(({ c, tokens }) => tokens >= c.cost);
    if (allowed) {
      if (this.buckets.size > MAX_BUCKETS) this.buckets.clear();
      for (const { c, tokens } of levels) this.buckets.set(c.key, { tokens: Math.min(c.limit.burst, tokens - c.cost), at: now });
    }
    return decide(levels, allowed);
  }
}

/** The answer for a request, from the levels of the buckets it touches measured before charging. */
export function decide(levels: { c: Charge; tokens: number }[], allowed: boolean): Decision {
  const refused = levels.filter(({ c, tokens }) => tokens < c.cost);
  const shown = (refused.length ? refused : levels).reduce((a, b) =>
    (b.tokens - b.c.cost) / b.c.limit.burst < (a.tokens - a.c.cost) / a.c.limit.burst ? b : a);
  const after = allowed ? shown.tokens - shown.c.cost : shown.tokens;
  return {
    allowed,
    limit: shown.c.limit.burst,
    remaining: Math.max(0, Math.floor(after)),
    resetSeconds: Math.ceil((shown.c.limit.burst - after) / shown.c.limit.perSecond),
    retryAfterSeconds: allowed ? 0
      : Math.max(...refused.map(({ c, tokens }) => (c.cost > c.limit.burst ? Infinity : Math.ceil((c.cost - tokens) / c.limit.perSecond)))),
  };
}
