// FlagMeter: track() queues an event in memory (and the spill journal) and returns; one sender
// posts batches to POST /api/events, retrying with backoff until the server acknowledges them.
import { nextDelayMs, retryable, retryAfterMs, sleep } from './backoff.ts';
import { check, reserve, guard, type CheckAnswer, type CheckOptions, type GuardOptions, type Reservation, type ReserveOptions } from './entitlements.ts';
import { EventsRejectedError, FlagMeterError, FlushTimeoutError } from './errors.ts';
import { toWire, type TrackEvent, type WireEvent } from './event.ts';
import { errorOf, makeTransport, type Transport } from './http.ts';
import { Journal } from './journal.ts';
import { defaults, type FlagMeterOptions } from './options.ts';
import { BoundedQueue, type Item } from './queue.ts';

export interface Stats {
  /** events track() accepted */
  accepted: number;
  /** acknowledged by the server (including duplicates it had already counted) */
  sent: number;
  /** of those, already counted before (a retry whose first answer was lost) */
  duplicates: number;
  /** dropped by 'drop-oldest' */
  dropped: number;
  /** refused for good by the server (reported to onError) */
  rejected: number;
  retries: number;
  queued: number;
  inflight: number;
  /** track() calls waiting for room under 'block' */
  blocked: number;
  /** events replayed from the spill folder at start */
  recovered: number;
}

type Flusher = { target: number; resolve: () => void };

export class FlagMeter {
  readonly http: Transport;
  readonly options: FlagMeterOptions & typeof defaults;
  private queue: BoundedQueue<WireEvent>;
  private journal: Journal | null = null;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private pumping = false;
  private inflight = 0;
  private finished = 0;
  private flushers: Flusher[] = [];
  private flushWanted = 0;
  private closed = false;
  private exiting = false;
  private abort = new AbortController();
  private counts = { accepted: 0, sent: 0, duplicates: 0, rejected: 0, retries: 0, recovered: 0 };
  private readonly exitHandler = () => this.onBeforeExit();

