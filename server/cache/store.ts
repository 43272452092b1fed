// Where the usage cache keeps its JSON: Valkey (shared by every replica) or this process's memory.
import { isReady, type Valkey } from '../valkey/connection.ts';

export interface CacheStore {
  /** True when the values are shared with other replicas (their deletes reach us). */
  readonly shared: boolean;
  /** False while the store is known to be unreachable: callers skip it instead of waiting for an error. */
  available(): boolean;
  get(key: string): Promise<string | undefined>;
  set(key: string, value: string, ttlMs: number): Promise<void>;
  del(keys: string[]): Promise<void>;
}

/** GET / SET PX / DEL; the client's keyPrefix adds the deployment's prefix. Errors reach the caller. */
export function valkeyStore(client: Valkey): CacheStore {
  return {
    shared: true,
    available: () => isReady(client),
    get: async (key) => (await client.get(key)) ?? undefined,
    set: async (key, value, ttlMs) => { await client.set(key, value, 'PX', ttlMs); },
    del: async (keys) => { if (keys.length) await client.del(...keys); },
  };
}

// Bounded: slugs are user input, and a scanner asking for many tenants must not grow memory.
const MAX_ENTRIES = 10_000;

export function memoryStore(maxEntries = MAX_ENTRIES): CacheStore {
  const entries = new Map<string, { value: string; expires: number }>();
  const evict = () => {
    const now = Date.now();
    for (const [key, e] of entries) if (e.expires <= now) entries.delete(key);
    // still full: drop the oldest writes (a Map iterates in insertion order)
    for (const key of entries.keys()) {
      if (entries.size < maxEntries) break;
      entries.delete(key);
    }
  };
  return {
    shared: false,
    available: () => true,
    async get(key) {
      const e = entries.get(key);
      if (!e) return undefined;
      if (e.expires > Date.now()) return e.value;
      entries.delete(key);
      return undefined;
    },
    async set(key, value, ttlMs) {
      entries.delete(key);
      if (entries.size >= maxEntries) evict();
      entries.set(key, { value, expires: Date.now() + ttlMs });
    },
    async del(keys) {
      for (const key of keys) entries.delete(key);
    },
  };
}
