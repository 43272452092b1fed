// The tenant view's limits card in a real Chromium: the quota and each feature limit with its bar,
// the hard/soft badge, reserved tokens and overage, as set through the API.
import { expect, test } from '@jest/globals';
import type { Page } from 'playwright-core';
import type { FlagMeter } from '../../server/runtime.ts';
import { addTenants } from '../helpers/db.ts';
import { check, patchTenant, postEvent } from '../entitlements/helpers.ts';
import { consoleSuite } from '../helpers/console-suite.ts';

let app: FlagMeter;
let page: Page;
consoleSuite({
  seed: (db) => addTenants(db.pool, [{ slug: 'limits-co', quota: 10_000 }]),
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
