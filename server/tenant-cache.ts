// Resolves tenant slugs on the ingest path without a query per request. The whole table is reloaded
// in the background once it is older than the TTL; a slug not in the cache is looked up directly
// (a tenant created a moment ago is found at once; a wrong slug costs one indexed query).
import { loadTenantRefs, type TenantRef } from './db/tenants.ts';
import type { Pool } from './db/pool.ts';
import type { Logger } from './log.ts';

export class TenantCache {
  private bySlug = new Map<string, TenantRef>();
  private loadedAt = 0;
  private loading: Promise<void> | undefined;
  private readonly pool: Pool;
  private readonly ttlMs: number;
  private readonly log: Logger;

  constructor(pool: Pool, ttlMs: number, log: Logger) {
    this.pool = pool;
    this.ttlMs = ttlMs;
    this.log = log;
  }

  /** Resolves every slug; unknown ones map to undefined. Throws only when the database is unreachable. */
  async resolve(slugs: Iterable<string>): Promise<Map<string, TenantRef | undefined>> {
    if (this.loadedAt === 0) await this.reload();
    else if (Date.now() - this.loadedAt > this.ttlMs) this.reloadInBackground();
    const found = new Map<string, TenantRef | undefined>();
    const missing: string[] = [];
    for (const slug of slugs) {
      if (found.has(slug)) continue;
      const ref = this.bySlug.get(slug);
      found.set(slug, ref);
      if (!ref) missing.push(slug);
    }
    if (missing.length > 0) {
      for (const ref of await loadTenantRefs(this.pool, missing)) {
        this.bySlug.set(ref.slug, ref);
        found.set(ref.slug, ref);
      }
    }
    return found;
  }

  /** Forget everything (a tenant was changed or deleted, here or on another replica); the next lookup reloads. */
  invalidate(): void {
    this.loadedAt = 0;
    // a reload already running may have read the table before the change: the next lookup starts its own
    this.loading = undefined;
  }

  private reload(): Promise<void> {
    if (this.loading) return this.loading;
    const loading: Promise<void> = loadTenantRefs(this.pool)
      .then((refs) => {
        if (this.loading !== loading) return;
        this.bySlug = new Map(refs.map((r) => [r.slug, r]));
        this.loadedAt = Date.now();
      })
      .finally(() => { if (this.loading === loading) this.loading = undefined; });
    this.loading = loading;
    return loading;
  }

  private reloadInBackground(): void {
    this.reload().catch((err: Error) => this.log.warn({ err: err.message }, 'tenant cache refresh failed; serving the previous copy'));
  }
}
