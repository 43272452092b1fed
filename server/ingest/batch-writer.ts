// Concurrent requests join one in-memory batch that is written as a single INSERT when it holds
// maxEvents events or is maxWaitMs old. A request is answered only once its batch has committed.
// The buffer is bounded: past bufferMax events (waiting + being written), writes are refused with a
// 503 so memory stays flat when Postgres cannot keep up.
import type { EventRow, SettleOutcome } from '../db/events.ts';
import { refusal, settles } from '../entitlements/settle.ts';
import type { Logger } from '../log.ts';
import { AppError, unavailable } from '../core/errors.ts';
import { isDatabaseUnavailable, isMissingTenant } from '../db/errors.ts';

export interface WriteResult {
  /** Event id per event, in request order (the original id for a duplicate). */
  eventIds: string[];
  /** Per event: true when an event with the same tenant and id was already counted. */
  duplicates: boolean[];
  /** True when the events were put in the Valkey buffer (not yet counted; duplicates unknown). */
  buffered: boolean;
}

/** Where batches go when PostgreSQL cannot take them (the Valkey buffer). */
export interface Fallback {
  append(rows: readonly EventRow[]): Promise<void>;
}

export interface BatchStore {
  /** Stores rows in one transaction; returns the positions of duplicates (not stored). */
  insert(rows: readonly EventRow[]): Promise<number[]>;
  /** Event ids already stored under these keys (called after commit, for duplicates only). */
  idsForKeys(tenantIds: number[], keys: string[]): Promise<Map<string, string>>;
  /** Stores a batch in which some events settle reservations (server/entitlements/settle.ts). */
  insertSettling?(rows: readonly EventRow[], requests: readonly number[]): Promise<SettleOutcome>;
}

export interface BatchWriterOptions {
  maxEvents: number;
  maxWaitMs: number;
  maxConcurrent: number;
  bufferMax: number;
  log: Logger;
  /** With a fallback: past this many events in memory, or while PostgreSQL fails, writes go there. */
  fallback?: Fallback;
  highWater?: number;
  /** Called once per flush (metrics); must be cheap and must not throw. */
  onFlush?: (stats: FlushStats) => void;
}

export interface FlushStats { events: number; durationMs: number; ok: boolean; duplicates: number }

interface Pending {
  rows: EventRow[];
  resolve(result: WriteResult): void;
  reject(err: Error): void;
}

export interface BatchWriterStats {
  waiting: number; writing: number; capacity: number; flushes: number; failedFlushes: number;
  /** Events handed to the fallback so far, and whether PostgreSQL is being skipped right now. */
  buffered: number; databaseSkipped: boolean;
}

/** After a failed flush (with a fallback), new writes skip PostgreSQL this long instead of waiting on it. */
const DB_RETRY_MS = 1000;

export class BatchWriter {
  private queue: Pending[] = [];
  private waitingEvents = 0;
  private writingEvents = 0;
  private activeFlushes = new Set<Promise<void>>();
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private flushes = 0;
  private failedFlushes = 0;
  private bufferedEvents = 0;
  private appending = 0;
  private dbDownUntil = 0;
  private readonly store: BatchStore;
  private readonly opts: BatchWriterOptions;

  constructor(store: BatchStore, opts: BatchWriterOptions) {
    this.store = store;
    this.opts = opts;
  }

  write(rows: EventRow[]): Promise<WriteResult> {
    if (this.closed) return Promise.reject(unavailable('shutting_down', 'FlagMeter is shutting down; retry against another instance.'));
    const held = this.waitingEvents + this.writingEvents + rows.length;
    // a settlement must commit with its event in PostgreSQL: never parked in Valkey
    if (this.opts.fallback && (Date.now() < this.dbDownUntil || held > (this.opts.highWater ?? this.opts.bufferMax)) && !settles(rows)) {
      return this.toFallback(rows);
    }
    if (held > this.opts.bufferMax) {
      return Promise.reject(unavailable('buffer_full', 'The write buffer is full (the database is not keeping up); retry shortly.'));
    }
    return new Promise<WriteResult>((resolve, reject) => {
      this.queue.push({ rows, resolve, reject });
      this.waitingEvents += rows.length;
      if (this.waitingEvents >= this.opts.maxEvents) this.kick();
      else this.timer ??= setTimeout(() => this.kick(), this.opts.maxWaitMs);
    });
  }

