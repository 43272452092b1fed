// The console's webhooks page in a real Chromium: a refused address shown at the URL field, an
// endpoint registered with its secret shown once (and that secret verifies what the receiver gets),
// the delivery log filled by the real worker, a resend, secret rotation, disabling, subscriptions.
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import type { Page } from 'playwright-core';
import { Webhook } from 'standardwebhooks';
import type { FlagMeter } from '../../server/runtime.ts';
import { startTestApp } from '../helpers/app.ts';
import { openConsole, screenshot, type Browser } from '../helpers/chromium.ts';
import { addTenants, createTestDb, type TestDb } from '../helpers/db.ts';
import { call } from '../helpers/people.ts';
import { startReceiver, type Receiver } from '../helpers/receiver.ts';
import { waitUntil } from '../helpers/net.ts';

const ADMIN_KEY = 'fm_live_webhooksad01_FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF';
const ADMIN_PASSWORD = 'webhooks admin password';

let db: TestDb;
let app: FlagMeter;
let receiver: Receiver;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  db = await createTestDb();
  await addTenants(db.pool, [{ slug: 'acme-corp' }]);
  receiver = await startReceiver();
  app = await startTestApp(db.url, {
    WEBHOOK_ALLOW_HOSTS: '127.0.0.1', WEBHOOK_POLL_MS: '100', ALERT_CHECK_INTERVAL_MS: '0',
    FLAGMETER_AUTH: 'true', FLAGMETER_ADMIN_KEY: ADMIN_KEY, FLAGMETER_ADMIN_PASSWORD: ADMIN_PASSWORD,
  }, 'all');
  browser = await openConsole(app.url, { timeoutMs: 10_000 });
  page = browser.page;
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await app?.stop();
  await receiver?.close();
  await db?.drop();
});

const flag = (percentage: number) => call(app.url, 'POST', '/api/features', {
  bearer: ADMIN_KEY, body: { tenant: 'acme-corp', env: 'prod', key: 'new-model', enabled: true, strategy: 'percentage', percentage },
});

test('register an endpoint, see deliveries arrive signed, resend one, rotate the secret, disable it', async () => {
  await page.goto(`${app.url}/#/webhooks`);
  const dialog = page.getByRole('dialog', { name: 'Sign in' });
  await dialog.waitFor();
  await page.getByLabel('Name', { exact: true }).fill('admin');
  await page.getByLabel('Password', { exact: true }).fill(ADMIN_PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await dialog.waitFor({ state: 'detached' });
  await page.getByRole('heading', { name: 'Webhooks', level: 1 }).waitFor();

  // the SSRF guard's refusal, next to the field
  const form = page.locator('.newwebhook');
  await form.getByLabel('URL').fill('http://169.254.169.254/latest/meta-data/');
  await form.getByRole('button', { name: 'Add endpoint' }).click();
  await form.locator('[data-field="url"] .field__error').waitFor();
  expect(await form.locator('[data-field="url"] .field__error').textContent()).toMatch(/cloud metadata address 169\.254\.169\.254/);

  await form.getByLabel('URL').fill(receiver.url);
  await form.getByLabel('Tenant (optional)').fill('acme-corp');
  await form.getByRole('button', { name: 'Add endpoint' }).click();
  const secret = await form.getByTestId('secret').inputValue();
  expect(secret).toMatch(/^whsec_/);
  const card = page.locator('[data-endpoint]');
  await card.waitFor();
  expect(await card.getByRole('heading', { level: 2 }).textContent()).toBe(receiver.url);

  expect((await flag(10)).status).toBe(201);
  expect((await flag(20)).status).toBeLessThan(300);
  const log = card.locator('[data-testid^="deliveries-"]');
  await waitUntil(async () => {
    await log.getByRole('button', { name: 'Refresh' }).click();
    await page.waitForTimeout(100);
    return (await log.locator('tr[data-status="delivered"]').count()) === 2;
  }, 15_000);
  const got = receiver.received.map((r) => new Webhook(secret).verify(r.body, r.headers as Record<string, string>) as { data: { after: { percentage: number } } });
  expect(got.map((g) => g.data.after.percentage)).toEqual([10, 20]);
  // from the top: a full-page capture of a scrolled page draws the sticky header where the viewport was
  await page.evaluate(() => window.scrollTo(0, 0));
  await screenshot(page, 'console-webhooks.png', { fullPage: true });

  // resend the first: the receiver gets it again, with the same webhook-id
  const first = log.locator('tr[data-delivery]').last();
  await first.getByRole('button', { name: /^Resend delivery/ }).click();
  await waitUntil(async () => receiver.received.length === 3, 15_000);
  expect(receiver.received[2]!.headers['webhook-id']).toBe(receiver.received[0]!.headers['webhook-id']);

  // rotation: a new secret, shown once; the old one still signs during the overlap
  await card.getByRole('button', { name: 'Rotate secret' }).click();
  const rotated = await page.locator('[data-endpoint]').getByTestId('secret').inputValue();
  expect(rotated).toMatch(/^whsec_/);
  expect(rotated).not.toBe(secret);
  await page.locator('[data-endpoint]').getByText(/the previous secret signs too until/).waitFor();
  expect((await flag(30)).status).toBeLessThan(300);
  await waitUntil(async () => receiver.received.length === 4, 15_000);
  for (const s of [secret, rotated]) expect(new Webhook(s).verify(receiver.received[3]!.body, receiver.received[3]!.headers as Record<string, string>)).toBeTruthy();

  // subscriptions: flag.changed off, tenant.deleted on
  const again = page.locator('[data-endpoint]');
  await again.getByRole('checkbox', { name: /flag changed/ }).uncheck();
  await again.getByRole('checkbox', { name: /tenant deleted/ }).check();
  await again.getByRole('button', { name: 'Save events' }).click();
  await waitUntil(async () => JSON.stringify((await call(app.url, 'GET', '/api/webhooks', { bearer: ADMIN_KEY })).body.endpoints[0].eventTypes) === '["tenant.deleted"]', 10_000);

  await page.locator('[data-endpoint]').getByRole('button', { name: 'Disable' }).click();
  await page.locator('[data-endpoint] .badge', { hasText: 'disabled' }).waitFor();
  expect((await call(app.url, 'GET', '/api/webhooks', { bearer: ADMIN_KEY })).body.endpoints[0].enabled).toBe(false);
}, 90_000);
