// Money in the console, in a real Chromium against a FlagMeter that wants keys: the tenant table and
// the tenant view show "$412.50 of $500 — 82.5%" for a tenant with a budget and token parts (the
// cost per feature and its input/output/cached parts, the statement's charges, the printable
// statement opened with the page's key), the cost alone for one without; and the budget form sets
// a budget, after showing the server's refusal of a bad amount next to its field.
import { randomUUID } from 'node:crypto';
import { expect, test } from '@jest/globals';
import type { Page } from 'playwright-core';
import { insertEvents, type EventRow } from '../../server/db/events.ts';
import type { FlagMeter } from '../../server/runtime.ts';
import { screenshot } from '../helpers/chromium.ts';
import { consoleSuite } from '../helpers/console-suite.ts';
import { addTenants } from '../helpers/db.ts';

const ADMIN = 'fm_live_spendconsol1_h4Tq9ZxWc2mLp7RkBv5nYs3dJf8gKa6E';
let app: FlagMeter;
let page: Page;

const event = (tenantId: number, parts: { input: number; output: number; cached: number } | number, at: number): EventRow => ({
  id: randomUUID(), tenantId, feature: 'gpt-4o', occurredAt: new Date(at).toISOString(), key: null, user: 'ada',
  ...(typeof parts === 'number' ? { tokens: parts }
    : { tokens: parts.input + parts.output + parts.cached, inputTokens: parts.input, outputTokens: parts.output, cachedTokens: parts.cached }),
});

consoleSuite({
  seed: async (db) => {
    const ids = await addTenants(db.pool, [{ slug: 'acme', quota: 200_000_000 }, { slug: 'plain', quota: 10_000_000 }]);
    await db.pool.query(`update flagmeter.tenants set name = 'Acme Corp', monthly_budget = 500, budget_hard = true where slug = 'acme'`);
    const now = Date.now() - 120_000;
    // at the shipped gpt-4o price (2.50 / 10 / 1.25 per million): 50 + 300 + 62.50 = $412.50
    await insertEvents(db.pool, [
      event(ids.acme!, { input: 12_000_000, output: 18_000_000, cached: 30_000_000 }, now),
      event(ids.acme!, { input: 8_000_000, output: 12_000_000, cached: 20_000_000 }, now - 60_000),
      // plain tokens (no parts) at the plain price, 2.50: $10
      event(ids.plain!, 4_000_000, now),
    ]);
  },
  env: { FLAGMETER_AUTH: 'true', FLAGMETER_ADMIN_KEY: ADMIN },
  ready: (s) => { ({ app, page } = s); },
});

const row = (slug: string) => page.locator(`tr[data-tenant="${slug}"]`);

