// The dashboard tells the truth about a tenant far over its quota (issue #13): the summary cards
// count it where it belongs, and the chart's quota and 80% labels do not overlap.
import { expect, test } from '@jest/globals';
import type { Page } from 'playwright-core';
import type { FlagMeter } from '../../server/runtime.ts';
import { post } from '../helpers/app.ts';
import { addTenants } from '../helpers/db.ts';
import { consoleSuite } from '../helpers/console-suite.ts';

let app: FlagMeter;
let page: Page;
consoleSuite({
  seed: (db) => addTenants(db.pool, [{ slug: 'way-over', quota: 100 }, { slug: 'warm', quota: 1000 }, { slug: 'calm', quota: 1000 }]),
  ready: (s) => { ({ app, page } = s); },
  prepare: async () => {
    for (const [tenant, tokens] of [['way-over', 200_000], ['warm', 850], ['calm', 10]] as const) {
      expect((await post(app.url, { tenant, feature: 'gpt-4o', tokens })).status).toBe(201);
    }
  },
});

const stat = (label: string) => page.locator('.stat', { hasText: label }).locator('.stat__value').textContent();

test('a tenant at 200,000% counts as over 80% and over quota', async () => {
  await page.goto(app.url);
  await page.locator('tr[data-tenant="way-over"]').waitFor();
  expect(await stat('80% of quota')).toBe('2');
  expect(await stat('Over quota')).toBe('1');
});

test('far over the quota, the quota and 80% labels do not overlap', async () => {
  await page.goto(`${app.url}/#/tenant/way-over`);
  const chart = page.locator('.chart svg');
  await chart.waitFor();
  const boxes = await page.locator('.chart__quota-label, .chart__warn-label').evaluateAll((els) => els.map((e) => {
    const r = e.getBoundingClientRect();
    return { top: r.top, bottom: r.bottom, left: r.left, right: r.right };
  }));
  const overlaps = boxes.some((a, i) => boxes.some((b, j) => i < j && a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom));
  expect(overlaps).toBe(false);
  // the 80% line is still named
  expect(await page.locator('.chart').textContent()).toContain('80%');
});
