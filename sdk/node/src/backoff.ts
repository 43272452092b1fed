// How long to wait before the next attempt: exponential with full jitter, or the server's Retry-After.

export interface RetryOptions {
  /** first backoff ceiling in ms (default 200) */
  initialDelayMs?: number;
  /** largest backoff ceiling in ms (default 30,000) */
  maxDelayMs?: number;
}

/** Full jitter (a random wait in [0, ceiling]): retries from many processes spread out instead of marching together. */
export function backoffMs(attempt: number, opts: Required<RetryOptions>, random: () => number = Math.random): number {
  const ceiling = Math.min(opts.maxDelayMs, opts.initialDelayMs * 2 ** attempt);
  return Math.round(random() * ceiling);
}

/** Retry-After as seconds or an HTTP date; undefined when absent or unreadable. */
export function retryAfterMs(header: string | null, now = Date.now()): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** The wait before attempt `attempt + 1`: never earlier than Retry-After, plus up to 10% jitter. */
export function nextDelayMs(attempt: number, retryAfter: number | undefined, opts: Required<RetryOptions>, random: () => number = Math.random): number {
  if (retryAfter !== undefined) return Math.ceil(retryAfter + random() * retryAfter * 0.1);
  return backoffMs(attempt, opts, random);
}

/** A timer that does not keep the process alive on its own (the exit flush keeps it alive when needed). */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(done, ms);
    (t as { unref?: () => void }).unref?.();
    signal?.addEventListener('abort', done, { once: true });
    function done() {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
  });
}

/** 408, 429 and 5xx are worth another attempt; other 4xx are the request's fault. */
export const retryable = (status: number) => status === 408 || status === 429 || status >= 500;