test('the tenant table and the tenant view show the money beside the tokens, and the printable statement opens with the key', async () => {
  await page.goto(`${app.url}/#/`);
  const input = page.getByLabel('API key', { exact: true });
  await input.fill(ADMIN);
  await input.press('Enter');

  // the table: the budget as money and percent over its own bar; the cost alone without a budget
  await row('acme').getByTestId('budget').waitFor();
  expect(await row('acme').getByTestId('budget').textContent()).toBe('$412.50 of $500 — 82.5%');
  const bar = row('acme').getByRole('progressbar', { name: 'Acme Corp budget' });
  expect(await bar.getAttribute('data-percent')).toBe('82.5');
  expect(await bar.getAttribute('aria-valuetext')).toBe('82.5% of budget, over 80%');
  expect(await row('acme').getByTestId('percent').textContent()).toBe('50%');
  expect(await row('plain').getByTestId('cost').textContent()).toBe('$10');
  expect(await row('plain').getByTestId('budget').count()).toBe(0);

  // the tenant view: cost figure, budget card, features with parts and cost, the statement's charges
  await row('acme').getByRole('link', { name: 'Acme Corp' }).click();
  const budget = page.getByRole('region', { name: 'Budget this period' });
  await budget.waitFor();
  expect(await budget.getByTestId('budget').textContent()).toBe('$412.50 of $500 — 82.5%');
  expect(await budget.getAttribute('data-hard')).toBe('true');
  expect(await budget.getByText('$87.50 left of the monthly budget, in USD').isVisible()).toBe(true);
  expect(await page.locator('.figure', { hasText: 'Cost' }).locator('.figure__value').textContent()).toBe('$412.50');
  const feature = page.locator('tr[data-feature="gpt-4o"]');
  await feature.waitFor();
  expect(await feature.locator('td').allTextContents()).toEqual(['100%', '100M', '20M', '30M', '50M', '2', '$412.50']);
  const lines = page.getByTestId('statement-lines');
  expect(await lines.locator('tbody tr').evaluateAll((trs) => trs.map((tr) => [tr.getAttribute('data-kind'), ...[...tr.querySelectorAll('td')].map((td) => td.textContent)])))
    .toEqual([['input', 'input', '20M', '$2.50', '$50'], ['output', 'output', '30M', '$10.00', '$300'], ['cached', 'cached input', '50M', '$1.25', '$62.50']]);
  expect(await page.getByTestId('statement-total').textContent()).toBe('$412.50');
  expect(await page.locator('[data-testid=top-users] tr[data-user="ada"] td').last().textContent()).toBe('$412.50');

  await screenshot(page, 'spend-tenant-view.png', { fullPage: true });
  // on a phone nothing is wider than the screen (the parts columns give way; wide tables scroll in their card)
  await page.setViewportSize({ width: 390, height: 800 });
  expect(await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth)).toBeLessThanOrEqual(0);
  await page.setViewportSize({ width: 1280, height: 800 });

  // "Printable statement": fetched with the key (a bare link could not carry it), shown in a new tab
  const [tab] = await Promise.all([page.context().waitForEvent('page'), page.getByRole('button', { name: 'Printable statement' }).click()]);
  await tab.waitForURL(/^blob:/);
  await tab.getByRole('heading', { name: 'Usage statement' }).waitFor();
  expect(await tab.locator('[data-field=tenantName]').textContent()).toBe('Acme Corp');
  expect(await tab.locator('[data-field=totalCost]').textContent()).toBe('$412.50');
  expect(await tab.locator('tr.line').count()).toBe(3);
  expect(await tab.locator('script').count()).toBe(0);
  await tab.close();
}, 60_000);

test('the budget form shows the server\'s refusal next to the field, then sets a hard budget that the table and the view show', async () => {
  await page.goto(`${app.url}/#/tenant/plain`);
  const form = page.locator('form', { has: page.getByRole('heading', { name: 'Budget', exact: true }) });
  await form.waitFor();
  expect(await page.getByRole('region', { name: 'Budget this period' }).count()).toBe(0);
  expect(await form.getByRole('button', { name: 'Remove budget' }).count()).toBe(0);

  const amount = form.getByLabel('Monthly budget (USD)');
  await amount.fill('-5');
  await form.getByRole('button', { name: 'Save budget' }).click();
  const error = form.locator('[data-field=monthlyBudget] .field__error');
  await error.waitFor();
  expect(await error.textContent()).toMatch(/monthlyBudget must be greater than 0/);
  expect(await amount.getAttribute('aria-invalid')).toBe('true');
  await page.waitForFunction(() => document.activeElement?.getAttribute('name') === 'monthlyBudget');

  await amount.fill('20');
  await form.getByLabel('Hard budget').check();
  await form.getByRole('button', { name: 'Save budget' }).click();
  await form.getByText('Budget saved.').waitFor();
  const budget = page.getByRole('region', { name: 'Budget this period' });
  await budget.waitFor();
  expect(await budget.getByTestId('budget').textContent()).toBe('$10 of $20 — 50%');
  expect(await budget.getAttribute('data-hard')).toBe('true');
  const stored = await (await fetch(`${app.url}/api/usage/plain`, { headers: { authorization: `Bearer ${ADMIN}` } })).json();
  expect(stored.budget).toEqual({ limit: '20', used: '10', percent: 50, hard: true });

  await page.getByRole('link', { name: '← All tenants' }).click();
  await row('plain').getByTestId('budget').waitFor();
  expect(await row('plain').getByTestId('budget').textContent()).toBe('$10 of $20 — 50%');

  // and removed again
  await page.goto(`${app.url}/#/tenant/plain`);
  await form.getByRole('button', { name: 'Remove budget' }).click();
  await form.getByText('Budget removed.').waitFor();
  await page.waitForFunction(() => !document.querySelector('section.budget'));
  const removed = await (await fetch(`${app.url}/api/tenants`, { headers: { authorization: `Bearer ${ADMIN}` } })).json();
  expect(removed.tenants.find((t: any) => t.tenant === 'plain').budget).toBeNull();
  expect(removed.tenants.find((t: any) => t.tenant === 'acme').budget).toEqual({ limit: '500', used: '412.5', percent: 82.5, hard: true });
}, 60_000);
