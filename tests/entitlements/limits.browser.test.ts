// The tenant view's limits card in a real Chromium: the quota and each feature limit with its bar,
// the hard/soft badge, reserved tokens and overage, as set through the API; and a feature limit in
// money set through the limits form (the server's refusal shown on its row first), shown in the card
// as money, and the alerts the minute tick raises past 80% of it and of the monthly budget, in money.
import { expect, test } from '@jest/globals';
import type { Page } from 'playwright-core';
import { loadConfig } from '../../server/config.ts';
import { runTick } from '../../server/jobs/tick.ts';
import type { FlagMeter } from '../../server/runtime.ts';
import { addTenants } from '../helpers/db.ts';
import { call, check, patchTenant, postEvent } from '../entitlements/helpers.ts';
import { consoleSuite } from '../helpers/console-suite.ts';

let app: FlagMeter;
let page: Page;
consoleSuite({
  seed: async (db) => {
    await addTenants(db.pool, [{ slug: 'limits-co', quota: 10_000 }, { slug: 'money-co', quota: 1_000_000_000 }]);
    await db.pool.query(`update flagmeter.tenants set monthly_budget = 50 where slug = 'money-co'`);
  },
  // the worker's role, for its alert queue; the minute tick is called by the test (no fast check)
  env: { ALERT_CHECK_INTERVAL_MS: '0' },
  role: 'all',
  ready: (s) => { ({ app, page } = s); },
});

test('each limit shows its bar, hard/soft, reserved tokens and overage', async () => {
  await patchTenant(app.url, 'limits-co', { quotaHard: true, featureLimits: [{ feature: 'gpt-4o', tokens: 1000, hard: true }, { feature: 'mini', tokens: 500 }] });
  expect((await postEvent(app.url, [{ tenant: 'limits-co', feature: 'gpt-4o', tokens: 400 }, { tenant: 'limits-co', feature: 'mini', tokens: 600 }])).status).toBe(201);
  expect((await check(app.url, { tenant: 'limits-co', feature: 'gpt-4o', tokens: 250, reserve: true })).body.allowed).toBe(true);

  await page.goto(`${app.url}/#/tenant/limits-co`);
  const limit = (feature: string) => page.locator(`li.limit[data-limit="${feature}"]`);
  await limit('gpt-4o').waitFor();
  expect(await page.locator('li.limit').count()).toBe(3);
  expect(await limit('').getAttribute('data-hard')).toBe('true');
  expect((await limit('').locator('.badge').textContent())?.trim()).toBe('hard');
  expect(await limit('').locator('[role=progressbar]').getAttribute('data-percent')).toBe('10');
  expect(await limit('gpt-4o').locator('.limit__reserved').textContent()).toMatch(/250 reserved/);
  expect(await limit('gpt-4o').locator('[role=progressbar]').getAttribute('data-percent')).toBe('40');
  expect((await limit('mini').locator('.badge').textContent())?.trim()).toBe('soft');
  expect(await limit('mini').locator('.limit__overage').textContent()).toMatch(/100 over/);
  expect(await limit('mini').locator('[role=progressbar]').getAttribute('data-level')).toBe('over');
}, 30_000);

