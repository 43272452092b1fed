// Key lookups without a query per request. An entry (found or not) is trusted for ttlMs: that is
// how long a revocation takes to reach every replica when no Valkey carries it (cache/invalidation.ts).
import type { Pool } from '../db/pool.ts';
import { findKey, type KeyRecord } from '../db/keys.ts';

interface Entry { record: KeyRecord | undefined; at: number }

const MAX_ENTRIES = 10_000;

export class KeyCache {
  private entries = new Map<string, Entry>();
  private readonly pool: Pool;
  private readonly ttlMs: number;
  // bumped by forget/clear: a lookup that started before a revocation must not store what it read
  private generation = 0;

  constructor(pool: Pool, ttlMs: number) {
    this.pool = pool;
    this.ttlMs = ttlMs;
  }

  async get(keyId: string): Promise<KeyRecord | undefined> {
    const hit = this.entries.get(keyId);
    if (hit && Date.now() - hit.at < this.ttlMs) return hit.record;
    const generation = this.generation;
    const record = await findKey(this.pool, keyId);
    if (generation !== this.generation) return record;
    // bounded: random key ids sent by a scanner must not grow memory without end
    if (this.entries.size >= MAX_ENTRIES) this.entries.clear();
    this.entries.set(keyId, { record, at: Date.now() });
    return record;
  }

  /** This replica forgets a key at once (revocation); others when the invalidation reaches them, else within ttlMs. */
  forget(keyId: string): void {
    this.generation++;
    this.entries.delete(keyId);
  }

  /** Forget every key bound to this tenant (it was deleted, and its keys with it), here at once. */
  forgetTenant(tenantId: number): void {
    this.generation++;
    for (const [keyId, entry] of this.entries) if (entry.record?.tenantId === tenantId) this.entries.delete(keyId);
  }

  /** Forget every key (revocations may have been missed while Valkey was away). */
  clear(): void {
    this.generation++;
    this.entries.clear();
  }
}
