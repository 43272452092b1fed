// The console in a real Chromium, end to end: sign in as admin, create a tenant (a field error
// first), set its quota, add a webhook and send a test message to a real stand-in server, create a
// key and see it once, revoke it (the next API call with it gets 401), read the change in the audit
// log, invite a person who registers through the link, sign in as that tenant-bound person and see
// only that tenant and no admin controls, sign out. Screenshots go to docs/screenshots with
// UPDATE_SCREENSHOTS=1 (otherwise to a temporary folder).
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import type { Page } from 'playwright-core';
import type { FlagMeter } from '../../server/runtime.ts';
import { get, startTestApp } from '../helpers/app.ts';
import { createTestDb, type TestDb } from '../helpers/db.ts';
import { call } from '../helpers/people.ts';
import { startSlackStandIn, type SlackStandIn } from '../helpers/slack-stand-in.ts';
import { openConsole, screenshot, type Browser } from '../helpers/chromium.ts';
import { addDemoTenants, postDemoUsage } from '../helpers/demo-usage.ts';

const ADMIN_KEY = 'fm_live_consoleadm01_EEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEE';
const ADMIN_PASSWORD = 'console admin password';

let db: TestDb;
let app: FlagMeter;
let slack: SlackStandIn;
let browser: Browser;
let page: Page;
let invitation = '';
let key = '';

beforeAll(async () => {
  db = await createTestDb();
  await addDemoTenants(db.pool);
  slack = await startSlackStandIn();
  app = await startTestApp(db.url, { WEBHOOK_ALLOW_PRIVATE: 'true', FLAGMETER_AUTH: 'true', FLAGMETER_ADMIN_KEY: ADMIN_KEY, FLAGMETER_ADMIN_PASSWORD: ADMIN_PASSWORD, LOGIN_MAX_PER_ACCOUNT: '100' });
  // usage for the screenshots, posted through a keyless FlagMeter on the same database
  const seeder = await startTestApp(db.url);
  const { body } = await get(seeder.url, '/api/tenants');
  await postDemoUsage(seeder.url, Object.fromEntries(body.tenants.map((t: { tenant: string; periodStart: string }) => [t.tenant, t.periodStart])));
  await seeder.stop();
  browser = await openConsole(app.url, { timeoutMs: 8000 });
  page = browser.page;
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await app?.stop();
  await slack?.close();
  await db?.drop();
});

// from the top: a full-page capture of a scrolled page draws the sticky header where the viewport was
const shot = async (name: string, fullPage = false) => {
  await page.evaluate(() => window.scrollTo(0, 0));
  await screenshot(page, name, { fullPage });
};
const dialog = () => page.getByRole('dialog', { name: 'Sign in' });
const fieldError = (form: string, field: string) => page.locator(`${form} [data-field="${field}"] .field__error`);
const api = (method: string, p: string, bearer: string) => call(app.url, method, p, { bearer });

async function signIn(name: string, password: string): Promise<void> {
  await dialog().waitFor();
  await page.getByLabel('Name', { exact: true }).fill(name);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await dialog().waitFor({ state: 'detached' });
  await page.locator('[data-connection="live"]').waitFor();
  await page.locator('[data-testid="signed-in"]').waitFor();
}

