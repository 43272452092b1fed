// Evaluation counts per tenant · environment · flag · hour · value, counted in memory on the
// request path and added to flagmeter.flag_evaluations in one statement every FLAG_COUNTS_FLUSH_MS
// and at shutdown. A failed flush keeps its counts for the next one. Once an hour a flush also drops
// the counts older than FLAG_EVALUATIONS_RETENTION_DAYS.
//
// The request path does no string building and no Map lookup: each loaded flag carries its Tally
// (one per tenant · environment · flag, kept across reloads of the set), whose values are a short
// array compared by identity (a flag serves a handful of values), each with a count and a last
// time. The time is a clock this counter refreshes every CLOCK_MS while it runs (Date.now() costs
// ~50 ns, half the budget): an evaluation's hour and last time are exact to CLOCK_MS; the totals are
// exact. A flush takes every tally's counts synchronously (nothing counted between is lost).
import type { Pool } from '../db/pool.ts';
import { addEvaluationCounts, pruneEvaluationCounts, type CountRow } from '../db/flags.ts';
import type { Logger } from '../log.ts';
import { repeat } from '../pacing.ts';

/** Bound on the distinct tenant · environment · flag · value series waiting in memory. */
const MAX_KEYS = 200_000;
const HOUR_MS = 3_600_000;
const CLOCK_MS = 100;
/** A tally with nothing counted for this many flushes (an hour at the default interval) is retired. */
const IDLE_FLUSHES = 720;

/** The counts of one flag of one tenant·environment, for the current hour. */
export class Tally {
  readonly tenantId: number;
  readonly envId: number;
  readonly key: string;
  /** What was served: the value (a JSON object flag: the variant's name), compared by identity. */
  served: (string | number | boolean)[] = [];
  /** The same, as written (text). */
  texts: string[] = [];
  n: number[] = [];
  last: number[] = [];
  hour = 0;
  hourEnd = 0;
  /** Counted since the last flush. */
  pending = false;
  listed = false;
  idle = 0;

  constructor(tenantId: number, envId: number, key: string) {
    this.tenantId = tenantId;
    this.envId = envId;
    this.key = key;
  }
}

/** What an evaluation served, as the counts know it: the value, or a JSON object's variant name. */
export interface Served { value: unknown; variant: string }

const tallyId = (tenantId: number, envId: number, key: string) => `${tenantId}|${envId}|${key}`;
const rowId = (r: CountRow) => `${r.tenantId}|${r.envId}|${r.hour.getTime()}|${r.key}|${r.value}`;

export class EvaluationCounter {
  /** Tallies by tenant|env|key: a reloaded set gets the same tally back. */
  private tallies = new Map<string, Tally>();
  /** The tallies a flush walks (those with counts, or counted recently). */
  private listed: Tally[] = [];
  /** Rows of past hours and of failed flushes, by series: written by the next flush. */
  private carried = new Map<string, CountRow>();
  private series = 0;
  private loop: { stop(): void } | undefined;
  private clockTimer: NodeJS.Timeout | undefined;
  private clock = 0;
  private busy: Promise<void> | undefined;
  /** Evaluations counted since start (the Prometheus counter). */
  evaluated = 0;
  failures = 0;
  dropped = 0;
  private prunedAt = 0;
  /** The last flush (at shutdown) writes; nothing reads the counts back any more. */
  private stopping = false;
  private readonly pool: Pool;
  private readonly intervalMs: number;
  private readonly log: Logger;
  private readonly retentionDays: number;
  private readonly afterFlush: (() => Promise<void>) | undefined;

  /** `afterFlush` runs after each flush (written or not): what reads the counts back (the list's snapshot). */
  constructor(pool: Pool, intervalMs: number, log: Logger, retentionDays = 0, afterFlush?: () => Promise<void>) {
    this.pool = pool;
    this.intervalMs = intervalMs;
    this.log = log;
    this.retentionDays = retentionDays;
    this.afterFlush = afterFlush;
  }

  /** The tally of one flag of a tenant·environment (the same object for as long as it is counted). */
  tally(tenantId: number, envId: number, key: string): Tally {
    const id = tallyId(tenantId, envId, key);
    let t = this.tallies.get(id);
    if (!t) {
      t = new Tally(tenantId, envId, key);
      if (this.tallies.size < MAX_KEYS) this.tallies.set(id, t);
    }
    return t;
  }

  /** One evaluation of the tally's flag that served `r`. The hot path: no allocation once a value has been seen. */
  count(t: Tally, r: Served): void {
    this.evaluated++;
    const now = this.clockTimer === undefined ? Date.now() : this.clock;
    if (now >= t.hourEnd) this.nextHour(t, now);
    const v = r.value;
    const key = typeof v === 'object' ? r.variant : (v as string | number | boolean);
    const served = t.served;
    let i = 0;
    while (i < served.length && served[i] !== key) i++;
    if (i === served.length && !this.addValue(t, key)) return;
    t.n[i]!++;
    t.last[i] = now;
    if (!t.pending) this.mark(t);
  }

