// Each process holds a tenant·environment's flags in memory, loaded on first use and dropped on
// every write: at once here, at once on the other replicas through the Valkey invalidation
// (server/cache/invalidation.ts), and, without Valkey (or when a message is lost), within
// FLAG_CACHE_TTL_MS: every TTL one query reads the stamps of all the sets held here
// (db/flags.ts: count, versions, last change) and the sets whose stamp moved are reloaded in the
// background, the old copy serving meanwhile. So the TTL costs one small query per process, not
// one reload per set. A set is reloaded anyway after MAX_AGE_MS. Environments are reloaded each TTL.
import type { Pool } from '../db/pool.ts';
import { flagSetStamps, loadEnvironments, loadFlagSet, toFlag } from '../db/flags.ts';
import type { Logger } from '../log.ts';
import { compile, type CompiledFlag, type SegmentLookup } from '../../sdk/node/src/local/evaluate.ts';
import { contextDependence, type ContextDependence } from './context-dependence.ts';
import type { Tally } from './counter.ts';
import { segmentScopes } from '../../sdk/node/src/local/segments.ts';
import type { Environment, Flag } from './model.ts';
import { repeat } from '../pacing.ts';

/** A compiled flag with the tally its evaluations are counted on (none in the global set, which nobody evaluates). */
export interface CountedFlag extends CompiledFlag { tally: Tally | undefined }

export interface FlagSet {
  /** null: the global flags alone (what the global list shows). */
  tenantId: number | null;
  envId: number;
  flags: ReadonlyMap<string, CountedFlag>;
  /** The keys in order (code-unit order, as PostgreSQL's C collation sorts them). */
  keys: readonly string[];
  /** Some flag carries quota rules: evaluations need the tenant's usage snapshot. */
  quotaRules: boolean;
  /**
   * The set's version: count, versions and last change of its flags and of the segments they may use
   * (db/flags.ts). Read from PostgreSQL, so every replica holding the same flags has the same stamp.
   */
  stamp: string;
  /** Whether an evaluation for a context may change without a write (then the stamp does not stand for the answer). */
  varies: ContextDependence;
}

/** Where the store gets a flag's tally (server/flags/counter.ts). */
export type Tallies = (tenantId: number, envId: number, key: string) => Tally;

/** What changed; null tenant: a global flag (every tenant's set of that environment). */
export interface FlagChange { tenantId: number | null; envId: number }

const setId = (tenantId: number | null, envId: number) => `${tenantId ?? '*'}:${envId}`;

interface Entry<T> { value?: T; loading?: Promise<T>; loadedAt: number; stamp?: string }

const MAX_ENTRIES = 50_000;
const MAX_AGE_MS = 10 * 60_000;

export class FlagStore {
  private sets = new Map<string, Entry<FlagSet>>();
  private envs: Entry<Map<string, Environment>> | undefined;
  private readonly pool: Pool;
  private readonly ttlMs: number;
  private readonly log: Logger;
  private readonly tallies: Tallies | undefined;
  private loop: { stop(): void } | undefined;
  checkFailures = 0;

  constructor(pool: Pool, ttlMs: number, log: Logger, tallies?: Tallies) {
    this.pool = pool;
    this.ttlMs = ttlMs;
    this.log = log;
    this.tallies = tallies;
  }

  /** Sets held (for the metrics). */
  get size(): number {
    return this.sets.size;
  }

  /** The TTL loop (without it, and with a TTL of 0, every evaluation loads its set). */
  start(): void {
    if (this.loop || this.ttlMs === 0) return;
    this.loop = repeat(() => this.check(), this.ttlMs, (err) => {
      this.checkFailures++;
      this.log.warn({ err: err.message }, 'flag cache check failed; serving the cached flags');
    });
  }

  stop(): void {
    this.loop?.stop();
    this.loop = undefined;
  }

  /** Reloads, in the background, the sets whose stamp moved (or that are old), and the environments. */
  private async check(): Promise<void> {
    if (this.envs?.value && !this.envs.loading) this.refreshEnvs(this.envs);
    const held = [...this.sets].filter(([, e]) => e.value && !e.loading) as [string, Entry<FlagSet> & { value: FlagSet }][];
    if (held.length === 0) return;
    const stamps = await flagSetStamps(this.pool, held.map(([, e]) => e.value));
    const now = Date.now();
    held.forEach(([id, e], i) => {
      if (this.sets.get(id) !== e) return; // dropped or replaced meanwhile
      if (stamps[i] !== e.stamp || now - e.loadedAt > MAX_AGE_MS) this.refreshSet(id, e.value.tenantId, e.value.envId, e);
    });
  }