  stats(): BatchWriterStats {
    return {
      waiting: this.waitingEvents, writing: this.writingEvents, capacity: this.opts.bufferMax, flushes: this.flushes,
      failedFlushes: this.failedFlushes, buffered: this.bufferedEvents, databaseSkipped: Date.now() < this.dbDownUntil,
    };
  }

  /**
   * Stops taking writes and writes out everything already accepted. Whatever has not committed
   * when the timeout passes is answered with a 503, so no request is left hanging.
   */
  async close(timeoutMs: number): Promise<void> {
    this.closed = true;
    const drained = (async () => {
      while (this.queue.length > 0 || this.activeFlushes.size > 0) {
        this.kick();
        await Promise.race(this.activeFlushes);
      }
    })();
    let timeout: NodeJS.Timeout | undefined;
    const timedOut = new Promise<boolean>((resolve) => { timeout = setTimeout(() => resolve(true), timeoutMs); });
    const late = await Promise.race([drained.then(() => false), timedOut]);
    clearTimeout(timeout);
    if (late) {
      const err = unavailable('shutting_down', 'FlagMeter shut down before this batch could be written; it was not stored.');
      for (const p of this.queue.splice(0)) p.reject(err);
      this.waitingEvents = 0;
      this.opts.log.error({ writing: this.writingEvents }, 'shutdown timeout: batches still being written will be answered by their own outcome');
    }
  }

  /** Starts as many flushes as the concurrency limit allows. */
  private kick(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    while (this.queue.length > 0 && this.activeFlushes.size < this.opts.maxConcurrent) {
      const batch: Pending[] = [];
      let size = 0;
      // whole requests only: a request's events commit (or fail) together
      while (this.queue.length > 0 && (batch.length === 0 || size + this.queue[0]!.rows.length <= this.opts.maxEvents)) {
        const p = this.queue.shift()!;
        batch.push(p);
        size += p.rows.length;
      }
      this.waitingEvents -= size;
      this.writingEvents += size;
      const flush = this.flush(batch, size).finally(() => {
        this.writingEvents -= size;
        this.activeFlushes.delete(flush);
        // what queued up while every connection was busy has waited long enough
        if (this.queue.length > 0) this.kick();
      });
      this.activeFlushes.add(flush);
    }
  }

  /** Never throws: every request in the batch is resolved or rejected. */
  private async flush(batch: Pending[], size: number): Promise<void> {
    let rows = batch.length === 1 ? batch[0]!.rows : batch.flatMap((p) => p.rows);
    const started = performance.now();
    try {
      const settling = this.store.insertSettling && settles(rows) ? await this.insertSettling(batch, rows) : undefined;
      if (settling?.length === 0) return;
      if (settling) ({ batch, rows } = settling[0]!);
      const duplicatePositions = settling ? settling[0]!.duplicates : await this.store.insert(rows);
      this.flushes++;
      this.opts.onFlush?.({ events: size, durationMs: performance.now() - started, ok: true, duplicates: duplicatePositions.length });
      const duplicate = new Array<boolean>(rows.length).fill(false);
      for (const i of duplicatePositions) duplicate[i] = true;
      const eventIds = rows.map((r) => r.id);
      if (duplicatePositions.length > 0) await this.originalIds(rows, duplicatePositions, eventIds);
      let offset = 0;
      for (const p of batch) {
        const end = offset + p.rows.length;
        p.resolve({ eventIds: eventIds.slice(offset, end), duplicates: duplicate.slice(offset, end), buffered: false });
        offset = end;
      }
    } catch (err) {
      this.failedFlushes++;
      this.opts.onFlush?.({ events: size, durationMs: performance.now() - started, ok: false, duplicates: 0 });
      const failure = err as { code?: string; message?: string };
      if (isMissingTenant(failure)) return this.isolate(batch);
      if (this.opts.fallback && isDatabaseUnavailable(failure)) {
        this.dbDownUntil = Date.now() + DB_RETRY_MS;
        this.opts.log.warn({ err: (err as Error).message, events: size }, 'batch insert failed; buffering in Valkey');
        // a settlement must commit with its event in PostgreSQL: those requests get the 503
        const cannot = unavailable('database_unavailable', 'The database is unavailable; events that settle a reservation are not buffered. Retry shortly.', 2);
        await Promise.all(batch.map((p) => (settles(p.rows) ? Promise.reject(cannot) : this.toFallback(p.rows)).then(p.resolve, p.reject)));
        return;
      }
      this.opts.log.error({ err: (err as Error).message, events: size, requests: batch.length }, 'batch insert failed; its requests get 503');
      const reply = unavailable('database_unavailable', 'The events could not be confirmed as stored (database unavailable). Retry shortly; events sent with an id are never counted twice.', 2);
      for (const p of batch) p.reject(reply);
    }
  }