  constructor(options: FlagMeterOptions) {
    if (!options?.baseUrl) throw new TypeError('FlagMeter: baseUrl is required');
    this.options = { ...defaults, ...options, retry: { ...defaults.retry, ...options.retry } } as FlagMeterOptions & typeof defaults;
    const { batchSize, maxQueueSize } = this.options;
    if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 1000) throw new TypeError('FlagMeter: batchSize must be 1–1000');
    if (!Number.isInteger(maxQueueSize) || maxQueueSize < 1) throw new TypeError('FlagMeter: maxQueueSize must be a positive integer');
    if (!['block', 'drop-oldest', 'throw'].includes(this.options.whenFull)) throw new TypeError("FlagMeter: whenFull must be 'block', 'drop-oldest' or 'throw'");
    this.http = makeTransport({ baseUrl: this.options.baseUrl, apiKey: this.options.apiKey, timeoutMs: this.options.timeoutMs, fetch: this.options.fetch });
    this.queue = new BoundedQueue<WireEvent>(maxQueueSize, this.options.whenFull, (item) => this.finish([item]));
    if (this.options.spill) this.openJournal();
    if (this.options.flushOnExit && typeof process !== 'undefined') process.on('beforeExit', this.exitHandler);
  }

  /**
   * Queues one event and returns its idempotency id. Throws at once on an invalid event, after
   * close(), and under whenFull 'throw' when full. The promise resolves when the event is queued
   * (and written to the spill journal, when there is one); under 'block' it waits for room.
   */
  track(event: TrackEvent): Promise<string> {
    if (this.closed) throw new FlagMeterError('FlagMeter: track() after close()');
    const wire = toWire(event);
    if (this.options.whenFull === 'throw' && !this.queue.hasRoom()) this.queue.push({ event: wire, segment: null }); // throws QueueFullError
    let written: Promise<void> | undefined;
    let segment: Item<WireEvent>['segment'] = null;
    if (this.journal) ({ segment, written } = this.journal.append(wire));
    const queued = this.queue.push({ event: wire, segment });
    this.counts.accepted++;
    this.schedule();
    if (!queued && !written) return Promise.resolve(wire.id);
    return Promise.all([queued, written]).then(() => {
      this.schedule();
      return wire.id;
    });
  }

  /** Sends everything accepted so far; resolves when the server has it (or refused it for good). */
  async flush(timeoutMs?: number): Promise<void> {
    const target = this.counts.accepted;
    if (this.finished >= target) return;
    this.flushWanted++;
    try {
      const flusher: Flusher = { target, resolve: () => {} };
      const done = new Promise<void>((resolve) => { flusher.resolve = resolve; this.flushers.push(flusher); });
      void this.pump();
      if (timeoutMs === undefined) return await done;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timedOut = new Promise<'timeout'>((resolve) => { timer = setTimeout(() => resolve('timeout'), timeoutMs); });
      const outcome = await Promise.race([done, timedOut]);
      clearTimeout(timer);
      if (outcome === 'timeout') {
        this.flushers = this.flushers.filter((f) => f !== flusher);
        throw new FlushTimeoutError(target - Math.min(this.finished, target));
      }
    } finally {
      this.flushWanted--;
    }
  }

  /**
   * Flushes (up to timeoutMs, default exitTimeoutMs) and stops. Events still undelivered then stay in
   * the spill journal when there is one (sent on the next start); without one they are lost, and
   * close() rejects with FlushTimeoutError saying how many.
   */
  async close(timeoutMs = this.options.exitTimeoutMs): Promise<Stats> {
    if (typeof process !== 'undefined') process.off('beforeExit', this.exitHandler);
    try {
      await this.flush(timeoutMs);
    } finally {
      this.closed = true;
      this.abort.abort();
      if (this.timer) clearTimeout(this.timer);
      this.journal?.close();
    }
    return this.stats();
  }

  stats(): Stats {
    return {
      ...this.counts, dropped: this.queue.dropped, queued: this.queue.length, inflight: this.inflight, blocked: this.queue.blocked,
    };
  }

  /** May the tenant spend `tokens` (on `feature`) now? */
  check(tenant: string, tokens?: number, opts: CheckOptions = {}): Promise<CheckAnswer> {
    return check(this, tenant, tokens, opts);
  }

  /** Holds `tokens` if they fit; settle() the handle with the real count, or release() it. */
  reserve(tenant: string, tokens: number, opts: ReserveOptions = {}): Promise<Reservation> {
    return reserve(this, tenant, tokens, opts);
  }

  /** Reserves `estimate`, runs fn, settles with the real usage (opts.usage, or the result's usage), releases on error. */
  guard<T>(tenant: string, estimate: number, fn: (reservation: Reservation) => Promise<T> | T, opts: GuardOptions<T> = {}): Promise<T> {
    return guard(this, tenant, estimate, fn, opts);
  }

  /** For the SDK's own modules: report an error to onError (never throws). */
  report(err: FlagMeterError): void {
    try {
      if (this.options.onError) this.options.onError(err);
      else console.warn(`[flagmeter] ${err.message}`);
    } catch { /* a throwing handler must not break delivery */ }
  }

  private openJournal(): void {
    const spill = this.options.spill!;
    this.journal = new Journal(typeof spill === 'string' ? { dir: spill } : spill);
    const { events, files } = this.journal.recover();
    for (const e of events) {
      const { segment, written } = this.journal.append(e);
      written.catch(() => {}); // a failed write throws from write() below, once
      this.queue.forcePush({ event: e as unknown as WireEvent, segment });
    }
    // the old files go only once their events are in the new segment: a failed write keeps them
    if (this.journal.write()) this.journal.forget(files);
    else this.report(new FlagMeterError(`FlagMeter: could not write the spill journal in ${this.journal.dir}; the recovered events are kept in their old files`));
    this.counts.accepted += events.length;
    this.counts.recovered = events.length;
    if (events.length > 0) this.schedule();
  }

  private schedule(): void {
    if (this.pumping || this.closed) return;
    if (this.queue.length >= this.options.batchSize) {
      void this.pump();
      return;
    }
    if (!this.timer && this.queue.length > 0) {
      this.timer = setTimeout(() => { this.timer = null; void this.pump(); }, this.options.flushIntervalMs);
      (this.timer as { unref?: () => void }).unref?.();
    }
  }

  /** The one sender: a batch at a time, in order; partial batches only when a flush waits. */
  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    try {
      while (this.queue.length > 0 && !this.abort.signal.aborted) {
        const batch = this.queue.take(this.options.batchSize);
        this.inflight = batch.length;
        const left = await this.deliver(batch);
        this.inflight = 0;
        if (left.length > 0) {
          this.queue.unshift(left);
          break;
        }
        if (this.queue.length < this.options.batchSize && this.flushWanted === 0) break;
      }
    } catch (err) {
      this.report(new FlagMeterError(`FlagMeter: the sender failed: ${(err as Error).message}`));
    } finally {
      this.pumping = false;
      this.inflight = 0;
      this.schedule();
    }
  }

  /** Delivers the items (splitting, dropping what is refused for good, retrying the rest); returns what is left at abort. */
  private async deliver(batch: Item<WireEvent>[]): Promise<Item<WireEvent>[]> {
    let items = batch;
    let attempt = 0;
    while (items.length > 0) {
      if (this.abort.signal.aborted) return items;
      let reply;
      try {
        reply = await this.http.request('POST', '/api/events', items.map((i) => i.event));
      } catch {
        reply = undefined;
      }
      if (reply && reply.status >= 200 && reply.status < 300) {
        this.counts.sent += items.length;
        this.counts.duplicates += Number(reply.body?.duplicates ?? 0);
        this.finish(items);
        return [];
      }
      if (reply && !retryable(reply.status)) {
        const { code, message, details } = errorOf(reply);
        if ((reply.status === 413 || code === 'too_many_events' || code === 'batch_exceeds_burst') && items.length > 1) {
          const half = Math.ceil(items.length / 2);
          const left = await this.deliver(items.slice(0, half));
          if (left.length > 0) return [...left, ...items.slice(half)];
          items = items.slice(half);
          attempt = 0;
          continue;
        }
        const bad = new Set(details.flatMap((d) => (typeof d.index === 'number' ? [d.index] : [])));
        const refused = bad.size > 0 ? items.filter((_, i) => bad.has(i)) : items;
        this.counts.rejected += refused.length;
        this.finish(refused);
        this.report(new EventsRejectedError(refused.map((i) => i.event), reply.status, message));
        if (bad.size === 0) return [];
        items = items.filter((_, i) => !bad.has(i));
        continue;
      }
      const after = reply ? retryAfterMs(reply.headers.get('retry-after')) : undefined;
      const delayMs = nextDelayMs(attempt, after, this.options.retry as Required<typeof this.options.retry>);
      attempt++;
      this.counts.retries++;
      try {
        this.options.onRetry?.({ attempt, delayMs, status: reply?.status, retryAfterMs: after, events: items.length });
      } catch { /* ignore */ }
      await sleep(delayMs, this.abort.signal);
    }
    return [];
  }

  private finish(items: Item<WireEvent>[]): void {
    for (const i of items) i.segment?.done();
    this.finished += items.length;
    if (this.flushers.length > 0) {
      this.flushers = this.flushers.filter((f) => {
        if (this.finished < f.target) return true;
        f.resolve();
        return false;
      });
    }
  }

  /** The loop is empty but events are pending: keep the process alive (up to exitTimeoutMs) while they go out. */
  private onBeforeExit(): void {
    if (this.closed || this.exiting || this.finished >= this.counts.accepted) return;
    this.exiting = true;
    const keepAlive = setInterval(() => {}, 1000);
    this.flush(this.options.exitTimeoutMs)
      .catch((err) => this.report(err instanceof FlagMeterError ? err : new FlagMeterError(String(err))))
      .finally(() => {
        clearInterval(keepAlive);
        this.exiting = false;
        if (this.finished < this.counts.accepted) {
          this.closed = true; // the exit flush gave up: do not try again on the next beforeExit
          this.abort.abort();
        }
      });
  }
}
