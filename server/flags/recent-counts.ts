// The flag list's evaluation counts (last 24 h by value, latest evaluation), held in memory per
// tenant·environment and read back from flagmeter.flag_evaluations by one statement for all of them
// after each flush of this process's counts (every FLAG_COUNTS_FLUSH_MS): so a list request never
// queries. They are as fresh as the last flush here (counts of another replica: up to its flush
// interval more). A set is read whole when first listed and every FULL_EVERY_MS; in between only the
// last 25 hours are read and the latest evaluation is merged with what was known. A set nobody has
// listed for FORGET_AFTER_MS is forgotten.
import { createHash } from 'node:crypto';
import type { Pool } from '../db/pool.ts';
import { recentEvaluationCounts } from '../db/flags.ts';

const FULL_EVERY_MS = 10 * 60_000;
const FORGET_AFTER_MS = 10 * 60_000;
const MAX_SETS = 50_000;

export interface FlagCounts { total: number; byValue: Record<string, number>; lastAt: number | null }

export interface CountsView {
  byKey: ReadonlyMap<string, FlagCounts>;
  /** A hash of the counts (the same on every replica that read the same rows): part of the list's ETag. */
  digest: string;
}

interface Watched { tenantId: number | null; envId: number; view?: CountsView; loading?: Promise<CountsView>; usedAt: number; wholeAt: number }

const empty: FlagCounts = { total: 0, byValue: {}, lastAt: null };

export class RecentCounts {
  private sets = new Map<string, Watched>();
  private pending: Promise<void> | undefined;
  private readonly pool: Pool;

  constructor(pool: Pool) {
    this.pool = pool;
  }

  /** Sets watched (for the metrics). */
  get size(): number {
    return this.sets.size;
  }

  /** The counts of a set; the first call waits for one query, later ones read memory. */
  view(tenantId: number | null, envId: number): CountsView | Promise<CountsView> {
    const id = `${tenantId ?? '*'}:${envId}`;
    let w = this.sets.get(id);
    if (!w) {
      if (this.sets.size >= MAX_SETS) this.sets.clear();
      w = { tenantId, envId, usedAt: 0, wholeAt: 0 };
      this.sets.set(id, w);
    }
    w.usedAt = Date.now();
    if (w.view) return w.view;
    if (w.loading) return w.loading;
    const watched = w;
    // a read already running may have started before this set joined: then one more
    const loading = this.refresh().then(() => watched.view ?? this.refresh().then(() => watched.view!));
    loading.catch(() => { if (watched.loading === loading) watched.loading = undefined; });
    return (w.loading = loading);
  }

  static countsOf(view: CountsView, key: string): FlagCounts {
    return view.byKey.get(key) ?? empty;
  }

  /** Reads the counts of every watched set again (after a flush); forgets the idle ones. One runs at a time. */
  refresh(): Promise<void> {
    this.pending ??= this.read().finally(() => { this.pending = undefined; });
    return this.pending;
  }

  private async read(): Promise<void> {
    const now = Date.now();
    for (const [id, w] of this.sets) if (w.view && now - w.usedAt > FORGET_AFTER_MS) this.sets.delete(id);
    const sets = [...this.sets.values()];
    if (sets.length === 0) return;
    const whole = sets.map((w) => !w.view || now - w.wholeAt > FULL_EVERY_MS);
    const rows = await recentEvaluationCounts(this.pool, sets.map((w, i) => ({ tenantId: w.tenantId, envId: w.envId, whole: whole[i]! })));
    const built = sets.map(() => ({ byKey: new Map<string, FlagCounts>(), hash: createHash('sha1') }));
    for (const r of rows) {
      const b = built[r.set]!;
      let c = b.byKey.get(r.key);
      if (!c) b.byKey.set(r.key, (c = { total: 0, byValue: {}, lastAt: null }));
      if (r.n > 0) {
        c.total += r.n;
        c.byValue[r.value] = r.n;
      }
      const at = r.lastAt ? r.lastAt.getTime() : null;
      if (at !== null && (c.lastAt === null || at > c.lastAt)) c.lastAt = at;
    }
    sets.forEach((w, i) => {
      const b = built[i]!;
      // a partial read knows the latest evaluation of the last 25 hours only: keep the older ones
      if (!whole[i] && w.view) {
        for (const [key, old] of w.view.byKey) {
          const c = b.byKey.get(key);
          if (!c) b.byKey.set(key, { total: 0, byValue: {}, lastAt: old.lastAt });
          else if (old.lastAt !== null && (c.lastAt === null || old.lastAt > c.lastAt)) c.lastAt = old.lastAt;
        }
      } else w.wholeAt = now;
      for (const key of [...b.byKey.keys()].sort()) {
        const c = b.byKey.get(key)!;
        b.hash.update(`${key}\u0000${c.total}\u0000${c.lastAt}\u0000${JSON.stringify(c.byValue)}\u0001`);
      }
      w.view = { byKey: b.byKey, digest: b.hash.digest('base64url') };
      w.loading = undefined;
    });
  }
}
