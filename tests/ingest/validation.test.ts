// Every kind of bad input gets a clear 4xx naming the field, stores nothing, and is never a 500.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { startTestApp, post } from '../helpers/app.ts';
import { addTenants, createTestDb, sums, type TestDb } from '../helpers/db.ts';
import type { FlagMeter } from '../../server/runtime.ts';

let db: TestDb;
let app: FlagMeter;
const ok = { tenant: 'acme-corp', feature: 'gpt-4o', tokens: 10 };

beforeAll(async () => {
  db = await createTestDb();
  await addTenants(db.pool, [{ slug: 'acme-corp' }]);
  app = await startTestApp(db.url, { BODY_LIMIT_BYTES: '4096', EVENTS_MAX_PER_REQUEST: '5', BATCH_MAX_EVENTS: '5', BUFFER_MAX_EVENTS: '100' });
});
afterAll(async () => {
  // nothing any test in this file sent may have been stored
  expect((await sums(db.pool)).eventCount).toBe(0);
  await app.stop();
  await db.drop();
});

describe('the request itself', () => {
  test('a body that is not JSON → 400 invalid_json', async () => {
    const r = await post(app.url, '{"tenant": "acme-corp",');
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe('invalid_json');
  });
  test('NaN is not JSON → 400 invalid_json', async () => {
    const r = await post(app.url, '{"tenant":"acme-corp","feature":"f","tokens":NaN}');
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe('invalid_json');
  });
  test.each(['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x'])('Content-Type %s → 415', async (type) => {
    const r = await post(app.url, JSON.stringify(ok), { 'content-type': type });
    expect(r.status).toBe(415);
    expect(r.body.error.code).toBe('unsupported_media_type');
  });
  test('no Content-Type → 415', async () => {
    const res = await fetch(`${app.url}/api/events`, { method: 'POST', body: new Blob([JSON.stringify(ok)]) });
    expect(res.status).toBe(415);
  });
  test('a body over the limit → 413 naming the limit', async () => {
    const r = await post(app.url, { ...ok, feature: 'x'.repeat(5000) });
    expect(r.status).toBe(413);
    expect(r.body.error).toMatchObject({ code: 'body_too_large', message: expect.stringContaining('4096') });
  });
  test('an empty array → 400 empty_batch', async () => {
    const r = await post(app.url, []);
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe('empty_batch');
  });
  test('more events than allowed → 400 too_many_events', async () => {
    const r = await post(app.url, Array.from({ length: 6 }, () => ok));
    expect(r.status).toBe(400);
    expect(r.body.error).toMatchObject({ code: 'too_many_events', message: expect.stringContaining('at most 5') });
  });
  test.each([['a string', '"hello"'], ['a number', '42'], ['null', 'null'], ['a nested array', '[[{"tenant":"acme-corp"}]]']])('%s as the body → 400', async (_what, body) => {
    const r = await post(app.url, body);
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe('invalid_events');
  });
});

