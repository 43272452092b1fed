// Usage reads without a query per request: the body of GET /api/usage/:tenant and the list behind
// GET /api/tenants, as JSON text, kept for ttlMs in Valkey (shared by the replicas) or, without
// Valkey, in this process. Usage changes with every event, so the TTL is what bounds staleness;
// tenant changes (admin API) drop the entries at once. A Valkey failure is never the client's
// problem: the value is loaded from PostgreSQL as if there were no cache.
import { listUsage } from '../db/tenants.ts';
import { usageBody } from '../db/usage.ts';
import type { Pool } from '../db/pool.ts';
import type { Logger } from '../log.ts';
import { memoryStore, valkeyStore, type CacheStore } from './store.ts';
import type { Valkey } from '../valkey/connection.ts';

export interface UsageCacheOptions {
  pool: Pool;
  /** 0 turns caching off: every read goes to PostgreSQL. */
  ttlMs: number;
  valkey?: Valkey;
  /** With Valkey: how long each process keeps what it read, in front of Valkey (0 = ask Valkey every time). */
  localMs?: number;
  log: Logger;
}

export interface UsageCacheStats {
  /** Reads answered from this process's memory (the layer in front of Valkey, or the whole cache without Valkey). */
  memoryHits: number;
  /** Reads answered by Valkey. */
  valkeyHits: number;
  /** Reads answered by PostgreSQL (not cached, expired, or the store unreachable). */
  loads: number;
  /** Of those, reads that skipped Valkey because it was down or had just failed. */
  fallbacks: number;
  /** Failed or timed-out Valkey commands. */
  storeErrors: number;
}

const usageKey = (slug: string) => `cache:usage:${slug}`;
const TENANTS_KEY = 'cache:tenants';
// After a failure, Valkey is left alone this long: a hung server must not add its command timeout to every read.
const BACKOFF_MS = 1000;

export class UsageCache {
  readonly shared: boolean;
  private readonly store: CacheStore;
  /** The in-process layer in front of a shared store (none when the store is already in-process). */
  private readonly local: CacheStore | undefined;
  private readonly localMs: number;
  private readonly pool: Pool;
  private readonly ttlMs: number;
  private readonly log: Logger;
  private readonly inflight = new Map<string, Promise<string | undefined>>();
  // bumped by every drop: a load that started before a tenant changed must not store its old answer
  private epoch = 0;
  private failing = false;
  private skipUntil = 0;
  private readonly counts: UsageCacheStats = { memoryHits: 0, valkeyHits: 0, loads: 0, fallbacks: 0, storeErrors: 0 };

  constructor(opts: UsageCacheOptions) {
    this.store = opts.valkey ? valkeyStore(opts.valkey) : memoryStore();
    this.shared = this.store.shared;
    // In front of Valkey, each process may keep what it read for localMs: a hot tenant then costs one
    // Valkey round trip per process per localMs instead of one per request. Invalidations clear it too.
    this.localMs = Math.min(opts.ttlMs, opts.localMs ?? 0);
    this.local = this.store.shared && this.localMs > 0 ? memoryStore() : undefined;
    this.pool = opts.pool;
    this.ttlMs = opts.ttlMs;
    this.log = opts.log;
  }

  /** One tenant's usage body (JSON), or undefined when there is no such tenant. */
  usage(slug: string): Promise<string | undefined> {
    return this.getOrLoad(usageKey(slug), () => usageBody(this.pool, slug));
  }

  /** Every tenant's usage row (a JSON array). */
  async tenants(): Promise<string> {
    return (await this.getOrLoad(TENANTS_KEY, async () => JSON.stringify(await listUsage(this.pool))))!;
  }

  /** A tenant changed: drop its entries here and in the shared store. Never throws. */
  async drop(slug: string): Promise<void> {
    const keys = this.dropLocal(slug);
    if (!this.store.shared || !this.usable()) return;
    await this.store.del(keys).then(() => this.storeOk(), (err: Error) => this.storeFailed(err));
  }

  /** Forget what this process holds about the tenant (another replica already cleared the shared store). */
  dropLocal(slug: string): string[] {
    const keys = [usageKey(slug), TENANTS_KEY];
    this.epoch++;
    for (const key of keys) this.inflight.delete(key);
    void (this.local ?? this.store).del(keys);
    return keys;
  }

  stats(): UsageCacheStats {
    return { ...this.counts };
  }

  private getOrLoad(key: string, load: () => Promise<string | undefined>): Promise<string | undefined> {
    if (this.ttlMs === 0) {
      this.counts.loads++;
      return load();
    }
    // concurrent misses for one key share one lookup and one query
    let pending = this.inflight.get(key);
    if (!pending) {
      pending = this.lookUp(key, load).finally(() => {
        if (this.inflight.get(key) === pending) this.inflight.delete(key);
      });
      this.inflight.set(key, pending);
    }
    return pending;
  }

  private async lookUp(key: string, load: () => Promise<string | undefined>): Promise<string | undefined> {
    const epoch = this.epoch;
    const near = await this.local?.get(key);
    if (near !== undefined) {
      this.counts.memoryHits++;
      return near;
    }
    let usable = this.usable();
    if (usable) {
      try {
        const cached = await this.store.get(key);
        this.storeOk();
        if (cached !== undefined) {
          if (this.store.shared) this.counts.valkeyHits++;
          else this.counts.memoryHits++;
          if (epoch === this.epoch) void this.local?.set(key, cached, this.localMs);
          return cached;
        }
      } catch (err) {
        this.storeFailed(err as Error);
        usable = false;
      }
    }
    this.counts.loads++;
    if (!usable) this.counts.fallbacks++;
    const value = await load();
    if (value !== undefined && usable && epoch === this.epoch) {
      void this.local?.set(key, value, this.localMs);
      // not awaited: the answer need not wait for the write
      this.store.set(key, value, this.ttlMs).then(() => this.storeOk(), (err: Error) => this.storeFailed(err));
    }
    return value;
  }

  private usable(): boolean {
    return this.store.available() && Date.now() >= this.skipUntil;
  }

  private storeOk(): void {
    if (!this.failing) return;
    this.failing = false;
    this.log.info('usage cache: Valkey answers again; reads are cached again');
  }

  private storeFailed(err: Error): void {
    this.counts.storeErrors++;
    this.skipUntil = Date.now() + BACKOFF_MS;
    if (this.failing) return;
    this.failing = true;
    this.log.warn({ err: err.message }, 'usage cache: Valkey failed; reading from PostgreSQL until it is back');
  }
}
