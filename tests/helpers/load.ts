// A small closed-loop load for failure tests: every event has a unique id, and every answer is
// recorded, so a test can check that each acknowledged event was counted exactly once.
import { randomBytes } from 'node:crypto';

export interface Sent { id: string; tokens: number; status: number | 'refused' | 'hung'; retryAfter: string | null }

export const ACKED = new Set([200, 201, 202]);

export async function runLoad(opts: { url: () => string; tenant: string; loops: number; durationMs: number; timeoutMs?: number }): Promise<Sent[]> {
  const sent: Sent[] = [];
  const run = randomBytes(3).toString('hex');
  const end = Date.now() + opts.durationMs;
  await Promise.all(Array.from({ length: opts.loops }, async (_, loop) => {
    for (let i = 0; Date.now() < end; i++) {
      const event = { tenant: opts.tenant, feature: 'load', tokens: 1 + ((loop * 7 + i) % 50), id: `${run}-${loop}-${i}` };
      const record: Sent = { id: event.id, tokens: event.tokens, status: 'refused', retryAfter: null };
      try {
        const res = await fetch(`${opts.url()}/api/events`, {
          method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(event),
          signal: AbortSignal.timeout(opts.timeoutMs ?? 15_000),
        });
        await res.arrayBuffer();
        record.status = res.status;
        record.retryAfter = res.headers.get('retry-after');
      } catch (err) {
        record.status = (err as Error).name === 'TimeoutError' ? 'hung' : 'refused';
        await new Promise((r) => setTimeout(r, 20));
      }
      sent.push(record);
    }
  }));
  return sent;
}