  /** Counts by tenant·environment·flag key and value: what the older API took (tests, tools). */
  countValue(tenantId: number, envId: number, key: string, value: string | boolean): void {
    this.count(this.tally(tenantId, envId, key), { value, variant: '' });
  }

  private mark(t: Tally): void {
    t.pending = true;
    t.idle = 0;
    if (!t.listed) {
      t.listed = true;
      this.listed.push(t);
    }
  }

  private addValue(t: Tally, key: string | number | boolean): boolean {
    if (this.series >= MAX_KEYS) {
      this.dropped++;
      return false;
    }
    this.series++;
    t.served.push(key);
    t.texts.push(String(key));
    t.n.push(0);
    t.last.push(0);
    return true;
  }

  /** The hour moved on: what the tally holds goes to the carried rows, and it counts the new hour. */
  private nextHour(t: Tally, now: number): void {
    this.take(t);
    t.hour = now - (now % HOUR_MS);
    t.hourEnd = t.hour + HOUR_MS;
  }

  /** Moves a tally's counts into the carried rows (zeroing them). */
  private take(t: Tally): void {
    for (let i = 0; i < t.n.length; i++) {
      if (t.n[i] === 0) continue;
      this.carry({ tenantId: t.tenantId, envId: t.envId, key: t.key, hour: new Date(t.hour), value: t.texts[i]!, n: t.n[i]!, last: new Date(t.last[i]!) });
      t.n[i] = 0;
    }
    t.pending = false;
  }

  private carry(row: CountRow): void {
    const id = rowId(row);
    const held = this.carried.get(id);
    if (held) {
      held.n += row.n;
      if (row.last > held.last) held.last = row.last;
    } else if (this.carried.size < MAX_KEYS) this.carried.set(id, row);
    else this.dropped++;
  }

  start(): void {
    this.startClock();
    if (this.loop || this.intervalMs === 0) return;
    // flush() keeps a failed batch and never throws: nothing reaches the error callback
    this.loop = repeat(() => this.flush(), this.intervalMs, () => {});
  }

  /** The coarse clock the request path reads (without it, each count reads Date.now()). */
  startClock(): void {
    if (this.clockTimer) return;
    this.clock = Date.now();
    this.clockTimer = setInterval(() => { this.clock = Date.now(); }, CLOCK_MS).unref();
  }

  /** Writes what was counted so far. Never throws; concurrent calls share one flush. */
  flush(): Promise<void> {
    this.busy ??= this.write().finally(() => { this.busy = undefined; });
    return this.busy;
  }

  async stop(): Promise<void> {
    this.loop?.stop();
    this.loop = undefined;
    this.stopping = true;
    clearInterval(this.clockTimer);
    this.clockTimer = undefined;
    await this.busy;
    await this.flush();
  }

  /** Takes every tally's counts (synchronously: nothing counted meanwhile is lost) into the carried rows. */
  private collect(): void {
    const keep: Tally[] = [];
    for (const t of this.listed) {
      if (t.pending) this.take(t);
      else if (++t.idle >= IDLE_FLUSHES) {
        this.retire(t);
        continue;
      }
      keep.push(t);
    }
    this.listed = keep;
  }

  /**
   * An idle tally leaves the walk and the lookup, and gives its series back to the bound. A set still
   * holding it may count on it: it rejoins the walk then (a reload gets a new tally; both write the
   * same rows, which the upsert adds up).
   */
  private retire(t: Tally): void {
    t.listed = false;
    const id = tallyId(t.tenantId, t.envId, t.key);
    if (this.tallies.get(id) === t) this.tallies.delete(id);
    this.series -= t.served.length;
    t.served = [];
    t.texts = [];
    t.n = [];
    t.last = [];
  }

  private async write(): Promise<void> {
    if (this.retentionDays > 0 && Date.now() - this.prunedAt > HOUR_MS) {
      this.prunedAt = Date.now();
      await pruneEvaluationCounts(this.pool, this.retentionDays)
        .catch((err: Error) => this.log.warn({ err: err.message }, 'could not prune old flag evaluation counts'));
    }
    this.collect();
    if (this.carried.size > 0) {
      const rows = [...this.carried.values()];
      this.carried = new Map();
      try {
        await addEvaluationCounts(this.pool, rows);
      } catch (err) {
        this.failures++;
        this.log.warn({ err: (err as Error).message, rows: rows.length }, 'could not write flag evaluation counts; keeping them for the next flush');
        for (const r of rows) this.carry(r);
      }
    }
    if (!this.stopping) await this.afterFlush?.().catch((err: Error) => this.log.warn({ err: err.message }, 'could not read the evaluation counts back'));
  }
}
