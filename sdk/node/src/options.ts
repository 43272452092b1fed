// The client's configuration and its defaults (the table in docs/sdk-node.md).
import type { RetryOptions } from './backoff.ts';
import type { FlagMeterError } from './errors.ts';
import type { JournalOptions } from './journal.ts';
import type { WhenFull } from './queue.ts';

export interface RetryInfo {
  /** 1 for the first retry */
  attempt: number;
  /** how long the SDK waits before it (Retry-After when the server sent one) */
  delayMs: number;
  /** the status that caused it; undefined for a network error or timeout */
  status?: number;
  retryAfterMs?: number;
  events: number;
}

export interface FlagMeterOptions {
  /** FlagMeter's URL, e.g. https://flagmeter.example.com */
  baseUrl: string;
  /** a key with the ingest scope (plus evaluate for flags) */
  apiKey?: string;
  /** events per request, 1–1000 (default 1000, the server's EVENTS_MAX_PER_REQUEST) */
  batchSize?: number;
  /** the longest an event waits in memory for its batch to fill, ms (default 1000) */
  flushIntervalMs?: number;
  /** events held in memory waiting to be sent, besides the batch in flight (default 100,000) */
  maxQueueSize?: number;
  /** track() when the queue is full: 'block' (default: wait for room), 'drop-oldest' (counted in stats().dropped), 'throw' */
  whenFull?: WhenFull;
  /** spill every accepted event to JSON-lines files in this folder before track() resolves; replayed on the next start */
  spill?: string | JournalOptions;
  /** per request, ms (default 10,000) */
  timeoutMs?: number;
  retry?: RetryOptions;
  /** check()/reserve() when FlagMeter cannot be reached: 'closed' (default: throw) or 'open' (allowed, reason 'unverified') */
  failMode?: 'open' | 'closed';
  /** retries of a check before failMode applies (default 2) */
  checkRetries?: number;
  /** flush on the process's beforeExit (default true) */
  flushOnExit?: boolean;
  /** how long that exit flush may keep the process alive, ms (default 10,000) */
  exitTimeoutMs?: number;
  /** events refused for good, a lost exit flush, a journal that cannot be written (default: console.warn) */
  onError?: (err: FlagMeterError) => void;
  /** each retry of a batch, with the wait chosen */
  onRetry?: (info: RetryInfo) => void;
  /** a fetch to use instead of the global one */
  fetch?: typeof fetch;
}

export const defaults = {
  batchSize: 1000,
  flushIntervalMs: 1000,
  maxQueueSize: 100_000,
  whenFull: 'block' as WhenFull,
  timeoutMs: 10_000,
  retry: { initialDelayMs: 200, maxDelayMs: 30_000 },
  failMode: 'closed' as const,
  checkRetries: 2,
  flushOnExit: true,
  exitTimeoutMs: 10_000,
};
