// Token parts on the way in: over HTTP (one event, a batch), through the Valkey buffer's wire format
// (entries written before parts existed still decode), and stored as given.
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { decodeRows, encodeRows } from '../../server/valkey/buffer.ts';
import { post, startTestApp } from '../helpers/app.ts';
import { addTenants, createTestDb, type TestDb } from '../helpers/db.ts';
import type { FlagMeter } from '../../server/runtime.ts';

let db: TestDb;
let app: FlagMeter;
beforeAll(async () => {
  db = await createTestDb();
  await addTenants(db.pool, [{ slug: 'acme' }]);
  app = await startTestApp(db.url);
});
afterAll(async () => {
  await app.stop();
  await db.drop();
});

test('parts are stored as given, tokens is their sum (given or not); an event without parts keeps null parts', async () => {
  expect((await post(app.url, { tenant: 'acme', feature: 'gpt-4o', inputTokens: 7, outputTokens: 5, id: 'a' })).status).toBe(201);
  expect((await post(app.url, [
    { tenant: 'acme', feature: 'gpt-4o', tokens: 10, inputTokens: 4, outputTokens: 3, cachedTokens: 3, id: 'b' },
    { tenant: 'acme', feature: 'gpt-4o', tokens: 9, id: 'c' },
    { tenant: 'acme', feature: 'gpt-4o', cachedTokens: 2, id: 'd' },
  ])).status).toBe(201);
  const { rows } = await db.pool.query(`select idempotency_key as id, tokens, input_tokens, output_tokens, cached_tokens from flagmeter.events order by 1`);
  expect(rows).toEqual([
    { id: 'a', tokens: 12, input_tokens: 7, output_tokens: 5, cached_tokens: 0 },
    { id: 'b', tokens: 10, input_tokens: 4, output_tokens: 3, cached_tokens: 3 },
    { id: 'c', tokens: 9, input_tokens: null, output_tokens: null, cached_tokens: null },
    { id: 'd', tokens: 2, input_tokens: 0, output_tokens: 0, cached_tokens: 2 },
  ]);
  // gpt-4o at the shipped list: (7×2.5 + 5×10) + (4×2.5 + 3×10 + 3×1.25) + 9×2.5 + 2×1.25 = 136.25 per million
  const { rows: [r] } = await db.pool.query(`select trim_scale(sum(cost))::text as cost, sum(input_tokens)::int as input from flagmeter.rollups`);
  expect(r).toEqual({ cost: '0.00013625', input: 11 });
});

test('the Valkey buffer carries the parts, and reads entries written without them', () => {
  const base = { id: '00000000-0000-4000-8000-000000000001', tenantId: 1, feature: 'f', tokens: 6, occurredAt: '2026-12-01T00:00:00.000Z', key: 'k', user: null };
  const withParts = { ...base, inputTokens: 1, outputTokens: 2, cachedTokens: 3 };
  expect(decodeRows(encodeRows([withParts, base]))).toEqual([withParts, base]);
  // an entry from before parts existed: seven fields
  expect(decodeRows(JSON.stringify([[base.id, 1, 'f', 6, base.occurredAt, 'k', null]]))).toEqual([base]);
});