const NUL = '\u0000';
const long = 'x'.repeat(129);
const cases: [string, Record<string, unknown>, string, RegExp][] = [
  ['unknown tenant', { ...ok, tenant: 'nobody' }, 'tenant', /unknown tenant 'nobody'/],
  ['missing tenant', { feature: 'f', tokens: 1 }, 'tenant', /string/],
  ['empty tenant', { ...ok, tenant: '' }, 'tenant', /empty/],
  ['over-long tenant', { ...ok, tenant: long }, 'tenant', /at most 128/],
  ['NUL in tenant', { ...ok, tenant: `acme${NUL}` }, 'tenant', /NUL/],
  ['missing feature', { tenant: 'acme-corp', tokens: 1 }, 'feature', /string/],
  ['empty feature', { ...ok, feature: '' }, 'feature', /empty/],
  ['over-long feature', { ...ok, feature: long }, 'feature', /at most 128/],
  ['NUL in feature', { ...ok, feature: `gpt${NUL}4` }, 'feature', /NUL/],
  ['NUL in user', { ...ok, user: `u${NUL}` }, 'user', /NUL/],
  ['NUL in id', { ...ok, id: `k${NUL}` }, 'id', /NUL/],
  ['missing tokens', { tenant: 'acme-corp', feature: 'f' }, 'tokens', /number/],
  ['negative tokens', { ...ok, tokens: -5 }, 'tokens', /greater than 0/],
  ['zero tokens', { ...ok, tokens: 0 }, 'tokens', /greater than 0/],
  ['fractional tokens', { ...ok, tokens: 1.5 }, 'tokens', /whole number/],
  ['tokens as a string', { ...ok, tokens: '10' }, 'tokens', /number/],
  ['tokens "NaN"', { ...ok, tokens: 'NaN' }, 'tokens', /number/],
  ['tokens above 2^31-1', { ...ok, tokens: 2 ** 31 }, 'tokens', /at most 2147483647/],
  ['unparseable timestamp', { ...ok, timestamp: 'yesterday' }, 'timestamp', /ISO 8601/],
  ['timestamp without a zone', { ...ok, timestamp: '2026-11-20T10:00:00' }, 'timestamp', /ISO 8601/],
  ['timestamp on an impossible date', { ...ok, timestamp: '2026-02-30T10:00:00Z' }, 'timestamp', /ISO 8601|not a valid date/],
  ['timestamp too far ahead', { ...ok, timestamp: new Date(Date.now() + 6 * 60_000).toISOString() }, 'timestamp', /in the future/],
  ['timestamp before the previous billing period', { ...ok, timestamp: new Date(Date.now() - 70 * 86_400_000).toISOString() }, 'timestamp', /before the previous billing period/],
  ['an unknown field', { ...ok, tokns: 10 }, 'tokns', /unknown field/],
  ['tokens that disagree with its parts', { ...ok, tokens: 10, inputTokens: 4, outputTokens: 5 }, 'tokens', /must equal inputTokens \+ outputTokens \+ cachedTokens \(9\)/],
  ['parts that add up to 0', { tenant: 'acme-corp', feature: 'f', inputTokens: 0, outputTokens: 0 }, 'tokens', /greater than 0/],
  ['a negative part', { ...ok, tokens: undefined, inputTokens: 5, cachedTokens: -1 }, 'cachedTokens', /0 or more/],
  ['a fractional part', { ...ok, tokens: undefined, outputTokens: 1.5 }, 'outputTokens', /whole number/],
  ['parts above 2^31-1 together', { tenant: 'acme-corp', feature: 'f', inputTokens: 2 ** 30, outputTokens: 2 ** 30 }, 'tokens', /at most 2147483647/],
];

describe('one bad event → 400 naming the field', () => {
  test.each(cases)('%s', async (_what, event, field, message) => {
    const r = await post(app.url, event);
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe('invalid_events');
    expect(r.body.error.details).toEqual(expect.arrayContaining([expect.objectContaining({ field, message: expect.stringMatching(message) })]));
    expect(r.body.error.details[0]).not.toHaveProperty('index');
  });
});

test('a batch with bad events lists every bad index and stores none of the batch', async () => {
  const r = await post(app.url, [ok, { ...ok, tokens: 0 }, ok, { ...ok, tenant: 'ghost', feature: '' }, { ...ok, extra: true }]);
  expect(r.status).toBe(400);
  const byIndex = r.body.error.details.map((d: { index: number; field: string }) => `${d.index}:${d.field}`).sort();
  expect(byIndex).toEqual(['1:tokens', '3:feature', '4:extra']);
  expect(r.body.error.message).toMatch(/3 of 5 events are invalid; none was stored/);
});

test('a valid timestamp at the edge of the window is accepted, so the window is not simply closed', async () => {
  // checked last: afterAll asserts nothing was stored, so delete what this one stores
  const r = await post(app.url, { ...ok, timestamp: new Date(Date.now() + 4 * 60_000).toISOString() });
  expect(r.status).toBe(201);
  await db.pool.query('truncate flagmeter.events, flagmeter.rollups');
});
