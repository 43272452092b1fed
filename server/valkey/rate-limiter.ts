// The per-tenant token buckets in Valkey, so every replica draws from the same bucket. One Lua
// script checks every bucket a request touches and charges them only if all can pay, with Valkey's
// clock (replicas' clocks may disagree). If Valkey fails, the process's own buckets decide: a rate
// limiter must never turn into an outage.
import { decide, type Charge, type Decision, type RateLimiter } from '../ratelimit.ts';
import type { Valkey } from './connection.ts';
import { isReady } from './connection.ts';

// KEYS: one bucket per charge. ARGV: per charge cost, perSecond, burst. Returns per bucket the tokens
// it holds (before charging) in thousandths, then 1 when charged, 0 when refused.
const TAKE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local levels, ok = {}, 1
for i, key in ipairs(KEYS) do
  local cost, rate, burst = tonumber(ARGV[i * 3 - 2]), tonumber(ARGV[i * 3 - 1]), tonumber(ARGV[i * 3])
  local b = redis.call('HMGET', key, 'tokens', 'at')
  local tokens = burst
  if b[1] then tokens = math.min(burst, tonumber(b[1]) + (now - tonumber(b[2])) / 1000 * rate) end
  levels[i] = tokens
  if tokens < cost then ok = 0 end
end
if ok == 1 then
  for i, key in ipairs(KEYS) do
    local cost, rate, burst = tonumber(ARGV[i * 3 - 2]), tonumber(ARGV[i * 3 - 1]), tonumber(ARGV[i * 3])
    redis.call('HSET', key, 'tokens', math.min(burst, levels[i] - cost), 'at', now)
    redis.call('PEXPIRE', key, math.ceil(burst / rate * 1000) + 1000)
  end
end
local out = {}
for i = 1, #levels do out[i] = math.floor(levels[i] * 1000) end
out[#levels + 1] = ok
return out`;

export class ValkeyRateLimiter implements RateLimiter {
  private readonly client: Valkey;
  private readonly fallback: RateLimiter;

  constructor(client: Valkey, fallback: RateLimiter) {
    this.client = client;
    this.fallback = fallback;
  }

  async take(charges: Charge[]): Promise<Decision> {
    if (!isReady(this.client)) return this.fallback.take(charges);
    let result: number[];
    try {
      result = await this.client.eval(TAKE, charges.length, ...charges.map((c) => `ratelimit:${c.key}`),
        ...charges.flatMap((c) => [c.cost, c.limit.perSecond, c.limit.burst])) as number[];
    } catch {
      return this.fallback.take(charges);
    }
    const allowed = result[charges.length] === 1;
    const levels = charges.map((c, i) => ({ c, tokens: result[i]! / 1000 }));
    return decide(levels, allowed);
  }
}
