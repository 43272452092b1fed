// Pre-encoded requests, built once so the hot loop only picks a buffer: the client's CPU is shared
// with the server under test. Tokens vary per event so a lost or doubled event changes the totals.
import { randomBytes } from 'node:crypto';
import { encodeRequest } from './http-client.ts';
import type { Shot } from './ledger.ts';
import { mulberry32 } from './prng.ts';

const features = ['gpt-4o', 'gpt-4o-mini', 'claude-sonnet', 'text-embedding-3'];


function event(rand: () => number, tenants: string[]) {
  return {
    tenant: tenants[Math.floor(rand() * tenants.length)]!,
    feature: features[Math.floor(rand() * features.length)]!,
    tokens: 1 + Math.floor(rand() * 1000),
    user: `user-${Math.floor(rand() * 100)}`,
  };
}

export function singleEvents(tenants: string[], apiKey: string, count = 4096): Shot[] {
  const rand = mulberry32(1);
  return Array.from({ length: count }, () => {
    const e = event(rand, tenants);
    return { request: encodeRequest('POST', '/api/events', JSON.stringify(e), apiKey), kind: 'post', events: 1, tokens: e.tokens };
  });
}

export function batches(tenants: string[], apiKey: string, size: number, count = 16): Shot[] {
  const rand = mulberry32(size);
  return Array.from({ length: count }, () => {
    const events = Array.from({ length: size }, () => event(rand, tenants));
    const tokens = events.reduce((n, e) => n + e.tokens, 0);
    return { request: encodeRequest('POST', '/api/events', JSON.stringify(events), apiKey), kind: `batch${size}`, events: size, tokens };
  });
}

export function usageReads(tenants: string[], apiKey: string): Shot[] {
  return tenants.map((t) => ({ request: encodeRequest('GET', `/api/usage/${encodeURIComponent(t)}`, undefined, apiKey), kind: 'get', events: 0, tokens: 0 }));
}

/** The seed's 80/20 mix: four event posts, then one usage read. */
export function mix(posts: Shot[], reads: Shot[]): (i: number) => Shot {
  return (i) => (i % 5 === 4 ? reads[Math.floor(i / 5) % reads.length]! : posts[i % posts.length]!);
}

export const cycle = (shots: Shot[]) => (i: number) => shots[i % shots.length]!;

/** A global key in FlagMeter's format (fm_live_<12>_<32>); the server registers it from FLAGMETER_ADMIN_KEY. */
export function benchApiKey(): string {
  const id = Array.from(randomBytes(12), (b) => 'abcdefghijklmnopqrstuvwxyz0123456789'[b % 36]).join('');
  return `fm_live_${id}_${randomBytes(24).toString('base64url')}`;
}
