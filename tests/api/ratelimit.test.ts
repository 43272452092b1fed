import { expect, test } from '@jest/globals';
import { LocalRateLimiter, refund } from '../../server/ratelimit.ts';

const limit = { perSecond: 10, burst: 20 };

test('a bucket allows its burst, refuses past it with the wait until enough tokens, and refills', async () => {
  let now = 0;
  const rl = new LocalRateLimiter(() => now);
  expect(await rl.take([{ key: 'a', cost: 15, limit }])).toMatchObject({ allowed: true, limit: 20, remaining: 5 });
  const refused = await rl.take([{ key: 'a', cost: 10, limit }]);
  expect(refused).toMatchObject({ allowed: false, remaining: 5, retryAfterSeconds: 1 });
  now += 500; // +5 tokens
  expect(await rl.take([{ key: 'a', cost: 10, limit }])).toMatchObject({ allowed: true, remaining: 0, resetSeconds: 2 });
  now += 10_000;
  expect(await rl.take([{ key: 'a', cost: 1, limit }])).toMatchObject({ allowed: true, remaining: 19 });
});

test('a request touching several buckets passes only if all can pay, and a refused one costs nothing', async () => {
  const rl = new LocalRateLimiter(() => 0);
  await rl.take([{ key: 'b', cost: 19, limit }]);
  const refused = await rl.take([{ key: 'a', cost: 5, limit }, { key: 'b', cost: 5, limit }]);
  expect(refused.allowed).toBe(false);
  expect(await rl.take([{ key: 'a', cost: 20, limit }])).toMatchObject({ allowed: true, remaining: 0 });
});

test('a batch larger than the burst can never pass', async () => {
  const rl = new LocalRateLimiter(() => 0);
  expect((await rl.take([{ key: 'a', cost: 21, limit }])).retryAfterSeconds).toBe(Infinity);
});

test('refund gives back what was taken, never above the burst', async () => {
  const rl = new LocalRateLimiter(() => 0);
  const charge = [{ key: 'r', cost: 5, limit }];
  await rl.take(charge);
  await refund(rl, charge);
  await refund(rl, charge);
  // full again (20), not 25
  expect(await rl.take([{ key: 'r', cost: 20, limit }])).toMatchObject({ allowed: true, remaining: 0 });
  expect((await rl.take([{ key: 'r', cost: 1, limit }])).allowed).toBe(false);
});
