// The dashboard in a real Chromium against a FlagMeter that wants a caller: it asks to sign in (or
// for an API key) before showing anything, says why a key was refused, then runs live on a read key
// and keeps it for the browser session (a reload), until the key is forgotten. Signing in with a
// name and password: tests/console/console.browser.test.ts.
import { expect, test } from '@jest/globals';
import type { Page } from 'playwright-core';
import type { FlagMeter } from '../../server/runtime.ts';
import { post } from '../helpers/app.ts';
import { addDemoTenants } from '../helpers/demo-usage.ts';
import { consoleSuite } from '../helpers/console-suite.ts';

const ADMIN = 'fm_live_dashadmin001_q7Vb2xKpL9mWnR4tYs8uZc3dFg6hJk1N';
const asAdmin = { authorization: `Bearer ${ADMIN}` };

let app: FlagMeter;
let page: Page;
let navigations = 0;
consoleSuite({
  seed: (db) => addDemoTenants(db.pool),
  env: { FLAGMETER_AUTH: 'true', FLAGMETER_ADMIN_KEY: ADMIN },
  ready: (s) => {
    ({ app, page } = s);
    page.on('framenavigated', (frame) => { if (frame === page.mainFrame()) navigations++; });
  },
});

async function newKey(scopes: string[]): Promise<string> {
  const res = await fetch(`${app.url}/api/keys`, {
    method: 'POST', headers: { ...asAdmin, 'content-type': 'application/json' }, body: JSON.stringify({ name: `dashboard-${scopes.join('-')}`, scopes }),
  });
  expect(res.status).toBe(201);
  return (await res.json()).key;
}

const dialog = () => page.getByRole('dialog', { name: 'Sign in' });
const keyInput = () => page.getByLabel('API key', { exact: true });
const focusedId = () => page.evaluate(() => document.activeElement?.id);
const rows = () => page.locator('tr[data-tenant]');
const storedKey = () => page.evaluate(() => sessionStorage.getItem('flagmeter.apiKey'));

async function enterKey(key: string): Promise<void> {
  await keyInput().fill(key);
  await keyInput().press('Enter');
}

test('without a key the page asks to sign in or for a key, with the focus in the first field, and shows no data', async () => {
  await page.goto(app.url);
  await dialog().waitFor();
  expect(await dialog().getAttribute('aria-modal')).toBe('true');
  expect(await dialog().textContent()).toMatch(/Sign in to the FlagMeter console, or use an API key with the read scope \(kept for this browser session only\)/);
  expect(await keyInput().getAttribute('type')).toBe('password');
  expect(await focusedId()).toBe('signin-name');
  expect(await page.locator('[data-connection]').getAttribute('data-connection')).toBe('locked');
  expect(await rows().count()).toBe(0);
  // nothing behind the prompt takes the focus
  await page.keyboard.press('Tab');
  expect(await page.evaluate(() => !!document.activeElement?.closest('[role=dialog]'))).toBe(true);
});

test('a wrong key is refused: the prompt stays, with the server\'s reason', async () => {
  await enterKey('fm_live_nobodyknows1_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA');
  await page.locator('.keyprompt__error').waitFor();
  expect(await page.locator('.keyprompt__error').textContent()).toBe('The API key is not valid.');
  expect(await dialog().isVisible()).toBe(true);
  expect(await keyInput().inputValue()).toBe('');
  expect(await focusedId()).toBe('keyprompt-key');
  expect(await rows().count()).toBe(0);
  expect(await storedKey()).toBeNull();
});

test('a key without the read scope is refused too', async () => {
  await enterKey(await newKey(['ingest']));
  await page.getByText("This key lacks the 'read' scope.").waitFor();
  expect(await dialog().isVisible()).toBe(true);
  expect(await rows().count()).toBe(0);
});

test('a read key opens the dashboard, and usage arrives live without a reload', async () => {
  await page.evaluate(() => { (window as { __marker?: number }).__marker = 1; });
  const before = navigations;
  const key = await newKey(['read']);
  await enterKey(key);
  await dialog().waitFor({ state: 'detached' });
  await page.locator('[data-connection="live"]').waitFor();
  expect(await rows().count()).toBe(6);
  expect(await storedKey()).toBe(key);
  expect(await page.getByRole('button', { name: 'Forget key' }).isVisible()).toBe(true);

  const tokens = page.locator('tr[data-tenant="hooli"] [data-testid=tokens]');
  expect(await tokens.textContent()).toBe('0');
  expect((await post(app.url, { tenant: 'hooli', feature: 'gpt-4o', tokens: 25_000 }, asAdmin)).status).toBe(201);
  await page.waitForFunction(() => document.querySelector('tr[data-tenant="hooli"] [data-testid=tokens]')?.textContent === '25K');
  expect(navigations).toBe(before);
  expect(await page.evaluate(() => (window as { __marker?: number }).__marker)).toBe(1);

  // the tenant view's own requests carry the key as well
  await page.getByRole('link', { name: 'Hooli' }).click();
  await page.locator('[data-feature="gpt-4o"]').waitFor();
  expect(await page.locator('.chart svg').count()).toBe(1);
});

test('a reload keeps the key for the session', async () => {
  await page.goto(`${app.url}/#/`);
  await page.locator('[data-connection="live"]').waitFor();
  expect(await rows().count()).toBe(6);
  expect(await dialog().count()).toBe(0);
});

test('forgetting the key hides the data and asks again', async () => {
  await page.getByRole('button', { name: 'Forget key' }).click();
  await dialog().waitFor();
  expect(await storedKey()).toBeNull();
  expect(await rows().count()).toBe(0);
  expect(await page.locator('.keyprompt__error').count()).toBe(0);
  expect(await focusedId()).toBe('signin-name');
  await enterKey(ADMIN);
  await page.locator('tr[data-tenant="hooli"]').waitFor();
});
