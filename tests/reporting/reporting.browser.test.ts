// The tenant view's reporting parts in a real Chromium against a FlagMeter that wants keys: the top
// users table, the period picker (the figures, chart, features and alerts follow a past period),
// and "Download CSV", which must carry the page's key (fetch + Blob, not a bare link).
import { readFile } from 'node:fs/promises';
import { randomUUID } from 'node:crypto';
import { expect, test } from '@jest/globals';
import { parse } from 'csv-parse/sync';
import type { Page } from 'playwright-core';
import { insertEvents } from '../../server/db/events.ts';
import type { FlagMeter } from '../../server/runtime.ts';
import { addTenants } from '../helpers/db.ts';
import { consoleSuite } from '../helpers/console-suite.ts';

const ADMIN = 'fm_live_reportdash01_q7Vb2xKpL9mWnR4tYs8uZc3dFg6hJk1N';
const DAY = 86_400_000;
let app: FlagMeter;
let page: Page;

consoleSuite({
  seed: async (db) => {
    const { acme } = await addTenants(db.pool, [{ slug: 'acme', billingDay: 1, timezone: 'UTC', quota: 1_000_000 }]);
    const now = Date.now();
    // this period: three users and anonymous traffic; the previous period: one big user
    const rows = [
      ...Array.from({ length: 30 }, (_, i) => ({ at: now - (i % 3) * 60_000, user: ['ada', 'grace', 'linus'][i % 3]!, tokens: 1000 * (1 + (i % 3)) })),
      ...Array.from({ length: 5 }, (_, i) => ({ at: now - i * 60_000, user: null, tokens: 700 })),
    ];
    const { rows: [prev] } = await db.pool.query(`select p.period_start from flagmeter.billing_period(1, 'UTC', now()) c, flagmeter.billing_period(1, 'UTC', c.period_start - interval '1 second') p`);
    for (let i = 0; i < 10; i++) rows.push({ at: prev.period_start.getTime() + DAY * (1 + i), user: 'old-timer', tokens: 50_000 });
    await insertEvents(db.pool, rows.map((r, i) => ({ id: randomUUID(), tenantId: acme!, feature: i % 2 ? 'gpt-4o' : 'mini', tokens: r.tokens, occurredAt: new Date(r.at).toISOString(), key: null, user: r.user })));
  },
  env: { FLAGMETER_AUTH: 'true', FLAGMETER_ADMIN_KEY: ADMIN },
  ready: (s) => { ({ app, page } = s); },
});

async function readKey(): Promise<string> {
  const res = await fetch(`${app.url}/api/keys`, {
    method: 'POST', headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'dash-read', scopes: ['read'] }),
  });
  return (await res.json()).key;
}

test('top users, a past period picked, and CSV downloads that carry the key', async () => {
  await page.goto(`${app.url}/#/tenant/acme`);
  const input = page.getByLabel('API key', { exact: true });
  await input.fill(await readKey());
  await input.press('Enter');

  // this period: the top users, largest first, anonymous events as "(no user)"
  const users = page.locator('[data-testid=top-users] tbody tr');
  await users.first().waitFor();
  expect(await users.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-user')))).toEqual(['linus', 'grace', 'ada', '']);
  expect(await page.locator('[data-testid=top-users] tr[data-user=""] th').textContent()).toBe('(no user)');

  // the statement of this period, downloaded through fetch with the key
  const [statement] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download statement (CSV)' }).click()]);
  expect(statement.suggestedFilename()).toMatch(/^statement-acme-\d{4}-\d{2}-\d{2}\.csv$/);
  const rows = parse(await readFile((await statement.path())!, 'utf8'), { columns: true }) as Record<string, string>[];
  expect(rows[0]).toMatchObject({ section: 'total', tokens: String(10 * 6000 + 5 * 700) });
  expect(rows.filter((r) => r.section === 'user').map((r) => r.user)).toEqual(['linus', 'grace', 'ada', '']);

  // the previous period: figures, features, top users and chart follow the picker
  const picker = page.getByTestId('period-picker');
  const options = await picker.locator('option').allTextContents();
  expect(options[0]).toMatch(/^This period/);
  expect(options.length).toBe(2);
  await picker.selectOption({ index: 1 });
  await page.getByText('Used in the period').waitFor();
  await page.waitForFunction(() => document.querySelector('[data-testid=top-users] tbody tr')?.getAttribute('data-user') === 'old-timer');
  expect(await page.locator('.figure').first().locator('.figure__value').textContent()).toBe('500K');
  expect(await page.locator('[data-feature]').count()).toBe(2);
  expect(await page.locator('.chart svg').getAttribute('data-points')).toBe('10');
  expect(await page.getByRole('heading', { name: 'Alerts in this period' }).isVisible()).toBe(true);

  // "Download CSV" of the chart: the query API per day and feature over that period
  const [chartCsv] = await Promise.all([page.waitForEvent('download'), page.locator('.card__tools').getByRole('button', { name: 'Download CSV' }).click()]);
  expect(chartCsv.suggestedFilename()).toMatch(/^usage-acme-.*-day\.csv$/);
  const chartRows = parse(await readFile((await chartCsv.path())!, 'utf8'), { columns: true }) as Record<string, string>[];
  expect(chartRows.reduce((a, r) => a + Number(r.tokens), 0)).toBe(500_000);
  expect(Object.keys(chartRows[0]!)).toEqual(['windowStart', 'windowEnd', 'feature', 'tokens', 'events']);

  // and back to this period
  await picker.selectOption({ index: 0 });
  await page.getByText('Used this period').waitFor();
}, 60_000);
