// The flags page in a real Chromium: toggling a flag changes the next OFREP answer; the active
// quota rule is shown; promotion shows the dry run's diff before applying; a read key is read-only.
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import type { Page } from 'playwright-core';
import type { FlagMeter } from '../../server/runtime.ts';
import { startTestApp } from '../helpers/app.ts';
import { addTenants, createTestDb, type TestDb } from '../helpers/db.ts';
import { openConsole, screenshot, type Browser } from '../helpers/chromium.ts';

const ADMIN = 'fm_live_flagsadmin03_EEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEE';
let db: TestDb;
let app: FlagMeter;
let browser: Browser;
let page: Page;

async function call(method: string, path: string, body?: unknown) {
  const res = await fetch(`${app.url}${path}`, {
    method, headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}
const evaluate = async (key: string, env = 'dev') =>
  (await call('POST', `/ofrep/v1/evaluate/flags/${key}`, { context: { tenant: 'acme', env, targetingKey: 'u1' } })).body;

beforeAll(async () => {
  db = await createTestDb();
  await addTenants(db.pool, [{ slug: 'acme', quota: 1000 }]);
  app = await startTestApp(db.url, { FLAGMETER_AUTH: 'true', FLAGMETER_ADMIN_KEY: ADMIN });
  await call('POST', '/api/features', { tenant: 'acme', env: 'dev', key: 'checkout', enabled: true, strategy: 'percentage', percentage: 100, description: 'new checkout' });
  await call('POST', '/api/features', { tenant: 'acme', env: 'dev', key: 'llm', enabled: true, strategy: 'boolean', type: 'string', onValue: 'gpt-4o', offValue: 'off', quotaRules: [{ atPercent: 90, serve: 'gpt-4o-mini' }] });
  await call('POST', '/api/events', { tenant: 'acme', feature: 'gpt-4o', tokens: 950 });
  browser = await openConsole(app.url);
  page = browser.page;
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await app?.stop();
  await db?.drop();
});

async function openWith(scopes: string[]): Promise<void> {
  const { body } = await call('POST', '/api/keys', { name: `page-${scopes.join('-')}`, scopes, tenant: 'acme' });
  await page.goto(app.url);
  await page.evaluate((k) => sessionStorage.setItem('flagmeter.apiKey', k), body.key as string);
  await page.goto(`${app.url}/#/tenant/acme/flags`);
  await page.reload();
  await page.locator('tr[data-flag="checkout"]').waitFor();
}

test('toggling a flag in the page changes the next OFREP answer', async () => {
  await openWith(['read', 'flags']);
  const row = page.locator('tr[data-flag="checkout"]');
  await expect(row.locator('td').first().textContent()).resolves.toContain('100% of users');
  expect(await evaluate('checkout')).toMatchObject({ value: true, reason: 'SPLIT' });
  await row.getByRole('switch', { name: 'checkout enabled' }).click();
  await page.locator('tr[data-flag="checkout"][data-enabled="false"]').waitFor();
  expect(await evaluate('checkout')).toMatchObject({ value: false, reason: 'DISABLED' });
  // the history shows the change from the audit log
  await row.getByRole('button', { name: 'History' }).click();
  await page.locator('.history li[data-action="flag.update"]').first().waitFor();
  expect(await page.locator('.history li').first().textContent()).toContain('enabled: true → false');
});

test('the quota rule serving the tenant now is shown', async () => {
  const cell = page.locator('tr[data-flag="llm"] td[data-quota-rule]');
  await expect(cell.textContent()).resolves.toContain('at 90% of quota → “gpt-4o-mini” (95%)');
  await screenshot(page, 'flags.png', { fullPage: true });
});

test('editing a flag: strategy and lists', async () => {
  await page.locator('tr[data-flag="checkout"]').getByRole('button', { name: 'Edit' }).click();
  await page.getByLabel('Strategy').selectOption('targeting');
  await page.getByLabel('Allowed users (one a line)').fill('u1\nu2\nu3');
  await page.getByLabel('Denied users (one a line)').fill('u9');
  await page.getByRole('checkbox', { name: 'Enabled', exact: true }).check();
  await page.getByRole('button', { name: 'Save' }).click();
  await page.locator('tr[data-flag="checkout"][data-enabled="true"]').waitFor();
  expect(await page.locator('tr[data-flag="checkout"] td').first().textContent()).toContain('3 allowed, 1 denied');
  expect(await evaluate('checkout')).toMatchObject({ value: true, reason: 'TARGETING_MATCH' });
});

test('promotion shows the dry run\'s diff, then applies it', async () => {
  await page.getByRole('button', { name: 'Promote…' }).click();
  await page.getByLabel('To').selectOption('prod');
  await page.getByRole('button', { name: 'Preview (dry run)' }).click();
  await page.locator('[data-group="created"]').waitFor();
  expect(await page.locator('[data-group="created"]').textContent()).toContain('checkout');
  // the dry run changed nothing
  expect((await call('GET', '/api/features?tenant=acme&env=prod')).body.total).toBe(0);
  await page.getByRole('button', { name: 'Apply' }).click();
  await page.getByRole('status').filter({ hasText: 'Applied: 2 created' }).waitFor();
  expect((await call('GET', '/api/features?tenant=acme&env=prod')).body.items.map((i: any) => i.key)).toEqual(['checkout', 'llm']);
});

test('a key without flags or admin sees the page read-only', async () => {
  await openWith(['read']);
  await page.locator('[data-readonly]').waitFor();
  expect(await page.getByRole('switch', { name: 'checkout enabled' }).isDisabled()).toBe(true);
  expect(await page.getByRole('button', { name: 'New flag' }).count()).toBe(0);
});
