// Strategies, JSON variants and parent flags through the real OpenFeature SDK
// (@openfeature/server-sdk + @openfeature/ofrep-provider) against a running FlagMeter.
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { OpenFeature, type Client } from '@openfeature/server-sdk';
import { OFREPProvider } from '@openfeature/ofrep-provider';
import { startTestApp } from '../helpers/app.ts';
import { addTenants, createTestDb, type TestDb } from '../helpers/db.ts';
import type { FlagMeter } from '../../server/runtime.ts';

const ADMIN = 'fm_live_flagsadmin04_FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF';
let db: TestDb;
let app: FlagMeter;
let client: Client;

async function upsert(flag: object) {
  const res = await fetch(`${app.url}/api/features`, {
    method: 'POST', headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' }, body: JSON.stringify({ tenant: 'acme', env: 'prod', ...flag }),
  });
  expect([res.status, res.status < 300 ? '' : await res.text()]).toEqual([res.status < 300 ? res.status : 201, '']);
}

beforeAll(async () => {
  db = await createTestDb();
  await addTenants(db.pool, [{ slug: 'acme' }]);
  app = await startTestApp(db.url, { FLAGMETER_AUTH: 'true', FLAGMETER_ADMIN_KEY: ADMIN });
  const res = await fetch(`${app.url}/api/keys`, {
    method: 'POST', headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'sdk', scopes: ['evaluate'], tenant: 'acme' }),
  });
  const { key } = await res.json() as { key: string };
  await OpenFeature.setProviderAndWait('rules', new OFREPProvider({ baseUrl: app.url, headers: [['Authorization', `Bearer ${key}`]] }));
  client = OpenFeature.getClient('rules');
});
afterAll(async () => {
  await OpenFeature.close();
  await app.stop();
  await db.drop();
});

test('constraints on any context field: plan, country, appVersion, email, currentTime', async () => {
  await upsert({
    key: 'new-editor', enabled: true, strategies: [
      { name: 'no competitors', constraints: [{ contextName: 'email', operator: 'str_ends_with', values: ['@competitor.com'], caseInsensitive: true }], serve: 'off' },
      { constraints: [
        { contextName: 'plan', operator: 'in', values: ['pro', 'team'] }, { contextName: 'country', operator: 'not_in', values: ['CN'] },
        { contextName: 'appVersion', operator: 'semver_gte', value: '2.4.0' }, { contextName: 'currentTime', operator: 'date_after', value: '2026-01-01T00:00:00Z' },
      ] },
    ],
  });
  const pro = { targetingKey: 'ada', env: 'prod', plan: 'pro', country: 'DE', appVersion: '2.10.1', currentTime: '2026-06-01T00:00:00Z' };
  const hit = await client.getBooleanDetails('new-editor', false, pro);
  expect(hit).toMatchObject({ value: true, reason: 'TARGETING_MATCH', variant: 'on' });
  // which strategy decided (a playground's "why")
  expect([hit.flagMetadata.strategyIndex, hit.flagMetadata.strategyName]).toEqual([1, undefined]);
  expect(await client.getBooleanValue('new-editor', false, { ...pro, appVersion: '2.3.9' })).toBe(false);
  expect(await client.getBooleanValue('new-editor', false, { ...pro, country: 'CN' })).toBe(false);
  expect(await client.getBooleanValue('new-editor', false, { ...pro, currentTime: '2025-12-31T23:59:59Z' })).toBe(false);
  expect(await client.getBooleanDetails('new-editor', true, { ...pro, email: 'Spy@Competitor.com' }))
    .toMatchObject({ value: false, reason: 'TARGETING_MATCH', variant: 'off', flagMetadata: { strategyIndex: 0, strategyName: 'no competitors' } });
  const miss = await client.getBooleanDetails('new-editor', true, { targetingKey: 'x', env: 'prod', plan: 'free' });
  expect([miss.value, miss.reason, miss.flagMetadata.strategyIndex]).toEqual([false, 'DEFAULT', undefined]);
});

