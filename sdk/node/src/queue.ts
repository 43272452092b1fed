// The in-memory queue of events waiting to be sent: FIFO, bounded, with the caller's policy when full.
import { QueueFullError } from './errors.ts';

/** What track() does when the queue holds `maxQueueSize` events. */
export type WhenFull = 'block' | 'drop-oldest' | 'throw';

/** An event on its way, with the journal segment that holds it (when spilling to disk). */
export interface Item<E> { event: E; segment: { done(): void } | null }

export class BoundedQueue<E> {
  private items: (Item<E> | undefined)[] = [];
  private head = 0;
  private waiters: (() => void)[] = [];
  dropped = 0;

  readonly capacity: number;
  readonly whenFull: WhenFull;
  private onDrop: (item: Item<E>) => void;

  constructor(capacity: number, whenFull: WhenFull, onDrop: (item: Item<E>) => void) {
    this.capacity = capacity;
    this.whenFull = whenFull;
    this.onDrop = onDrop;
  }

  get length(): number {
    return this.items.length - this.head;
  }

  /** Whether an item may go in now; under 'throw' and 'drop-oldest' the answer is always decided at once. */
  hasRoom(): boolean {
    return this.length < this.capacity;
  }

  /** Adds the item, applying the policy. Returns a promise only under 'block' with no room. */
  push(item: Item<E>): void | Promise<void> {
    if (this.length < this.capacity) {
      this.items.push(item);
      return;
    }
    if (this.whenFull === 'throw') throw new QueueFullError(this.capacity);
    if (this.whenFull === 'drop-oldest') {
      const oldest = this.items[this.head]!;
      this.items[this.head++] = undefined;
      this.dropped++;
      this.onDrop(oldest);
      this.items.push(item);
      return;
    }
    return new Promise<void>((resolve) => this.waiters.push(resolve)).then(() => this.push(item));
  }

  /** Adds without the capacity check (events recovered from the journal were accepted before). */
  forcePush(item: Item<E>): void {
    this.items.push(item);
  }

  /** Puts items back at the front (a batch that could not be delivered before a deadline). */
  unshift(items: Item<E>[]): void {
    this.items = [...items, ...this.items.slice(this.head)];
    this.head = 0;
  }

  /** Removes and returns up to n items from the front, then lets blocked callers in. */
  take(n: number): Item<E>[] {
    const end = Math.min(this.items.length, this.head + n);
    const out = this.items.slice(this.head, end) as Item<E>[];
    this.head = end;
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    this.admitWaiters();
    return out;
  }

  /** Every item still queued (for close() and the journal's count). */
  drain(): Item<E>[] {
    return this.take(this.length);
  }

  get blocked(): number {
    return this.waiters.length;
  }

  private admitWaiters(): void {
    let room = this.capacity - this.length;
    while (room-- > 0 && this.waiters.length > 0) this.waiters.shift()!();
  }
}
