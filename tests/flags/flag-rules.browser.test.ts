// The flag editor's whole rule in a real Chromium: a segment made on the segments page; a JSON flag
// built with two strategies (plan pro and country DE at 30%; the segment), three weighted variants
// (the weight bar refuses 90%, the form refuses a value that is not JSON) and a parent — saved,
// then evaluated through OFREP with an evaluate key: a matching context gets a variant, one that
// matches nothing does not, and the parent switched off switches it off. A parent that would make a
// cycle is refused with the path next to the parents; the playground shows values and reasons; the
// segments page names the flags using a segment and shows the API's refusal to delete it.
import { expect, test } from '@jest/globals';
import type { Page } from 'playwright-core';
import type { FlagMeter } from '../../server/runtime.ts';
import { addTenants } from '../helpers/db.ts';
import { screenshot } from '../helpers/chromium.ts';
import { consoleSuite } from '../helpers/console-suite.ts';

const ADMIN = 'fm_live_flagrules001_FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF';
let app: FlagMeter;
let page: Page;
let evalKey: string;

async function call(method: string, path: string, body?: unknown, key = ADMIN) {
  const res = await fetch(`${app.url}${path}`, {
    method, headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}
/** OFREP with the evaluate key, as an application would ask. */
const ofrep = async (context: Record<string, string>) =>
  (await call('POST', '/ofrep/v1/evaluate/flags/model-config', { context: { env: 'dev', ...context } }, evalKey)).body;
const VARIANTS = ['small', 'large', 'xl'];
const pro = (id: string) => ({ targetingKey: id, plan: 'pro', country: 'DE', email: `${id}@example.com` });

consoleSuite({
  seed: (db) => addTenants(db.pool, [{ slug: 'acme', quota: 1000 }]),
  env: { FLAGMETER_AUTH: 'true', FLAGMETER_ADMIN_KEY: ADMIN },
  ready: (s) => { ({ app, page } = s); },
  prepare: async () => {
    expect((await call('POST', '/api/features', { tenant: 'acme', env: 'dev', key: 'checkout-v2', enabled: true, strategies: [] })).status).toBe(201);
    evalKey = (await call('POST', '/api/keys', { name: 'app', scopes: ['evaluate'], tenant: 'acme' })).body.key;
    const { body } = await call('POST', '/api/keys', { name: 'console', scopes: ['read', 'flags'], tenant: 'acme' });
    await page.goto(app.url);
    await page.evaluate((k) => sessionStorage.setItem('flagmeter.apiKey', k), body.key as string);
  },
});

const label = (text: string) => page.getByLabel(text, { exact: true });

test('the segments page creates a segment, its constraints in words', async () => {
  await page.goto(`${app.url}/#/tenant/acme/segments`);
  await page.reload();
  await page.getByRole('button', { name: 'New segment' }).click();
  await label('Name').fill('beta-testers');
  await label('Segment, constraint 1: context field').fill('email');
  await label('Segment, constraint 1: operator').selectOption('str_ends_with');
  await label('Segment, constraint 1: values (comma-separated)').fill('@acme.test');
  await label('Segment, constraint 1: any case').check();
  expect(await page.locator('[data-segment-words]').textContent()).toBe("In words: users with email ending with '@acme.test' (any case)");
  await page.getByRole('button', { name: 'Save segment' }).click();
  const row = page.locator('tr[data-segment="beta-testers"]');
  await row.waitFor();
  expect(await row.locator('td').first().textContent()).toBe("users with email ending with '@acme.test' (any case)");
  expect(await row.locator('[data-used-by]').textContent()).toBe('no flag');
  expect((await call('GET', '/api/segments?tenant=acme')).body.items.map((s: any) => s.name)).toEqual(['beta-testers']);
  await screenshot(page, 'flag-segments.png', { fullPage: true });
});

test('the editor builds strategies, variants with a weight bar and a parent; OFREP serves what it says', async () => {
  await page.locator('.flags-tabs').getByRole('link', { name: 'Flags' }).click();
  await page.getByLabel('Environment').selectOption('dev');
  await page.locator('tr[data-flag="checkout-v2"]').waitFor();
  await page.getByRole('button', { name: 'New flag' }).click();
  await label('Key').fill('model-config');
  await label('Value type').selectOption('json');
  await label('On value').fill('{"model": "gpt-4o-mini"}');
  await label('Off value').fill('{"model": "none"}');
  await label('Strategy').selectOption('strategies');
  await page.getByRole('button', { name: 'Add strategy' }).click();
  await page.getByRole('button', { name: 'Add strategy' }).click();
  const first = page.locator('li[data-strategy="0"]');
  await label('Strategy 1: name').fill('pro in Germany');
  await first.getByRole('button', { name: 'Add constraint' }).click();
  await first.getByRole('button', { name: 'Add constraint' }).click();
  await label('Strategy 1, constraint 1: context field').fill('plan');
  await label('Strategy 1, constraint 1: values (comma-separated)').fill('pro');
  await label('Strategy 1, constraint 2: context field').fill('country');
  await label('Strategy 1, constraint 2: values (comma-separated)').fill('DE');
  await label('Strategy 1: rollout (%)').fill('30');
  await label('Strategy 2: segment beta-testers').check();
  // three variants; the third's value first typed as something that is not JSON
  const variants = page.locator('fieldset[data-variants="variants"]');
  for (let i = 0; i < 3; i++) await variants.getByRole('button', { name: 'Add variant' }).click();
  const values = ['{"model": "gpt-4o-mini", "maxTokens": 1024}', '{"model": "gpt-4o", "maxTokens": 8192}', '{"model": "o3", maxTokens: 1}'];
  for (const [i, w] of ['50', '30', '10'].entries()) {
    await label(`Flag variants: name of variant ${i + 1}`).fill(VARIANTS[i]!);
    await label(`Flag variants: weight of variant ${i + 1}`).fill(w);
    await label(`Flag variants: value of variant ${i + 1}`).fill(values[i]!);
  }
  expect(await variants.locator('[data-variant="2"] [data-value-error]').textContent()).toMatch(/^not JSON/);
  expect(await variants.locator('.weights').getAttribute('data-weight-sum')).toBe('90');
  expect(await variants.locator('.weights').textContent()).toContain('sums to 90% — the weights must make 100%');
  await page.getByRole('button', { name: 'Add parent' }).click();
  expect(await label('Parent 1: flag').inputValue()).toBe('checkout-v2');
  // the form refuses what it can tell is wrong, and sends nothing
  await page.getByRole('button', { name: 'Save' }).click();
  await page.locator('[data-refusal]').waitFor();
  expect(await variants.locator('[data-error-for="variants"]').textContent()).toContain('the weights must sum to 100% (they sum to 90%)');
  expect((await call('GET', '/api/features?tenant=acme&env=dev')).body.total).toBe(1);

  await label('Flag variants: weight of variant 3').fill('20');
  await label('Flag variants: value of variant 3').fill('{"model": "o3", "maxTokens": 32768}');
  expect(await variants.locator('.weights').textContent()).toContain('sums to 100%');
  // the form's own messages follow what is typed: fixed, they are gone before Save
  expect(await page.locator('[data-refusal], [data-error-for="variants"], [data-value-error]').count()).toBe(0);
  expect(await first.locator('[data-words]').textContent()).toBe("users with plan pro and country DE: 30% get 'small' (50%), 'large' (30%) or 'xl' (20%)");
  expect(await page.locator('[data-rule-words]').textContent()).toBe(
    "In words: if checkout-v2 is on: users with plan pro and country DE: 30% get 'small' (50%), 'large' (30%) or 'xl' (20%); else users in segment beta-testers get 'small' (50%), 'large' (30%) or 'xl' (20%); else off");
  await screenshot(page, 'flag-editor.png', { fullPage: true });
  await page.getByRole('button', { name: 'Save' }).click();
  await page.locator('tr[data-flag="model-config"]').waitFor();

  const saved = (await call('GET', '/api/features?tenant=acme&env=dev')).body.items.find((i: any) => i.key === 'model-config');
  expect(saved).toMatchObject({
    type: 'json', onValue: { model: 'gpt-4o-mini' }, offValue: { model: 'none' }, strategy: 'custom',
    strategies: [
      { name: 'pro in Germany', rollout: 30, segments: [], constraints: [
        { contextName: 'plan', operator: 'in', values: ['pro'], caseInsensitive: false, inverted: false },
        { contextName: 'country', operator: 'in', values: ['DE'], caseInsensitive: false, inverted: false }] },
      { name: '', rollout: 100, segments: ['beta-testers'], constraints: [] }],
    variants: [{ name: 'small', weight: 50, value: { model: 'gpt-4o-mini', maxTokens: 1024 } }, { name: 'large', weight: 30 }, { name: 'xl', weight: 20, value: { model: 'o3', maxTokens: 32768 } }],
    dependencies: [{ flag: 'checkout-v2', enabled: true, variants: [] }],
  });
  // the segments page now names the flag that uses the segment
  expect((await call('GET', '/api/segments?tenant=acme')).body.items[0].usedBy).toEqual([{ tenant: 'acme', env: 'dev', key: 'model-config' }]);

  // OFREP: pro users in Germany, about 30% of them, get a variant (with its JSON value); the rest are left out by the rollout
  const answers = await Promise.all(Array.from({ length: 60 }, (_, i) => ofrep(pro(`user-${i}`))));
  const inside = answers.filter((a) => a.reason === 'TARGETING_MATCH');
  expect(inside.length).toBeGreaterThan(6);
  expect(inside.length).toBeLessThan(36);
  for (const a of inside) {
    expect(VARIANTS).toContain(a.variant);
    expect(a.value).toEqual(saved.variants.find((v: any) => v.name === a.variant).value);
    expect(a.metadata.strategyIndex).toBe(0);
  }
  for (const a of answers.filter((x) => x.reason !== 'TARGETING_MATCH')) expect(a).toMatchObject({ reason: 'SPLIT', variant: 'off', value: { model: 'none' } });
  // the segment's strategy: everyone in it, any case
  expect(await ofrep({ targetingKey: 'zed', plan: 'free', email: 'zed@ACME.test' })).toMatchObject({ reason: 'TARGETING_MATCH', metadata: { strategyIndex: 1 } });
  // matching nothing: no variant, the off value
  expect(await ofrep({ targetingKey: 'user-1', plan: 'free', country: 'FR', email: 'a@example.com' })).toMatchObject({ reason: 'DEFAULT', variant: 'off', value: { model: 'none' } });
  // the parent off: off for everyone, the parent named
  const lucky = inside.length > 0 ? pro(`user-${answers.indexOf(inside[0]!)}`) : pro('user-0');
  await call('POST', '/api/features', { tenant: 'acme', env: 'dev', key: 'checkout-v2', enabled: false, strategies: [] });
  expect(await ofrep(lucky)).toMatchObject({ reason: 'DEFAULT', variant: 'off', metadata: { unmetDependency: 'checkout-v2' } });
  await call('POST', '/api/features', { tenant: 'acme', env: 'dev', key: 'checkout-v2', enabled: true, strategies: [] });
  expect(await ofrep(lucky)).toMatchObject({ reason: 'TARGETING_MATCH' });
});

test('the editor reads a saved rule back as it was built, and saving it unchanged changes nothing of it', async () => {
  const rule = (f: any) => ({ type: f.type, onValue: f.onValue, offValue: f.offValue, strategies: f.strategies, variants: f.variants, stickiness: f.stickiness, dependencies: f.dependencies });
  const find = async () => (await call('GET', '/api/features?tenant=acme&env=dev')).body.items.find((i: any) => i.key === 'model-config');
  const before = await find();
  await page.locator('tr[data-flag="model-config"]').getByRole('button', { name: 'Edit' }).click();
  await page.getByRole('heading', { name: 'Edit model-config' }).waitFor();
  expect(await label('Strategy').inputValue()).toBe('strategies');
  expect(await label('Strategy 1, constraint 2: values (comma-separated)').inputValue()).toBe('DE');
  expect(await label('Strategy 2: segment beta-testers').isChecked()).toBe(true);
  expect(JSON.parse(await label('Flag variants: value of variant 3').inputValue())).toEqual({ model: 'o3', maxTokens: 32768 });
  expect(await page.locator('[data-rule-words]').textContent()).toContain("if checkout-v2 is on: users with plan pro and country DE: 30% get 'small' (50%)");
  await page.getByRole('button', { name: 'Save' }).click();
  await page.getByRole('heading', { name: 'Edit model-config' }).waitFor({ state: 'detached' });
  const after = await find();
  expect(after.version).toBe(before.version + 1);
  expect(rule(after)).toEqual(rule(before));
});

test('a parent that would make a cycle is refused, the path shown next to the parents', async () => {
  await page.reload();
  await page.getByLabel('Environment').selectOption('dev');
  await page.locator('tr[data-flag="checkout-v2"]').getByRole('button', { name: 'Edit' }).click();
  await page.getByRole('heading', { name: 'Edit checkout-v2' }).waitFor();
  await page.getByRole('button', { name: 'Add parent' }).click();
  expect(await label('Parent 1: flag').inputValue()).toBe('model-config');
  await page.getByRole('button', { name: 'Save' }).click();
  const message = page.locator('fieldset[data-parents] [data-error-for="dependencies"]');
  await message.waitFor();
  expect(await message.textContent()).toBe('cycle: checkout-v2 → model-config → checkout-v2');
  expect(await page.locator('[data-refusal]').textContent()).toContain('The parents would form a cycle: checkout-v2 → model-config → checkout-v2.');
  expect((await call('GET', '/api/features?tenant=acme&env=dev')).body.items.find((i: any) => i.key === 'checkout-v2').dependencies).toEqual([]);
  await page.getByRole('button', { name: 'Close' }).click();
});

test('the playground shows every flag\'s value, variant and why', async () => {
  // a user the rollout takes in, as OFREP says
  let id = '';
  for (let i = 0; !id && i < 100; i++) if ((await ofrep(pro(`user-${i}`))).reason === 'TARGETING_MATCH') id = `user-${i}`;
  const expected = await ofrep(pro(id));
  expect(id).not.toBe('');
  await page.locator('.flags-tabs').getByRole('link', { name: 'Playground' }).click();
  await page.getByRole('heading', { name: 'Playground' }).waitFor();
  await label('Environment').selectOption('dev');
  await label('Value of targetingKey').fill(id);
  await label('Value of plan').fill('pro');
  await label('Value of country').fill('DE');
  await page.getByRole('button', { name: 'Evaluate' }).click();
  const row = page.locator('tr[data-result="model-config"]');
  await row.waitFor();
  expect(await row.locator('[data-variant]').textContent()).toBe(expected.variant);
  expect(JSON.parse((await row.locator('[data-value]').textContent())!)).toEqual(expected.value);
  expect(await row.locator('[data-reason]').textContent()).toBe('TARGETING_MATCH');
  expect(await row.locator('[data-why]').textContent()).toContain("strategy 1 “pro in Germany” matched: users with plan pro and country DE: 30% get 'small' (50%), 'large' (30%) or 'xl' (20%)");
  expect(await page.locator('tr[data-result="checkout-v2"] [data-value]').textContent()).toBe('true');
  expect(await page.locator('tr[data-result="checkout-v2"] [data-why]').textContent()).toContain('no strategies: on for everyone');

  // the same context as JSON, changed to match nothing
  await page.getByRole('button', { name: 'JSON' }).click();
  const json = JSON.parse(await label('Context (JSON)').inputValue());
  expect(json).toEqual({ targetingKey: id, plan: 'pro', country: 'DE' });
  await label('Context (JSON)').fill(JSON.stringify({ ...json, plan: 'free' }));
  await page.getByRole('button', { name: 'Evaluate' }).click();
  await page.locator('tr[data-result="model-config"][data-on="false"]').waitFor();
  expect(await row.locator('[data-reason]').textContent()).toBe('DEFAULT');
  expect(await row.locator('[data-variant]').textContent()).toBe('off');
  expect(await row.locator('[data-why]').textContent()).toContain('no strategy matched');
  // and why not, strategy by strategy: the constraint that failed, with the context's value
  expect(await row.locator('[data-trace] li').first().textContent()).toBe('strategy 1: plan pro does not hold (plan is “free”)');
  await screenshot(page, 'flag-playground-trace.png', { fullPage: true });
  // the parent off: the playground names it
  await call('POST', '/api/features', { tenant: 'acme', env: 'dev', key: 'checkout-v2', enabled: false, strategies: [] });
  await page.getByRole('button', { name: 'Evaluate' }).click();
  await page.locator('tr[data-result="checkout-v2"] [data-reason]', { hasText: 'DISABLED' }).waitFor();
  expect(await row.locator('[data-why]').textContent()).toContain('parent flag checkout-v2 is not as required');
  await screenshot(page, 'flag-playground.png', { fullPage: true });
});

test('the segments page names the flags that use a segment, and deleting it is refused while they do', async () => {
  await page.locator('.flags-tabs').getByRole('link', { name: 'Segments' }).click();
  const row = page.locator('tr[data-segment="beta-testers"]');
  await row.locator('[data-used-by]', { hasText: 'dev/model-config' }).waitFor();
  page.once('dialog', (d) => void d.accept());
  await row.getByRole('button', { name: 'Delete' }).click();
  const alert = page.getByRole('alert');
  await alert.waitFor();
  expect(await alert.textContent()).toContain("The segment 'beta-testers' is used by acme/dev/model-config");
  expect((await call('GET', '/api/segments?tenant=acme')).body.items).toHaveLength(1);
});
