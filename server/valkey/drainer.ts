// Moves buffered batches from the Valkey stream into PostgreSQL. Entries are read through a
// consumer group, inserted with their idempotency keys, and removed from Valkey only after the
// insert committed. A drainer that dies mid-way leaves its entries pending; they are claimed again
// (by itself after a restart, or by another drainer) and inserting them twice counts nothing twice.
import os from 'node:os';
import { insertEvents, type EventRow } from '../db/events.ts';
import type { Pool } from '../db/pool.ts';
import type { Logger } from '../log.ts';
import type { Valkey } from './connection.ts';
import { COUNT, GROUP, STREAM, decodeRows } from './buffer.ts';
import { isMissingTenant } from '../db/errors.ts';
import { existingTenantIds } from '../db/tenants.ts';

type Entry = [id: string, fields: string[]];

export interface DrainerOptions {
  client: Valkey;
  pool: Pool;
  log: Logger;
  /** Events per PostgreSQL transaction (whole entries: an entry is one buffered batch). */
  batchEvents: number;
  /** Entries pending this long with another consumer are taken over (it probably died). */
  claimIdleMs?: number;
  idleSleepMs?: number;
}

const rowsOf = ([, fields]: Entry): EventRow[] => decodeRows(fields[fields.indexOf('rows') + 1]!);

export class Drainer {
  private readonly opts: Required<DrainerOptions>;
  private readonly consumer = `${os.hostname()}-${process.pid}`;
  private running = false;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;

  constructor(opts: DrainerOptions) {
    this.opts = { claimIdleMs: 10_000, idleSleepMs: 250, ...opts };
  }

  start(): void {
    this.running = true;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wake?.();
    await this.loop;
  }

  /** Drains one transaction's worth; returns the number of events committed (0: nothing to do). */
  async drainOnce(): Promise<number> {
    const entries = await this.nextEntries();
    if (entries.length === 0) return 0;
    const rows = entries.flatMap(rowsOf);
    try {
      await insertEvents(this.opts.pool, rows);
    } catch (err) {
      if (!isMissingTenant(err as { code?: string })) throw err;
      // A tenant was deleted (with all its data) while its events waited here: they go with it.
      // Retrying them would block the stream for good, since own pending entries come first.
      const kept = await this.withExistingTenants(rows);
      this.opts.log.warn({ dropped: rows.length - kept.length }, 'drainer: dropped buffered events of deleted tenants');
      await insertEvents(this.opts.pool, kept);
    }
    const ids = entries.map(([id]) => id);
    await this.opts.client.multi().xack(STREAM, GROUP, ...ids).xdel(STREAM, ...ids).decrby(COUNT, rows.length).exec();
    return rows.length;
  }

  private async withExistingTenants(rows: EventRow[]): Promise<EventRow[]> {
    const existing = await existingTenantIds(this.opts.pool, [...new Set(rows.map((r) => r.tenantId))]);
    return rows.filter((r) => existing.has(r.tenantId));
  }

  /** Own pending entries first (a previous failed attempt), then stale ones of others, then new. */
  private async nextEntries(): Promise<Entry[]> {
    const { client, batchEvents, claimIdleMs } = this.opts;
    const count = Math.max(1, Math.ceil(batchEvents / 1000));
    await this.ensureGroup();
    const read = async (from: string) => {
      const res = await client.xreadgroup('GROUP', GROUP, this.consumer, 'COUNT', count, 'STREAMS', STREAM, from) as [string, Entry[]][] | null;
      return res?.[0]?.[1] ?? [];
    };
    const mine = (await read('0')).filter(([, fields]) => fields !== null);
    if (mine.length > 0) return mine;
    const [, claimed] = await client.xautoclaim(STREAM, GROUP, this.consumer, claimIdleMs, '0', 'COUNT', count) as [string, Entry[]];
    if (claimed.length > 0) return claimed;
    return read('>');
  }

  private groupReady = false;

  private async ensureGroup(): Promise<void> {
    if (this.groupReady) return;
    try {
      // from the start of the stream: entries appended before any drainer existed count too
      await this.opts.client.xgroup('CREATE', STREAM, GROUP, '0', 'MKSTREAM');
    } catch (err) {
      if (!String((err as Error).message).includes('BUSYGROUP')) throw err;
    }
    this.groupReady = true;
  }

  /** Never throws: failures (PostgreSQL or Valkey away) are logged once and retried. */
  private async run(): Promise<void> {
    let failing = false;
    while (this.running) {
      let drained = 0;
      try {
        drained = await this.drainOnce();
        if (drained > 0) this.opts.log.info({ events: drained }, 'drained buffered events into PostgreSQL');
        if (failing) this.opts.log.info('drainer: recovered');
        failing = false;
      } catch (err) {
        if (!failing) this.opts.log.warn({ err: (err as Error).message }, 'drainer: cannot drain yet; will retry');
        failing = true;
        this.groupReady = false;
      }
      if (drained === 0 && this.running) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, failing ? 1000 : this.opts.idleSleepMs);
          this.wake = () => { clearTimeout(timer); resolve(); };
        });
      }
    }
  }
}
