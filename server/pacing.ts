// Work that sums every tenant's period (the live stream's usage list, the fast crossing check) gets
// slower as tenants grow (daily rollups keep it independent of traffic). Repeated work waits in proportion to what its last run cost,
// so it keeps the database busy at most 1 / (1 + WAIT_FACTOR) of the time however slow it becomes.
export const WAIT_FACTOR = 4;

/** The pause before the next run: the interval, or WAIT_FACTOR times the last run when that is longer. */
export const nextDelay = (intervalMs: number, lastRunMs: number) => Math.max(intervalMs, WAIT_FACTOR * lastRunMs);

/**
 * Runs fn again and again (first after intervalMs), never two at once, pausing nextDelay() between
 * runs. A run that throws goes to onError; the repetition goes on. Its timer never keeps the process
 * alive by itself (what must run to the end is stopped and flushed by runtime.ts).
 */
export function repeat(fn: () => Promise<void>, intervalMs: number, onError: (err: Error) => void): { stop(): void } {
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const run = async () => {
    const started = performance.now();
    try {
      await fn();
    } catch (err) {
      onError(err as Error);
    } finally {
      if (!stopped) timer = setTimeout(run, nextDelay(intervalMs, performance.now() - started)).unref();
    }
  };
  timer = setTimeout(run, intervalMs).unref();
  return {
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
