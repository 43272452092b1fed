// The dashboard in a real Chromium against a real FlagMeter on a test database: usage posted
// through the API shows up on the page without a reload, red from 80%, and the tenant view draws
// its features and chart. Takes screenshots of both on the way: into docs/screenshots (the README's)
// with UPDATE_SCREENSHOTS=1, otherwise into a temporary folder so a test run leaves the tree clean.
import path from 'node:path';
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import type { Page } from 'playwright-core';
import { buildWeb, BUDGET_GZIP_BYTES } from '../../scripts/build-web.ts';
import type { FlagMeter } from '../../server/runtime.ts';
import { get, post, startTestApp } from '../helpers/app.ts';
import { createTestDb, type TestDb } from '../helpers/db.ts';
import { openConsole, screenshot, type Browser } from '../helpers/chromium.ts';
import { addDemoTenants, postDemoUsage } from '../helpers/demo-usage.ts';

let db: TestDb;
let app: FlagMeter;
let browser: Browser;
let page: Page;
let navigations = 0;

beforeAll(async () => {
  const build = await buildWeb();
  expect(build.gzipBytes).toBeLessThan(BUDGET_GZIP_BYTES);
  db = await createTestDb();
  app = await startTestApp(db.url);
  browser = await openConsole(app.url, { ownBuild: false });
  page = browser.page;
  page.on('framenavigated', (frame) => { if (frame === page.mainFrame()) navigations++; });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await app?.stop();
  await db?.drop();
});

const row = (slug: string) => page.locator(`tr[data-tenant="${slug}"]`);
const text = async (selector: string) => (await page.locator(selector).first().textContent())?.trim();

/** Same-document navigations (hash changes) count too; the marker proves the document survived. */
async function expectNoReload(since: number): Promise<void> {
  expect(navigations).toBe(since);
  expect(await page.evaluate(() => (window as { __marker?: number }).__marker)).toBe(1);
}

test('an empty database shows the empty state, not a blank page', async () => {
  await page.goto(app.url);
  await page.getByText('No tenants yet').waitFor();
  expect(await page.locator('[data-connection]').getAttribute('data-connection')).toBe('live');
  await page.evaluate(() => { (window as { __marker?: number }).__marker = 1; });
});

test('tenants and their usage arrive live, without a reload, and a tenant over 80% is red', async () => {
  const before = navigations;
  await addDemoTenants(db.pool);
  await row('acme-corp').waitFor();
  expect(await row('acme-corp').locator('[data-testid=tokens]').textContent()).toBe('0');

  const { body } = await get(app.url, '/api/tenants');
  await postDemoUsage(app.url, Object.fromEntries(body.tenants.map((t: { tenant: string; periodStart: string }) => [t.tenant, t.periodStart])));
  const { body: seeded } = await get(app.url, '/api/tenants');
  await page.waitForFunction((want: Record<string, number>) => Object.entries(want).every(([slug, percent]) =>
    Number(document.querySelector(`tr[data-tenant="${slug}"] [role=progressbar]`)?.getAttribute('data-percent')) === percent),
  Object.fromEntries(seeded.tenants.map((t: { tenant: string; quotaPercent: number }) => [t.tenant, t.quotaPercent])));
  expect(await row('umbrella-health').getAttribute('data-level')).toBe('over');

  // one event moves the numbers and the bar
  const hooli = row('hooli');
  const percentBefore = Number(await hooli.getByRole('progressbar').getAttribute('data-percent'));
  expect(percentBefore).toBeGreaterThan(70);
  expect(percentBefore).toBeLessThan(80);
  expect(await hooli.getAttribute('data-level')).toBe('ok');
  const tokensBefore = await hooli.locator('[data-testid=tokens]').textContent();
  expect((await post(app.url, { tenant: 'hooli', feature: 'gpt-4o', tokens: 25_000 })).status).toBe(201);
  await page.waitForFunction((before) => {
    const bar = document.querySelector('tr[data-tenant="hooli"] [role=progressbar]');
    return Number(bar?.getAttribute('data-percent')) > before;
  }, percentBefore);
  expect(await hooli.locator('[data-testid=tokens]').textContent()).not.toBe(tokensBefore);
  const percentAfter = Number(await hooli.getByRole('progressbar').getAttribute('data-percent'));
  expect(percentAfter).toBeCloseTo(percentBefore + 10, 0);
  expect(await hooli.locator('[data-testid=percent]').textContent()).toBe(`${Math.floor(percentAfter * 10) / 10}%`);

  // crossed 80%: marked as over for machines and painted red for people
  expect(await hooli.getAttribute('data-level')).toBe('warning');
  expect(await hooli.getByRole('progressbar').getAttribute('aria-valuetext')).toMatch(/over 80%/);
  await expect(hooli.getByText('Over 80%').isVisible()).resolves.toBe(true);
  await page.waitForTimeout(600); // let the colour transition finish
  const red = 'rgb(220, 38, 38)';
  expect(await hooli.locator('.bar__fill').evaluate((el) => getComputedStyle(el).backgroundColor)).toBe(red);
  expect(await hooli.locator('[data-testid=percent]').evaluate((el) => getComputedStyle(el).color)).toBe(red);
  expect(await row('umbrella-health').getByText('Over quota').isVisible()).toBe(true);
  expect(await row('initech-llc').getAttribute('data-level')).toBe('ok');

  await expectNoReload(before);
  await screenshot(page, 'overview.png');
});