  /**
   * Writes a batch with settlements; requests refused for a reservation get their 409/404 here.
   * Returns the requests that were stored and their duplicates (none: every request was refused).
   */
  private async insertSettling(batch: Pending[], rows: EventRow[]): Promise<{ batch: Pending[]; rows: EventRow[]; duplicates: number[] }[]> {
    const requests: number[] = [];
    batch.forEach((p, i) => { for (let j = 0; j < p.rows.length; j++) requests.push(i); });
    const outcome = await this.store.insertSettling!(rows, requests);
    if (outcome.refused.length === 0) return [{ batch, rows, duplicates: outcome.duplicates }];
    const refusedBy = new Map<number, { position: number; reason: string }[]>();
    for (const r of outcome.refused) {
      const req = requests[r.position]!;
      refusedBy.set(req, [...(refusedBy.get(req) ?? []), r]);
    }
    // positions move: re-index the stored requests' rows and duplicates
    const keptBatch: Pending[] = [], keptRows: EventRow[] = [], newPos = new Map<number, number>();
    let offset = 0;
    batch.forEach((p, i) => {
      const refused = refusedBy.get(i);
      if (refused) {
        p.reject(refusal(refused.map((r) => ({ index: r.position - offset, reason: r.reason })), batch[i]!.rows.length > 1, p.rows));
      } else {
        keptBatch.push(p);
        p.rows.forEach((row, j) => { newPos.set(offset + j, keptRows.length); keptRows.push(row); });
      }
      offset += p.rows.length;
    });
    if (keptBatch.length === 0) return [];
    return [{ batch: keptBatch, rows: keptRows, duplicates: outcome.duplicates.map((d) => newPos.get(d)!) }];
  }

  /**
   * A tenant was deleted while some of its events were waiting: the whole statement failed. Each
   * request is written on its own, so only those naming the deleted tenant are refused.
   */
  private async isolate(batch: Pending[]): Promise<void> {
    if (batch.length === 1) {
      batch[0]!.reject(new AppError(409, 'tenant_deleted', 'A tenant of this request was deleted while it was being written; nothing of the request was stored.'));
      return;
    }
    await Promise.all(batch.map((p) => this.flush([p], p.rows.length)));
  }

  /** Hands rows to the fallback; the answer waits for its confirmation. Bounded like the memory buffer. */
  private async toFallback(rows: EventRow[]): Promise<WriteResult> {
    if (this.appending + rows.length > this.opts.bufferMax) {
      throw unavailable('buffer_full', 'The write buffer is full; retry shortly.');
    }
    this.appending += rows.length;
    try {
      await this.opts.fallback!.append(rows);
      this.bufferedEvents += rows.length;
      return { eventIds: rows.map((r) => r.id), duplicates: rows.map(() => false), buffered: true };
    } catch (err) {
      this.opts.log.warn({ err: (err as Error).message, events: rows.length }, 'Valkey buffer refused the events; answering 503');
      throw unavailable('buffer_unavailable', 'Neither the database nor the Valkey buffer can take the events now; nothing was stored. Retry shortly.', 2);
    } finally {
      this.appending -= rows.length;
    }
  }

  /** A duplicate answers with the id its first copy was stored under (best effort: the batch has committed). */
  private async originalIds(rows: EventRow[], positions: number[], eventIds: string[]): Promise<void> {
    try {
      const dups = positions.map((i) => rows[i]!);
      const original = await this.store.idsForKeys(dups.map((r) => r.tenantId), dups.map((r) => r.key!));
      for (const i of positions) eventIds[i] = original.get(`${rows[i]!.tenantId}\u0000${rows[i]!.key}`) ?? eventIds[i]!;
    } catch (err) {
      this.opts.log.warn({ err: (err as Error).message }, 'could not look up the original ids of duplicates');
    }
  }
}