test('sign in as admin: a wrong password is refused in place, the right one opens the console', async () => {
  await page.goto(app.url);
  await dialog().waitFor();
  await shot('console-sign-in.png');
  await page.getByLabel('Name', { exact: true }).fill('admin');
  await page.getByLabel('Password', { exact: true }).fill('not the password');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByText('The name or the password is wrong.').waitFor();
  await page.getByLabel('Password', { exact: true }).fill(ADMIN_PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await dialog().waitFor({ state: 'detached' });
  await page.locator('[data-testid="signed-in"]').waitFor();
  expect(await page.locator('[data-testid="signed-in"]').textContent()).toBe('admin');
  const nav = page.getByRole('navigation', { name: 'Console' });
  expect(await nav.getByRole('link').allTextContents()).toEqual(['Tenants', 'Flags', 'API keys', 'People', 'Webhooks', 'Audit log', 'Account']);
  // the session is an HttpOnly cookie: no script can read it
  expect(await page.evaluate(() => document.cookie)).toBe('');
  const [cookie] = await browser.context.cookies(app.url);
  expect(cookie).toMatchObject({ name: 'token', httpOnly: true, sameSite: 'Lax', path: '/' });
  await page.waitForFunction(() => document.querySelectorAll('tr[data-tenant]').length === 6);
  await shot('console-overview.png');
});

test('create a tenant (the API\'s field error shown next to the field), then set its quota', async () => {
  await page.getByRole('button', { name: 'New tenant' }).click();
  // the focus moves after the form is painted
  await page.waitForFunction(() => document.activeElement?.id === 'nt-slug');
  await page.getByLabel('Slug').fill('Initech Two');
  await page.getByLabel('Name', { exact: true }).fill('Initech Two');
  await page.getByRole('button', { name: 'Create tenant' }).click();
  await fieldError('.newtenant', 'slug').waitFor();
  expect(await fieldError('.newtenant', 'slug').textContent()).toContain('lowercase letters, digits');
  // the first field in error takes the focus
  await page.waitForFunction(() => document.activeElement?.id === 'nt-slug');
  expect(await page.getByLabel('Slug').getAttribute('aria-invalid')).toBe('true');
  expect(await page.getByLabel('Slug').getAttribute('aria-describedby')).toBe('nt-slug-hint nt-slug-error');
  await page.getByLabel('Slug').fill('initech-two');
  await page.getByLabel('Monthly quota (tokens)').fill('1000');
  await page.getByRole('button', { name: 'Create tenant' }).click();
  await page.waitForFunction(() => location.hash === '#/tenant/initech-two');
  await page.getByRole('heading', { name: 'Settings' }).waitFor();

  const quota = page.getByLabel('Monthly quota (tokens)');
  expect(await quota.inputValue()).toBe('1000');
  await page.getByLabel('Billing day').fill('31');
  await page.getByRole('button', { name: 'Save settings' }).click();
  await fieldError('form[aria-labelledby="settings-title"]', 'billingDay').waitFor();
  expect((await api('GET', '/api/tenants/initech-two', ADMIN_KEY)).body.billingDay).toBe(1);
  await page.getByLabel('Billing day').fill('15');
  await quota.fill('5000');
  await page.getByRole('button', { name: 'Save settings' }).click();
  await page.getByText('Saved.').waitFor();
  expect((await api('GET', '/api/tenants/initech-two', ADMIN_KEY)).body).toMatchObject({ monthlyQuota: 5000, billingDay: 15 });
  // the page follows: the live figures, and the chart (its quota line and its period) redrawn
  await page.getByText('of 5K tokens').waitFor();
  await page.getByText('Quota 5K').waitFor();
});

test('set the limits: a bad amount and a feature named twice are refused on their rows, then a hard quota and two token limits are saved and checks obey them', async () => {
  const form = page.locator('form[aria-labelledby="limits-form-title"]');
  const row = (i: number) => form.locator(`[data-limit-row="${i}"]`);
  await form.getByRole('button', { name: 'Add a feature limit' }).click();
  await row(0).getByLabel('Limit 1: feature').fill('gpt-4o');
  await row(0).getByLabel('Limit 1: amount').fill('lots');
  await form.getByRole('button', { name: 'Save limits' }).click();
  // the API's own refusal (what was typed is sent as is), shown on the row
  await row(0).locator('.field__error').waitFor();
  expect(await row(0).locator('.field__error').textContent()).toMatch(/^tokens: tokens must be a number/);
  expect(await row(0).getByLabel('Limit 1: amount').getAttribute('aria-invalid')).toBe('true');
  await row(0).getByLabel('Limit 1: amount').fill('300');
  await form.getByRole('button', { name: 'Add a feature limit' }).click();
  await row(1).getByLabel('Limit 2: feature').fill('gpt-4o');
  await row(1).getByLabel('Limit 2: amount').fill('1000');
  await form.getByRole('button', { name: 'Save limits' }).click();
  // about the whole list: under the rows
  await form.locator('[data-error-for="featureLimits"]').waitFor();
  expect(await form.locator('[data-error-for="featureLimits"]').textContent()).toMatch(/each feature may have one limit/);
  expect((await api('GET', '/api/tenants/initech-two', ADMIN_KEY)).body).toMatchObject({ quotaHard: false, featureLimits: [] });
  await page.getByLabel('Hard quota').check();
  await row(0).getByLabel('hard').check();
  await row(1).getByLabel('Limit 2: feature').fill('claude');
  await form.getByRole('button', { name: 'Save limits' }).click();
  await page.getByText('Limits saved.').waitFor();
  expect(await form.locator('.field__error').count()).toBe(0);
  const saved = (await api('GET', '/api/tenants/initech-two', ADMIN_KEY)).body;
  expect(saved.quotaHard).toBe(true);
  expect(saved.featureLimits).toEqual(expect.arrayContaining([{ feature: 'claude', tokens: 1000, hard: false }, { feature: 'gpt-4o', tokens: 300, hard: true }]));
  expect(saved.featureLimits).toHaveLength(2);
  const check = await call(app.url, 'POST', '/api/check', { bearer: ADMIN_KEY, body: { tenant: 'initech-two', feature: 'gpt-4o', tokens: 301 } });
  expect(check.body).toMatchObject({ allowed: false, reason: 'would_exceed', limitOn: 'feature', limit: 300 });
  // the limits card shows them at once, in tokens
  await page.locator('li.limit[data-limit="claude"][data-unit="tokens"]').waitFor();
});

test('add a webhook and send a test message: the stand-in gets it, the console shows the delivery', async () => {
  await page.getByLabel('Webhook URL').fill(slack.url);
  await page.getByRole('button', { name: 'Save webhook' }).click();
  await page.getByText('Webhook saved.').waitFor();
  await page.getByRole('button', { name: 'Send a test message' }).click();
  const result = page.locator('[data-testid="webhook-test"]');
  await result.waitFor();
  expect(await result.textContent()).toMatch(/^Delivered: the webhook answered HTTP 200 in \d+ ms\.$/);
  expect(slack.delivered().map((m) => m.body.text)).toEqual([expect.stringContaining("a test message for tenant 'Initech Two' (initech-two)")]);
  await shot('console-tenant-admin.png', true);
  // disabling keeps the URL; the badge says so
  await page.getByRole('button', { name: 'Disable' }).click();
  await page.getByText('Webhook disabled.').waitFor();
  expect((await api('GET', '/api/tenants/initech-two', ADMIN_KEY)).body.webhook).toEqual({ url: slack.url, enabled: false });
});

test('create a key: its secret is shown once, works, and after revoking it the next call gets 401', async () => {
  await page.getByRole('link', { name: 'API keys' }).click();
  await page.getByRole('heading', { name: 'API keys', level: 1 }).waitFor();
  await page.getByLabel('Name', { exact: true }).fill('reporting job');
  await page.getByLabel('Tenant (optional)').fill('initech-two');
  await page.getByRole('checkbox', { name: /^ingest/ }).uncheck();
  await page.getByRole('checkbox', { name: /^read/ }).check();
  await page.getByRole('button', { name: 'Create key' }).click();
  const secret = page.locator('[data-testid="secret"]');
  await secret.waitFor();
  key = await secret.inputValue();
  expect(key).toMatch(/^fm_live_[a-z0-9]{12}_/);
  await page.getByRole('button', { name: 'Copy' }).click();
  await shot('console-keys.png', true);
  expect((await api('GET', '/api/usage/initech-two', key)).status).toBe(200);

  // gone once the page is left
  await page.getByRole('link', { name: 'Tenants' }).click();
  await page.getByRole('link', { name: 'API keys' }).click();
  const row = page.locator(`tr[data-key="${key.slice(8, 20)}"]`);
  await row.waitFor();
  expect(await secret.count()).toBe(0);
  expect(await page.content()).not.toContain(key);
  page.once('dialog', (d) => void d.accept());
  await row.getByRole('button', { name: 'Revoke reporting job' }).click();
  await row.getByText('revoked').waitFor();
  expect((await api('GET', '/api/usage/initech-two', key)).status).toBe(401);
});

test('the audit log shows the changes, filtered, with before → after', async () => {
  await page.getByRole('link', { name: 'Audit log' }).click();
  await page.getByLabel('Tenant', { exact: true }).fill('initech-two');
  await page.getByLabel('Action', { exact: true }).fill('tenant.update');
  await page.getByRole('button', { name: 'Filter' }).click();
  // two changes of the tenant: its settings, then its limits
  await page.waitForFunction(() => document.querySelectorAll('.audit').length === 2);
  const entry = page.locator('.audit[data-action="tenant.update"]', { has: page.locator('.diff tr', { hasText: 'monthlyQuota' }) });
  expect(await entry.textContent()).toContain('by admin');
  expect(await page.locator('.audit[data-action="tenant.update"] .diff tr', { hasText: 'quotaHard' }).count()).toBe(1);
  const quotaRow = entry.locator('.diff tr', { hasText: 'monthlyQuota' });
  expect(await quotaRow.locator('del').textContent()).toBe('1000');
  expect(await quotaRow.locator('ins').textContent()).toBe('5000');
  await page.getByLabel('Tenant', { exact: true }).fill('');
  await page.getByLabel('Action', { exact: true }).fill('');
  await page.getByRole('button', { name: 'Filter' }).click();
  await page.locator('.audit[data-action="key.revoke"]').waitFor();
  await shot('console-audit.png', true);
});

test('invite a person bound to the tenant; they register through the link', async () => {
  await page.getByRole('link', { name: 'People' }).click();
  await page.getByLabel('Tenant (optional)').fill('initech-two');
  await page.getByRole('button', { name: 'Create invitation' }).click();
  const link = page.locator('[data-testid="secret"]');
  await link.waitFor();
  invitation = await link.inputValue();
  expect(invitation).toMatch(new RegExp(`^${app.url}/#/register/fm_inv_`));
  await shot('console-people.png', true);

  await page.getByRole('button', { name: 'Sign out' }).click();
  await dialog().waitFor();
  expect(await page.locator('tr[data-tenant]').count()).toBe(0);
  await page.goto(invitation);
  await page.getByRole('heading', { name: 'Create your account' }).waitFor();
  expect(await dialog().count()).toBe(0);
  await page.getByLabel('Name or e-mail').fill('peter@initech.example');
  await page.getByLabel('Password').fill('short');
  await page.getByRole('button', { name: 'Create account' }).click();
  await fieldError('form', 'password').waitFor();
  expect(await fieldError('form', 'password').textContent()).toContain('at least 12 characters');
  await page.getByLabel('Password').fill('milton has my stapler');
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.getByText('Your account is ready for tenant initech-two.').waitFor();
  await page.getByRole('link', { name: 'Sign in' }).click();
});

test('signed in as that person (keyboard only): only that tenant, no admin controls; signing out ends the session', async () => {
  await dialog().waitFor();
  await page.waitForFunction(() => document.activeElement?.id === 'signin-name');
  await page.keyboard.type('peter@initech.example');
  await page.keyboard.press('Tab');
  await page.keyboard.type('milton has my stapler');
  await page.keyboard.press('Enter');
  await dialog().waitFor({ state: 'detached' });
  await page.locator('[data-testid="signed-in"]').waitFor();
  await page.waitForFunction(() => document.querySelectorAll('tr[data-tenant]').length === 1);
  expect(await page.locator('tr[data-tenant]').getAttribute('data-tenant')).toBe('initech-two');
  expect(await page.locator('[data-testid="signed-in"]').textContent()).toBe('peter@initech.example · initech-two');
  expect(await page.getByRole('navigation', { name: 'Console' }).getByRole('link').allTextContents()).toEqual(['Tenants', 'Account']);
  expect(await page.getByRole('button', { name: 'New tenant' }).count()).toBe(0);
  await shot('console-tenant-person.png');
  await page.getByRole('link', { name: 'Initech Two' }).click();
  await page.locator('.summary[data-tenant="initech-two"]').waitFor();
  expect(await page.getByRole('heading', { name: 'Settings' }).count()).toBe(0);
  // another tenant's page: the server refuses, whatever the address bar says
  await page.goto(`${app.url}/#/tenant/acme-corp`);
  await page.getByText('There is no tenant “acme-corp”.').waitFor();
  // and the admin pages say so rather than showing controls
  await page.goto(`${app.url}/#/keys`);
  await page.getByText('This page needs the admin scope.').waitFor();

  const [cookie] = await browser.context.cookies(app.url);
  await page.getByRole('button', { name: 'Sign out' }).click();
  await dialog().waitFor();
  expect(await browser.context.cookies(app.url)).toEqual([]);
  expect((await call(app.url, 'GET', '/api/me', { cookie: cookie!.value })).status).toBe(401);
});

test('back as admin: change the person\'s scopes and disable them (their sign-in then fails)', async () => {
  await signIn('admin', ADMIN_PASSWORD);
  await page.getByRole('link', { name: 'People' }).click();
  const row = page.locator('tr[data-person="peter@initech.example"]');
  await row.getByRole('button', { name: 'Change scopes of peter@initech.example' }).click();
  await row.getByRole('checkbox', { name: /^admin/ }).check();
  await row.getByRole('button', { name: 'Save scopes' }).click();
  // the API's refusal, next to the scopes: admin cannot be bound to a tenant
  await row.locator('.field__error').waitFor();
  expect(await row.locator('.field__error').textContent()).toContain('cannot be bound to a tenant');
  await row.getByRole('checkbox', { name: /^admin/ }).uncheck();
  await row.getByRole('checkbox', { name: /^flags/ }).check();
  await row.getByRole('button', { name: 'Save scopes' }).click();
  await page.locator('tr[data-person="peter@initech.example"] td', { hasText: 'read, flags' }).waitFor();
  await page.locator('tr[data-person="peter@initech.example"]').getByRole('button', { name: 'Disable peter@initech.example' }).click();
  await page.locator('tr[data-person="peter@initech.example"]').getByText('disabled').waitFor();
  expect((await call(app.url, 'POST', '/auth/login', { body: { name: 'peter@initech.example', password: 'milton has my stapler' } })).status).toBe(401);
  // admin's own row offers no way to lock admin out
  expect(await page.locator('tr[data-person="admin"]').getByRole('button', { name: /^Disable/ }).count()).toBe(0);
});

test('pending invitations are listed (for whom, scopes, tenant, who made it, expiry) and Revoke ends the link', async () => {
  // admin, on People (the test before)
  await page.getByLabel('Name (optional)').fill('rita@initech.example');
  await page.getByLabel('Tenant (optional)').fill('initech-two');
  await page.getByRole('button', { name: 'Create invitation' }).click();
  const token = (await page.locator('[data-testid="secret"]').inputValue()).split('/#/register/')[1]!;
  const row = page.locator('tr[data-invitation]', { hasText: 'rita@initech.example' });
  await row.waitFor();
  const cells = await row.locator('td').allTextContents();
  expect(cells.slice(0, 3)).toEqual(['read', 'initech-two', 'admin']);
  expect(cells[3]).toMatch(/^\d{1,2} [A-Z][a-z]{2} \d{4}, \d\d:\d\d \(in \d+ (hours|days)\)$/);
  page.once('dialog', (d) => void d.accept());
  await row.getByRole('button', { name: /^Revoke invitation \d+$/ }).click();
  await row.waitFor({ state: 'detached' });
  expect((await call(app.url, 'GET', '/api/invitations', { bearer: ADMIN_KEY })).body.invitations.map((i: { name: string | null }) => i.name)).not.toContain('rita@initech.example');
  const registered = await call(app.url, 'POST', '/auth/register', { body: { name: 'rita@initech.example', password: 'a revoked link opens nothing', invitation: token } });
  expect([registered.status, registered.body.error.code]).toEqual([400, 'invalid_invitation']);
});

test('a person who may only evaluate flags is told why the console shows nothing', async () => {
  const invitation = (await call(app.url, 'POST', '/api/invitations', { bearer: ADMIN_KEY, body: { scopes: ['evaluate'] } })).body.token;
  expect((await call(app.url, 'POST', '/auth/register', { body: { name: 'eve', password: 'eve evaluates only', invitation } })).status).toBe(201);
  await page.getByRole('button', { name: 'Sign out' }).click();
  // the sign-in goes through; the console then finds nothing it may show, and says why
  await dialog().waitFor();
  await page.getByLabel('Name', { exact: true }).fill('eve');
  await page.getByLabel('Password', { exact: true }).fill('eve evaluates only');
  await page.getByRole('button', { name: 'Sign in' }).click();
  const why = page.getByTestId('signin-refused');
  await why.waitFor();
  expect(await why.textContent()).toContain("lack the 'read' scope");
});