test('the overview sorts by usage and filters by search', async () => {
  const order = () => page.locator('tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-tenant')));
  expect((await order())[0]).toBe('umbrella-health'); // highest usage first by default
  await page.getByRole('button', { name: /^Usage/ }).click();
  expect((await order())[0]).toBe('initech-llc');
  await page.getByRole('button', { name: /^Usage/ }).click();
  await page.getByRole('searchbox', { name: 'Search tenants' }).fill('glob');
  expect(await order()).toEqual(['globex-inc']);
  await page.getByRole('searchbox', { name: 'Search tenants' }).fill('');
  expect(await order()).toHaveLength(6);
});

test('the tenant view shows features, the chart and the alerts, reached by keyboard', async () => {
  // the minute job records the crossings; mark Stark's as sent to Slack, as the worker would
  await db.pool.query('select flagmeter.tick()');
  await db.pool.query(`update flagmeter.alerts a set status = 'delivered', attempts = 1, delivered_at = now()
    from flagmeter.tenants t where t.id = a.tenant_id and t.slug = 'stark-industries'`);
  const link = page.getByRole('link', { name: 'Stark Industries' });
  await link.focus();
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => location.hash === '#/tenant/stark-industries');
  await page.locator('[data-feature="gpt-4o"]').waitFor();
  expect(await text('h1')).toBe('Stark Industries');
  expect(await page.locator('[data-feature]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-feature'))))
    .toEqual(['gpt-4o', 'claude-sonnet', 'gpt-4o-mini', 'text-embedding-3']);
  expect(await page.locator('section.summary').getAttribute('data-level')).toBe('warning');

  const chart = page.locator('.chart svg');
  expect(Number(await chart.getAttribute('data-points'))).toBeGreaterThan(0);
  expect(await chart.locator('path.chart__line').getAttribute('d')).toMatch(/^M[\d.]+,[\d.]+L/);
  expect(await chart.locator('.chart__bars rect').count()).toBeGreaterThan(0);
  expect(await chart.locator('.chart__quota-label').textContent()).toBe('Quota 10M');
  const alert = page.locator('.alert[data-status="delivered"]');
  expect(await alert.textContent()).toMatch(/Crossed 80%.*Delivered/);

  // live here too: an event moves the tenant's totals
  const before = await text('.figure__value');
  await post(app.url, { tenant: 'stark-industries', feature: 'o3', tokens: 400_000 });
  await page.locator('[data-feature="o3"]').waitFor();
  expect(await text('.figure__value')).not.toBe(before);

  await page.getByRole('button', { name: 'Per hour' }).click();
  await page.waitForFunction(() => document.querySelector('.chart__panel-label')?.textContent === 'Tokens per hour');
  await page.getByRole('button', { name: 'Per day' }).click();
  await page.waitForFunction(() => document.querySelector('.chart__panel-label')?.textContent === 'Tokens per day');
  await page.waitForTimeout(600);
  await screenshot(page, 'tenant.png', { fullPage: true });
  await expectNoReload(navigations);
});

test('shows when it is disconnected and reconnects by itself when the server is back', async () => {
  await page.goto(`${app.url}/#/`);
  await page.evaluate(() => { (window as { __marker?: number }).__marker = 1; });
  const since = navigations;
  const port = new URL(app.url).port;
  await app.stop();
  await page.locator('[data-connection="disconnected"]').waitFor();
  expect(await page.getByRole('alert').textContent()).toMatch(/Lost the connection/);

  app = await startTestApp(db.url, { PORT: port });
  await page.locator('[data-connection="live"]').waitFor({ timeout: 20_000 });
  const before = await row('initech-llc').locator('[data-testid=tokens]').textContent();
  await post(app.url, { tenant: 'initech-llc', feature: 'gpt-4o', tokens: 100_000 });
  await page.waitForFunction((b) => document.querySelector('tr[data-tenant="initech-llc"] [data-testid=tokens]')?.textContent !== b, before);
  await expectNoReload(since);
}, 40_000);

test('is readable on a phone: nothing wider than the screen', async () => {
  const overflow = () => page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  await page.setViewportSize({ width: 390, height: 800 });
  await row('acme-corp').waitFor();
  expect(await overflow()).toBeLessThanOrEqual(0);
  await page.getByRole('link', { name: 'Acme Corp' }).click();
  await page.locator('.chart svg').waitFor();
  expect(await overflow()).toBeLessThanOrEqual(0);
  expect(Number(await page.locator('.chart svg').getAttribute('width'))).toBeLessThanOrEqual(390);
  await page.setViewportSize({ width: 1280, height: 800 });
});
