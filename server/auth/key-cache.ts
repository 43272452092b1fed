// Key lookups without a query per request. An entry (found or not) is trusted for ttlMs: that is
// how long a revocation takes to reach every replica.
import type { Pool } from '../db/pool.ts';
import { findKey, type KeyRecord } from '../db/keys.ts';

interface Entry { record: KeyRecord | undefined; at: number }

const MAX_ENTRIES = 10_000;

export class KeyCache {
  private entries = new Map<string, Entry>();
  private readonly pool: Pool;
  private readonly ttlMs: number;

  constructor(pool: Pool, ttlMs: number) {
    this.pool = pool;
    this.ttlMs = ttlMs;
  }

  async get(keyId: string): Promise<KeyRecord | undefined> {
    const hit = this.entries.get(keyId);
    if (hit && Date.now() - hit.at < this.ttlMs) return hit.record;
    const record = await findKey(this.pool, keyId);
    // bounded: random key ids sent by a scanner must not grow memory without end
    if (this.entries.size >= MAX_ENTRIES) this.entries.clear();
    this.entries.set(keyId, { record, at: Date.now() });
    return record;
  }

  /** This replica forgets a key at once (revocation); others within ttlMs. */
  forget(keyId: string): void {
    this.entries.delete(keyId);
  }
}