test('JSON variants by weight, sticky by a context field, read with getObjectValue; number flags with getNumberValue', async () => {
  const small = { model: 'gpt-4o-mini', maxTokens: 1024, tools: ['search'] };
  const large = { model: 'gpt-4o', maxTokens: 8192, tools: ['search', 'code'] };
  await upsert({
    key: 'model-config', enabled: true, type: 'json', onValue: small, offValue: { model: 'none' }, stickiness: 'company',
    strategies: [{ constraints: [{ contextName: 'plan', operator: 'in', values: ['pro'] }] }],
    variants: [{ name: 'small', weight: 30, value: small }, { name: 'large', weight: 70, value: large }],
  });
  const seen = new Map<string, number>();
  for (let i = 0; i < 60; i++) {
    const d = await client.getObjectDetails('model-config', {}, { targetingKey: `u${i}`, env: 'prod', plan: 'pro', company: `c${i}` });
    expect(d.value).toEqual(d.variant === 'small' ? small : large);
    seen.set(d.variant!, (seen.get(d.variant!) ?? 0) + 1);
    // sticky by company: another user of the same company gets the same variant
    expect((await client.getObjectDetails('model-config', {}, { targetingKey: `other-${i}`, env: 'prod', plan: 'pro', company: `c${i}` })).variant).toBe(d.variant);
  }
  expect(seen.get('small')).toBeGreaterThan(5);
  expect(seen.get('large')).toBeGreaterThan(25);
  expect(await client.getObjectValue('model-config', {}, { targetingKey: 'u', env: 'prod', plan: 'free' })).toEqual({ model: 'none' });
  await upsert({ key: 'max-tokens', enabled: true, type: 'number', onValue: 4096, offValue: 0, strategies: [{ constraints: [{ contextName: 'seats', operator: 'num_gte', value: '10' }] }] });
  expect(await client.getNumberValue('max-tokens', -1, { targetingKey: 'u', env: 'prod', seats: 12 })).toBe(4096);
  expect(await client.getNumberValue('max-tokens', -1, { targetingKey: 'u', env: 'prod', seats: 3 })).toBe(0);
});

test('dependent flags: on only while the parent is on and serves the variant asked for', async () => {
  await upsert({ key: 'checkout-v2', enabled: true, strategies: [{ constraints: [{ contextName: 'country', operator: 'in', values: ['DE'] }], variants: [{ name: 'blue', weight: 100, value: true }] }] });
  await upsert({ key: 'express-pay', enabled: true, strategies: [], dependencies: [{ flag: 'checkout-v2', variants: ['blue'] }] });
  await upsert({ key: 'legacy-checkout-banner', enabled: true, strategies: [], dependencies: [{ flag: 'checkout-v2', enabled: false }] });
  const de = { targetingKey: 'u', env: 'prod', country: 'DE' };
  const fr = { targetingKey: 'u', env: 'prod', country: 'FR' };
  expect([await client.getBooleanValue('express-pay', false, de), await client.getBooleanValue('express-pay', true, fr)]).toEqual([true, false]);
  expect([await client.getBooleanValue('legacy-checkout-banner', true, de), await client.getBooleanValue('legacy-checkout-banner', false, fr)]).toEqual([false, true]);
  expect((await client.getBooleanDetails('express-pay', true, fr)).flagMetadata).toMatchObject({ unmetDependency: 'checkout-v2' });
  // the bulk evaluation agrees (every flag once, parents first when needed)
  const res = await fetch(`${app.url}/ofrep/v1/evaluate/flags`, {
    method: 'POST', headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' }, body: JSON.stringify({ context: { ...de, tenant: 'acme' } }),
  });
  const bulk = (await res.json()) as { flags: { key: string; value: unknown }[] };
  expect(Object.fromEntries(bulk.flags.filter((f) => ['express-pay', 'legacy-checkout-banner', 'checkout-v2'].includes(f.key)).map((f) => [f.key, f.value])))
    .toEqual({ 'checkout-v2': true, 'express-pay': true, 'legacy-checkout-banner': false });
});
