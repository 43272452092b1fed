// CSV exports guard against formula injection (#20, OWASP "CSV Injection"): a text cell that starts
// with = + - @, a tab or a CR gets a leading ', so a spreadsheet shows it instead of running it; on
// by default (CSV_ESCAPE_FORMULAS), in every CSV answer, and never on numbers (a negative stays one).
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { parse } from 'csv-parse/sync';
import { insertEvents } from '../../server/db/events.ts';
import { csvRecords } from '../../server/reporting/csv.ts';
import { startTestApp } from '../helpers/app.ts';
import { addTenants, createTestDb, foldUserRollupsCaughtUp, type TestDb } from '../helpers/db.ts';
import type { FlagMeter } from '../../server/runtime.ts';

// names a spreadsheet would run, and names that only look close (written as they are)
const RISKY = ['=HYPERLINK("http://x","y")', '+1+2', '-2+3', '@SUM(A1)', '\tpad', '\rcr', '=a,b'];
const SAFE = ['plain', 'a=b', ' =spaced', "'quoted", 'x-1'];
const guarded = (s: string) => `'${s}`;

let db: TestDb;
let on: FlagMeter;
let off: FlagMeter;

beforeAll(async () => {
  db = await createTestDb();
  const ids = await addTenants(db.pool, [{ slug: 'names' }]);
  // written below the API, so the test does not depend on which names the API accepts
  const at = new Date(Date.now() - 2 * 86_400_000).toISOString();
  await insertEvents(db.pool, [...RISKY, ...SAFE].map((name, i) => (
    { id: randomUUID(), tenantId: ids.names!, feature: name, tokens: 10 + i, occurredAt: at, key: null, user: name })));
  await insertEvents(db.pool, [{ id: randomUUID(), tenantId: ids.names!, feature: 'refunds', tokens: 1, occurredAt: at, key: null, user: 'negative' }]);
  await foldUserRollupsCaughtUp(db.pool);
  // a negative number in a numeric column (as a correction would leave it): it must stay a number
  await db.pool.query(`update flagmeter.rollups_daily_users set tokens = -5 where end_user = 'negative'`);
  on = await startTestApp(db.url);
  off = await startTestApp(db.url, { CSV_ESCAPE_FORMULAS: 'false' });
}, 30_000);
afterAll(async () => {
  await on?.stop();
  await off?.stop();
  await db.drop();
});

const from = new Date(Date.now() - 5 * 86_400_000).toISOString().slice(0, 10);
const to = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
const query = `/api/usage/names/query?window=day&groupBy=feature,user&from=${from}&to=${to}`;

async function csv(app: FlagMeter, path: string): Promise<Record<string, string>[]> {
  const res = await fetch(`${app.url}${path}`, { headers: { accept: 'text/csv' } });
  expect(res.status).toBe(200);
  return parse(await res.text(), { columns: true, relax_quotes: false }) as Record<string, string>[];
}

describe('formula injection in CSV exports', () => {
  test('the query CSV prefixes risky feature and user names with a quote, and leaves other names and numbers alone', async () => {
    const rows = await csv(on, `${query}&format=csv`);
    const byUser = new Map(rows.map((r) => [r.user, r]));
    for (const name of RISKY) expect({ name, row: byUser.get(guarded(name)) }).toMatchObject({ name, row: { feature: guarded(name), user: guarded(name) } });
    for (const name of SAFE) expect({ name, row: byUser.get(name) }).toMatchObject({ name, row: { feature: name, user: name } });
    expect(byUser.get('negative')).toMatchObject({ feature: 'refunds', tokens: '-5', events: '1' });
    expect(rows.every((r) => /^\d{4}-\d{2}-\d{2}T/.test(r.windowStart!) && /^-?\d+$/.test(r.tokens!))).toBe(true);
    // JSON is data, not a spreadsheet: names exactly as sent
    const json = await (await fetch(`${on.url}${query}`)).json() as { rows: { feature: string; user: string }[] };
    expect(json.rows.map((r) => r.user).sort()).toEqual([...RISKY, ...SAFE, 'negative'].sort());
  });

  test('the statement CSV guards its feature and user cells the same way', async () => {
    const { periods } = await (await fetch(`${on.url}/api/tenants/names/periods`)).json() as { periods: { periodStart: string; current: boolean }[] };
    const current = periods.find((p) => p.current)!;
    const rows = await csv(on, `/api/tenants/names/periods/${encodeURIComponent(current.periodStart)}?format=csv`);
    const features = rows.filter((r) => r.section === 'feature').map((r) => r.feature);
    const users = rows.filter((r) => r.section === 'user').map((r) => r.user);
    for (const name of RISKY) {
      expect({ name, feature: features.includes(guarded(name)), user: users.includes(guarded(name)) }).toEqual({ name, feature: true, user: true });
    }
    for (const name of SAFE) expect({ name, feature: features.includes(name), user: users.includes(name) }).toEqual({ name, feature: true, user: true });
    expect(rows.find((r) => r.section === 'user' && r.user === 'negative')).toMatchObject({ tokens: '-5' });
  });

  test('CSV_ESCAPE_FORMULAS=false writes names exactly as sent', async () => {
    const rows = await csv(off, `${query}&format=csv`);
    expect(rows.map((r) => r.user).sort()).toEqual([...RISKY, ...SAFE, 'negative'].sort());
  });

  test('the small lists (periods) guard text cells only: numbers, negative ones included, stay numbers', () => {
    const text = csvRecords([['-1', -1, '=x', 0.5, '@a', 'ok', null]], true);
    expect(parse(text)).toEqual([["'-1", '-1', "'=x", '0.5', "'@a", 'ok', '']]);
    expect(parse(csvRecords([['=x', -1]], false))).toEqual([['=x', '-1']]);
  });
});
