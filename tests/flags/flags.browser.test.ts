// The flags page in a real Chromium: it opens on the default environment with each environment's
// count in the picker; toggling a flag changes the next OFREP answer; the active quota rule is
// shown; "New flag" never replaces an existing one; the form shows the API's field messages;
// promotion shows the dry run's diff before applying; export downloads a document that import
// previews and applies with a conflict policy; a read key is read-only.
import { readFileSync } from 'node:fs';
import { expect, test } from '@jest/globals';
import type { Page } from 'playwright-core';
import type { FlagMeter } from '../../server/runtime.ts';
import { addTenants } from '../helpers/db.ts';
import { screenshot } from '../helpers/chromium.ts';
import { consoleSuite } from '../helpers/console-suite.ts';

const ADMIN = 'fm_live_flagsadmin03_EEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEE';
let app: FlagMeter;
let page: Page;

async function call(method: string, path: string, body?: unknown) {
  const res = await fetch(`${app.url}${path}`, {
    method, headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}
const evaluate = async (key: string, env = 'dev') =>
  (await call('POST', `/ofrep/v1/evaluate/flags/${key}`, { context: { tenant: 'acme', env, targetingKey: 'u1' } })).body;

consoleSuite({
  seed: (db) => addTenants(db.pool, [{ slug: 'acme', quota: 1000 }]),
  env: { FLAGMETER_AUTH: 'true', FLAGMETER_ADMIN_KEY: ADMIN },
  ready: (s) => { ({ app, page } = s); },
  prepare: async () => {
    await call('POST', '/api/features', { tenant: 'acme', env: 'dev', key: 'checkout', enabled: true, strategy: 'percentage', percentage: 100, description: 'new checkout' });
    await call('POST', '/api/features', { tenant: 'acme', env: 'dev', key: 'llm', enabled: true, strategy: 'boolean', type: 'string', onValue: 'gpt-4o', offValue: 'off', quotaRules: [{ atPercent: 90, serve: 'gpt-4o-mini' }] });
    await call('POST', '/api/events', { tenant: 'acme', feature: 'gpt-4o', tokens: 950 });
  },
});

async function openWith(scopes: string[]): Promise<void> {
  const { body } = await call('POST', '/api/keys', { name: `page-${scopes.join('-')}`, scopes, tenant: 'acme' });
  await page.goto(app.url);
  await page.evaluate((k) => sessionStorage.setItem('flagmeter.apiKey', k), body.key as string);
  await page.goto(`${app.url}/#/tenant/acme/flags`);
  await page.reload();
  // the default environment (FLAGS_DEFAULT_ENV, prod), as OFREP and the README use; the flags are in dev
  await page.getByRole('heading', { name: 'Flags in prod' }).waitFor();
  await page.getByLabel('Environment').selectOption('dev');
  await page.locator('tr[data-flag="checkout"]').waitFor();
}

test('the page opens on the default environment, and the picker says how many flags each one holds', async () => {
  await openWith(['read', 'flags']);
  await page.locator('option[value="dev"][data-flags="2"]').waitFor({ state: 'attached' });
  expect(await page.getByLabel('Environment').locator('option').allTextContents()).toEqual(['dev · 2 flags', 'staging · no flags', 'prod · no flags']);
});

test('"New flag" with an existing key replaces nothing: it says so and opens that flag', async () => {
  const before = (await call('GET', '/api/features?tenant=acme&env=dev')).body.items.find((i: any) => i.key === 'checkout');
  await page.getByRole('button', { name: 'New flag' }).click();
  await page.getByLabel('Key', { exact: true }).fill('checkout');
  await page.getByRole('button', { name: 'Save' }).click();
  const error = page.locator('[data-field="key"] .field__error');
  await error.waitFor();
  expect(await error.textContent()).toContain('A flag with this key exists in dev — edit it instead.');
  expect(await page.getByLabel('Key', { exact: true }).getAttribute('aria-invalid')).toBe('true');
  const after = (await call('GET', '/api/features?tenant=acme&env=dev')).body.items.find((i: any) => i.key === 'checkout');
  expect(after).toEqual(before);
  await page.getByRole('button', { name: 'Edit checkout' }).click();
  await page.getByRole('heading', { name: 'Edit checkout' }).waitFor();
  expect(await page.getByLabel('Percentage').inputValue()).toBe('100');
  await page.getByRole('button', { name: 'Close' }).click();
});

test('the flag form shows the API\'s messages next to their fields (no browser validation), a quota rule\'s on its row', async () => {
  await page.getByRole('button', { name: 'New flag' }).click();
  await page.getByLabel('Key', { exact: true }).fill('Bad Key');
  await page.getByLabel('Strategy').selectOption('percentage');
  await page.getByLabel('Percentage').fill('101');
  await page.getByRole('button', { name: 'Save' }).click();
  await page.locator('[data-field="percentage"] .field__error').waitFor();
  expect(await page.locator('[data-field="percentage"] .field__error').textContent()).toContain('percentage must be between 0 and 100');
  expect(await page.locator('[data-field="key"] .field__error').textContent()).toMatch(/\S/);
  expect(await page.getByLabel('Percentage').getAttribute('aria-invalid')).toBe('true');
  // a quota rule's row refused by the API shows the message on that row
  await page.getByLabel('Key', { exact: true }).fill('ok-key');
  await page.getByLabel('Percentage').fill('50');
  const rules = page.locator('[data-quota-rules]');
  await rules.getByRole('button', { name: 'Add quota rule' }).click();
  await rules.getByLabel('Quota rule 1: percent').fill('0');
  await page.getByRole('button', { name: 'Save' }).click();
  await rules.locator('[data-quota-rule-row="0"] .field__error').waitFor();
  expect(await rules.locator('[data-quota-rule-row="0"] .field__error').textContent()).toContain('atPercent must be at least 1');
  expect((await call('GET', '/api/features?tenant=acme&env=dev')).body.total).toBe(2);
  await page.getByRole('button', { name: 'Close' }).click();
});

test('toggling a flag in the page changes the next OFREP answer', async () => {
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
  // and names who made it, as the audit answer does (the key this test signs in with), never "bootstrap"
  const { actor } = (await call('GET', '/api/audit-logs?tenant=acme&env=dev&key=checkout')).body.items[0];
  expect(actor).toMatchObject({ kind: 'key', name: expect.any(String) });
  expect(await page.locator('.history li').first().textContent()).toContain(`by ${actor.name}`);
});

test('the quota rule serving the tenant now is shown', async () => {
  const cell = page.locator('tr[data-flag="llm"] td[data-quota-rule]');
  await expect(cell.textContent()).resolves.toContain('at 90% of quota → “gpt-4o-mini” (95%)');
});

test('the editor\'s quota rules: the rule loaded as a row in words, and one of the monthly budget added and saved as budget: true', async () => {
  await page.locator('tr[data-flag="llm"]').getByRole('button', { name: 'Edit' }).click();
  await page.getByRole('heading', { name: 'Edit llm' }).waitFor();
  const rules = page.locator('[data-quota-rules]');
  expect(await rules.getByLabel('Quota rule 1: of').inputValue()).toBe('quota');
  expect(await rules.getByLabel('Quota rule 1: value').inputValue()).toBe('gpt-4o-mini');
  expect(await rules.locator('[data-quota-rule-row="0"] [data-quota-rule-words]').textContent()).toBe("at 90% of the quota: 'gpt-4o-mini'");
  await rules.getByRole('button', { name: 'Add quota rule' }).click();
  await rules.getByLabel('Quota rule 2: of').selectOption('budget');
  // a string flag serves its on or off value, or a value of its own
  expect(await rules.getByLabel('Quota rule 2: serve').locator('option').allTextContents()).toEqual(['its off value', 'its on value', 'the value…']);
  expect(await rules.locator('[data-quota-rule-row="1"] [data-quota-rule-words]').textContent()).toBe('at 100% of the monthly budget: off');
  await rules.getByRole('button', { name: 'Add quota rule' }).click();
  await rules.getByLabel('Quota rule 3: percent').fill('80');
  await rules.getByLabel('Quota rule 3: of').selectOption('feature');
  await rules.getByLabel('Quota rule 3: feature').fill('gpt-4o');
  await rules.getByLabel('Quota rule 3: serve').selectOption('value');
  await rules.getByLabel('Quota rule 3: value').fill('gpt-4o-mini');
  expect(await rules.locator('[data-quota-rule-row="2"] [data-quota-rule-words]').textContent()).toBe("at 80% of the gpt-4o limit: 'gpt-4o-mini'");
  // the whole page from its top (the sticky header where it belongs), the editor open on its quota rules
  await page.evaluate(() => { (document.activeElement as HTMLElement | null)?.blur(); window.scrollTo(0, 0); });
  await screenshot(page, 'flags.png', { fullPage: true });
  await page.getByRole('button', { name: 'Save' }).click();
  await page.getByRole('heading', { name: 'Edit llm' }).waitFor({ state: 'detached' });
  const llm = (await call('GET', '/api/features?tenant=acme&env=dev')).body.items.find((i: any) => i.key === 'llm');
  expect(llm.quotaRules).toEqual([{ atPercent: 90, serve: 'gpt-4o-mini' }, { atPercent: 100, serve: false, budget: true }, { atPercent: 80, serve: 'gpt-4o-mini', feature: 'gpt-4o' }]);
  // acme has no budget and no gpt-4o limit: those rules wait, the quota's still serves
  await expect(page.locator('tr[data-flag="llm"] td[data-quota-rule]').textContent()).resolves.toContain('at 90% of quota → “gpt-4o-mini”');
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

test('export downloads the environment as a document; import previews it with each conflict policy, then applies it', async () => {
  await page.getByLabel('Environment').selectOption('dev');
  await page.locator('tr[data-flag="checkout"]').waitFor();
  const [file] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export' }).click()]);
  expect(file.suggestedFilename()).toBe('flags-acme-dev.json');
  const doc = JSON.parse(readFileSync((await file.path())!, 'utf8'));
  expect(doc).toMatchObject({ format: 'flagmeter.flags/1', tenant: 'acme', env: 'dev' });
  expect(doc.flags.map((f: any) => f.key)).toEqual(['checkout', 'llm']);

  // into prod (which promotion filled with the same two): one changed, one new
  const changed = { ...doc, flags: [...doc.flags.map((f: any) => (f.key === 'checkout' ? { ...f, description: 'from git' } : f)), { ...doc.flags[0], key: 'imported' }] };
  await page.getByLabel('Environment').selectOption('prod');
  await page.locator('tr[data-flag="llm"]').waitFor();
  await page.getByRole('button', { name: 'Import…' }).click();
  await page.getByLabel('File').setInputFiles({ name: 'flags.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(changed)) });
  await page.getByRole('button', { name: 'Preview (dry run)' }).click();
  const flags = page.locator('[aria-label="Dry run"] [data-kind="flags"]');
  // skip (the default, as in promotion): the changed flag is kept as prod has it
  await flags.locator('[data-group="skipped"]').waitFor();
  expect(await flags.locator('[data-group="created"]').textContent()).toContain('imported');
  expect(await flags.locator('[data-group="conflicting"]').textContent()).toContain('checkout');
  expect(await flags.locator('[data-group="skipped"]').textContent()).toContain('checkout');
  expect(await flags.locator('[data-group="unchanged"]').textContent()).toContain('llm');
  // fail: even the dry run refuses, naming the conflict
  await page.getByLabel('On conflict').selectOption('fail');
  await page.getByRole('button', { name: 'Preview (dry run)' }).click();
  expect(await page.getByRole('alert').filter({ hasText: 'differ' }).textContent()).toContain("flag 'checkout'");
  expect((await call('GET', '/api/features?tenant=acme&env=prod')).body.total).toBe(2);
  // overwrite: previewed again, then applied
  await page.getByLabel('On conflict').selectOption('overwrite');
  await page.getByRole('button', { name: 'Preview (dry run)' }).click();
  await flags.locator('[data-group="updated"]').waitFor();
  await screenshot(page, 'flag-import.png', { fullPage: true });
  await page.getByRole('button', { name: 'Import', exact: true }).click();
  await page.getByRole('status').filter({ hasText: 'Imported: 1 flags created, 1 updated' }).waitFor();
  await page.locator('tr[data-flag="imported"]').waitFor();
  const prod = (await call('GET', '/api/features?tenant=acme&env=prod')).body.items;
  expect(prod.map((i: any) => [i.key, i.description])).toEqual([['checkout', 'from git'], ['imported', 'new checkout'], ['llm', '']]);
});

test('a key without flags or admin sees the page read-only', async () => {
  await openWith(['read']);
  await page.locator('[data-readonly]').waitFor();
  expect(await page.getByRole('switch', { name: 'checkout enabled' }).isDisabled()).toBe(true);
  expect(await page.getByRole('button', { name: 'New flag' }).count()).toBe(0);
});
