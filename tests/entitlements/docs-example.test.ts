// The Node snippet of docs/entitlements.md, run as written against a real FlagMeter: reserve,
// call the "model", settle with the real count; release when the call fails; denied at the limit.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { startTestApp } from '../helpers/app.ts';
import { addTenants, createTestDb, type TestDb } from '../helpers/db.ts';
import type { FlagMeter } from '../../server/runtime.ts';
import { check, patchTenant } from './helpers.ts';

let db: TestDb;
let app: FlagMeter;
let dir: string;
let withBudget: (tenant: string, feature: string, estimate: number, id: string, call: () => Promise<unknown>) => Promise<any>;

beforeAll(async () => {
  db = await createTestDb();
  await addTenants(db.pool, [{ slug: 'docs-co', quota: 10_000 }]);
  app = await startTestApp(db.url);
  const doc = readFileSync(path.resolve(import.meta.dirname, '../../docs/entitlements.md'), 'utf8');
  const snippet = /```js\n([\s\S]*?)```/.exec(doc)![1]!;
  dir = await mkdtemp(path.join(os.tmpdir(), 'flagmeter-docs-'));
  await writeFile(path.join(dir, 'snippet.mjs'), snippet);
  process.env.FLAGMETER_URL = app.url;
  process.env.FLAGMETER_KEY = 'unused-with-auth-off';
  ({ withBudget } = await import(path.join(dir, 'snippet.mjs')));
});
afterAll(async () => {
  await app.stop();
  await db.drop();
  await rm(dir, { recursive: true, force: true });
});

test('the documented flow settles, releases and is denied as the docs say', async () => {
  await patchTenant(app.url, 'docs-co', { featureLimits: [{ feature: 'gpt-4o', tokens: 3000, hard: true }] });
  const result = await withBudget('docs-co', 'gpt-4o', 1500, 'req-1', async () => ({ usage: { total_tokens: 1342 } }));
  expect(result.usage.total_tokens).toBe(1342);
  let state = (await check(app.url, { tenant: 'docs-co', feature: 'gpt-4o' })).body;
  expect([state.used, state.reserved]).toEqual([1342, 0]);

  await expect(withBudget('docs-co', 'gpt-4o', 1500, 'req-2', async () => { throw new Error('model down'); })).rejects.toThrow('model down');
  state = (await check(app.url, { tenant: 'docs-co', feature: 'gpt-4o' })).body;
  expect([state.used, state.reserved]).toEqual([1342, 0]);

  expect(await withBudget('docs-co', 'gpt-4o', 1700, 'req-3', async () => ({}))).toEqual({ denied: 'would_exceed', remaining: 1658 });
});
