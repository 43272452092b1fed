// Repeated work that slows down is spaced out in proportion to its cost, never run twice at once.
import { expect, test } from '@jest/globals';
import { nextDelay, repeat, WAIT_FACTOR } from '../../server/pacing.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('the pause is the interval, or WAIT_FACTOR times the last run when longer', () => {
  expect(nextDelay(500, 10)).toBe(500);
  expect(nextDelay(500, 1000)).toBe(1000 * WAIT_FACTOR);
});

test('a slow run spaces the next ones out, and runs never overlap', async () => {
  const starts: number[] = [];
  const took: number[] = [];
  let running = 0;
  let overlapped = false;
  const r = repeat(async () => {
    const at = performance.now();
    starts.push(at);
    overlapped ||= running > 0;
    running++;
    await sleep(100);
    running--;
    took.push(performance.now() - at);
  }, 20, (err) => { throw err; });
  // three runs, however late a loaded machine fires its timers (the spacing follows what each run took)
  const deadline = performance.now() + 20_000;
  while (starts.length < 3 && performance.now() < deadline) await sleep(20);
  r.stop();
  const count = starts.length;
  expect(count).toBe(3);
  // every 20 ms regardless, the next run would start as the last one ends; spaced out, it waits
  // WAIT_FACTOR times as long as the last one took (repeat() times a run from a little before fn starts
  // to a little after it ends, so a little longer than `took`)
  for (let i = 1; i < count; i++) expect(starts[i]! - starts[i - 1]!).toBeGreaterThanOrEqual((1 + WAIT_FACTOR) * took[i - 1]! - 2);
  expect(overlapped).toBe(false);
  // stopped means stopped, the run in flight included
  await sleep(300);
  expect(starts).toHaveLength(count);
});

test('a failing run goes to onError and the repetition goes on', async () => {
  let runs = 0;
  const errors: string[] = [];
  const r = repeat(async () => {
    runs++;
    throw new Error(`boom ${runs}`);
  }, 10, (err) => errors.push(err.message));
  await sleep(200);
  r.stop();
  expect(runs).toBeGreaterThanOrEqual(2);
  expect(errors.slice(0, 2)).toEqual(['boom 1', 'boom 2']);
});
