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
  let running = 0;
  let overlapped = false;
  const r = repeat(async () => {
    starts.push(performance.now());
    overlapped ||= running > 0;
    running++;
    await sleep(100);
    running--;
  }, 20, (err) => { throw err; });
  await sleep(1000);
  r.stop();
  await sleep(150);
  const count = starts.length;
  await sleep(200);
  // every 20 ms regardless, about eight 100 ms runs would have fit; spaced out, at most three
  expect(count).toBeGreaterThanOrEqual(2);
  expect(count).toBeLessThanOrEqual(3);
  for (let i = 1; i < starts.length; i++) expect(starts[i]! - starts[i - 1]!).toBeGreaterThanOrEqual(100 + 100 * WAIT_FACTOR - 5);
  expect(overlapped).toBe(false);
  // stopped means stopped
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