test('an admin sets a feature limit in money through the form; the card shows it in money, and the alerts past 80% read in money', async () => {
  await page.goto(`${app.url}/#/tenant/money-co`);
  const form = page.locator('form[aria-labelledby="limits-form-title"]');
  await form.waitFor();
  await form.getByRole('button', { name: 'Add a feature limit' }).click();
  const row = form.locator('[data-limit-row="0"]');
  await row.getByLabel('Limit 1: feature').fill('gpt-4o');
  await row.getByLabel('Limit 1: unit').selectOption('money');
  expect(await row.getByLabel('Limit 1: unit').locator('option:checked').textContent()).toBe('money (USD)');
  const amount = row.getByLabel('Limit 1: amount');
  await amount.fill('-5');
  await form.getByRole('button', { name: 'Save limits' }).click();
  // the server's refusal, on the row, and the focus on the amount
  await row.locator('.field__error').waitFor();
  expect(await row.locator('.field__error').textContent()).toMatch(/^monthlyBudget: monthlyBudget must be greater than 0/);
  expect(await amount.getAttribute('aria-invalid')).toBe('true');
  await page.waitForFunction(() => document.activeElement?.getAttribute('aria-label') === 'Limit 1: amount');
  expect((await call(app.url, 'GET', '/api/tenants/money-co')).body.featureLimits).toEqual([]);

  await amount.fill('50.00');
  await row.getByLabel('hard').check();
  await form.getByRole('button', { name: 'Save limits' }).click();
  await form.getByText('Limits saved.').waitFor();
  expect(await row.locator('.field__error').count()).toBe(0);
  expect((await call(app.url, 'GET', '/api/tenants/money-co')).body.featureLimits).toEqual([{ feature: 'gpt-4o', monthlyBudget: expect.stringMatching(/^50(\.0*)?$/), hard: true }]);

  // the card shows it at once, in money, beside the quota in tokens
  const money = page.locator('li.limit[data-limit="gpt-4o"][data-unit="money"]');
  await money.waitFor();
  expect(await money.getByTestId('feature-budget').textContent()).toBe('$0 of $50 — 0%');
  expect(await money.getAttribute('data-hard')).toBe('true');
  expect(await page.locator('li.limit[data-unit="tokens"]').count()).toBe(1);

  // at the shipped gpt-4o price (2.50 per million plain tokens), 16.5M tokens cost $41.25: 82.5% of both
  expect((await postEvent(app.url, { tenant: 'money-co', feature: 'gpt-4o', tokens: 16_500_000 })).status).toBe(201);
  await page.waitForFunction(() => document.querySelector('li.limit[data-unit="money"] [data-testid="feature-budget"]')?.textContent === '$41.25 of $50 — 82.5%');
  expect(await money.getByRole('progressbar').getAttribute('data-percent')).toBe('82.5');
  expect(await money.getByRole('progressbar').getAttribute('data-level')).toBe('warning');
  expect(await money.getByRole('progressbar').getAttribute('aria-valuetext')).toBe('82.5% of budget, over 80%');

  // the minute tick: one alert on the feature's money limit, one on the tenant's monthly budget
  // (the first test's tenant, past its mini limit, gets its own two token alerts in the same tick)
  await runTick(app.pool, app.worker!.enqueue, loadConfig({ LOG_LEVEL: 'silent' }));
  const raised = (await call(app.url, 'GET', '/api/alerts?tenant=money-co')).body.alerts;
  expect(raised.map((a: any) => [a.unit, a.feature, a.threshold, a.usedCost, a.budget, a.quota]).sort())
    .toEqual([['money', null, 80, '41.25', '50', 0], ['money', 'gpt-4o', 80, '41.25', '50', 0]]);
  await page.reload();
  const shown = page.locator('.alert[data-unit="money"]');
  await shown.first().waitFor();
  const figures = async (feature: string) => (await page.locator(`.alert[data-unit="money"][data-alert-feature="${feature}"] [data-testid=alert-figures]`).textContent())?.trim();
  expect(await shown.count()).toBe(2);
  expect(await figures('gpt-4o')).toBe('· budget on gpt-4o: $41.25 of $50 — 82.5%');
  expect(await figures('')).toBe('· monthly budget: $41.25 of $50 — 82.5%');
  expect(await page.locator('.alert').first().locator('strong').textContent()).toBe('Crossed 80%');

  // the form shows the limit again as it was set: in money, hard
  const again = page.locator('form[aria-labelledby="limits-form-title"] [data-limit-row="0"]');
  expect(await again.getByLabel('Limit 1: unit').inputValue()).toBe('money');
  expect(await again.getByLabel('Limit 1: amount').inputValue()).toMatch(/^50(\.0*)?$/);
  expect(await again.getByLabel('hard').isChecked()).toBe(true);
}, 60_000);