  /** Environments by name. */
  environments(): Promise<Map<string, Environment>> | Map<string, Environment> {
    const entry = this.envs;
    if (entry?.value && (this.ttlMs > 0 || entry.loading)) return entry.value;
    return entry?.loading ?? this.refreshEnvs(undefined);
  }

  /** A tenant's flags in one environment (its own and the global ones it inherits); tenant null: the global flags. */
  flagSet(tenantId: number | null, envId: number): Promise<FlagSet> | FlagSet {
    const id = setId(tenantId, envId);
    const entry = this.sets.get(id);
    if (entry?.value && this.ttlMs > 0) return entry.value;
    return entry?.loading ?? this.refreshSet(id, tenantId, envId, undefined);
  }

  /** A flag changed: forget the sets it is part of. */
  drop(change: FlagChange): void {
    if (change.tenantId !== null) {
      this.sets.delete(setId(change.tenantId, change.envId));
      return;
    }
    const suffix = `:${change.envId}`;
    for (const id of this.sets.keys()) if (id.endsWith(suffix)) this.sets.delete(id);
  }

  /** Environments changed (or messages were lost): forget everything. */
  clear(): void {
    this.sets.clear();
    this.envs = undefined;
  }

  private refreshEnvs(stale: Entry<Map<string, Environment>> | undefined): Promise<Map<string, Environment>> {
    const entry: Entry<Map<string, Environment>> = { value: stale?.value, loadedAt: stale?.loadedAt ?? 0 };
    const loading = loadEnvironments(this.pool).then((rows) => {
      const map = new Map(rows.map((e) => [e.name, e]));
      // a clear() meanwhile means this read may predate the change: answer with it, keep nothing
      if (this.envs === entry) Object.assign(entry, { value: map, loading: undefined, loadedAt: Date.now() });
      return map;
    });
    entry.loading = loading;
    this.envs = entry;
    if (stale?.value) loading.catch((err: Error) => this.log.warn({ err: err.message }, 'environment refresh failed; serving the previous copy'));
    else loading.catch(() => { if (this.envs === entry) this.envs = undefined; });
    return loading;
  }

  private refreshSet(id: string, tenantId: number | null, envId: number, stale: Entry<FlagSet> | undefined): Promise<FlagSet> {
    if (stale?.loading) return stale.loading;
    const entry: Entry<FlagSet> = { value: stale?.value, loadedAt: stale?.loadedAt ?? 0, stamp: stale?.stamp };
    const loading = loadFlagSet(this.pool, tenantId, envId).then(({ stamp, flags: rows, segments }) => {
      const flags = new Map<string, CountedFlag>();
      let quotaRules = false;
      const scopes = segmentScopes(segments);
      const raw: { flag: Flag; segments: SegmentLookup }[] = [];
      for (const { row, inherited } of rows) {
        const flag = toFlag(row, null, '');
        const segments = inherited ? scopes.global : scopes.tenant;
        const c = compile(flag, inherited, segments) as CountedFlag;
        c.tally = tenantId === null ? undefined : this.tallies?.(tenantId, envId, flag.key);
        flags.set(flag.key, c);
        raw.push({ flag, segments });
        quotaRules ||= c.rules.length > 0;
      }
      const keys = [...flags.keys()].sort();
      const set: FlagSet = { tenantId, envId, flags, keys, quotaRules, stamp, varies: contextDependence(raw) };
      // dropped meanwhile (a write): this read may predate it, so it answers its callers but is not kept
      if (this.sets.get(id) === entry) Object.assign(entry, { value: set, loading: undefined, loadedAt: Date.now(), stamp });
      return set;
    });
    entry.loading = loading;
    if (!stale && this.sets.size >= MAX_ENTRIES) this.sets.clear();
    this.sets.set(id, entry);
    if (stale?.value) {
      loading.catch((err: Error) => {
        entry.loading = undefined;
        this.log.warn({ err: err.message }, 'flag refresh failed; serving the previous copy');
      });
    } else {
      loading.catch(() => { if (this.sets.get(id) === entry) this.sets.delete(id); });
    }
    return loading;
  }
}
