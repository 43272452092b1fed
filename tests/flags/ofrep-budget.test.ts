// Quota rules on the money budgets through the real OpenFeature SDK (@openfeature/server-sdk +
// @openfeature/ofrep-provider): a rule with budget: true follows the tenant's monthly budget, a
// rule with a feature follows that feature's limit in money when it is set in money; each flag
// switches within about a second of the spend reaching its percent.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { OpenFeature, type Client } from '@openfeature/server-sdk';
import { OFREPProvider } from '@openfeature/ofrep-provider';
import { startTestApp } from '../helpers/app.ts';
import { addTenants, createTestDb, type TestDb } from '../helpers/db.ts';
import { waitUntil } from '../helpers/net.ts';
import type { FlagMeter } from '../../server/runtime.ts';

const ADMIN = 'fm_live_flagsadmin05_GGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGG';
let db: TestDb;
let app: FlagMeter;
let client: Client;

async function call(method: string, path: string, body?: unknown) {
  const res = await fetch(`${app.url}${path}`, {
    method, headers: { authorization: `Bearer ${ADMIN}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}
const upsert = async (flag: object, tenant = 'acme') => {
  const r = await call('POST', '/api/features', { tenant, env: 'prod', ...flag });
  expect([r.status < 300, r.status < 300 ? '' : JSON.stringify(r.body)]).toEqual([true, '']);
};
/** 1,000 tokens of m-flag or m-more cost 1.00 (1,000 per million). */
const spend = async (tenant: string, feature: string, tokens: number) => expect((await call('POST', '/api/events', { tenant, feature, tokens })).status).toBe(201);

beforeAll(async () => {
  db = await createTestDb();
  await addTenants(db.pool, [{ slug: 'acme', quota: 1_000_000_000 }, { slug: 'globex' }]);
  await db.pool.query(`insert into flagmeter.prices (model, currency, effective_from, input, output, cached, plain)
    values ('m-flag', 'USD', '2000-01-01', 1000, 1000, 1000, 1000), ('m-more', 'USD', '2000-01-01', 1000, 1000, 1000, 1000)`);
  app = await startTestApp(db.url, { FLAGMETER_AUTH: 'true', FLAGMETER_ADMIN_KEY: ADMIN });
  expect((await call('PUT', '/api/tenants/acme/budget', { monthlyBudget: '10' })).status).toBe(200);
  expect((await call('PATCH', '/api/tenants/acme', { featureLimits: [{ feature: 'm-flag', monthlyBudget: '2' }] })).status).toBe(200);
  const key = (await call('POST', '/api/keys', { name: 'sdk', scopes: ['evaluate'] })).body.key as string;
  await OpenFeature.setProviderAndWait('budget', new OFREPProvider({ baseUrl: app.url, headers: [['Authorization', `Bearer ${key}`]] }));
  client = OpenFeature.getClient('budget');
});
afterAll(async () => {
  await OpenFeature.close();
  await app.stop();
  await db.drop();
});

const acme = { targetingKey: 'alice', env: 'prod', tenant: 'acme' };

describe('flags that follow a budget in money', () => {
  test('a feature\'s money limit turns a flag off at 100%; the tenant\'s budget downgrades at 90% and switches off at 100%', async () => {
    await upsert({ key: 'pro-model', enabled: true, strategy: 'boolean', quotaRules: [{ atPercent: 100, serve: false, feature: 'm-flag' }] });
    await upsert({
      key: 'llm', enabled: true, strategy: 'boolean', type: 'string', onValue: 'gpt-4o', offValue: 'none',
      quotaRules: [{ atPercent: 90, serve: 'gpt-4o-mini', budget: true }, { atPercent: 100, serve: false, budget: true }],
    });
    expect(await client.getBooleanDetails('pro-model', false, acme)).toMatchObject({ value: true, reason: 'STATIC' });
    expect(await client.getStringDetails('llm', 'x', acme)).toMatchObject({ value: 'gpt-4o', reason: 'STATIC' });

    // 1.999 of m-flag's 2.00: not yet (99.95%)
    await spend('acme', 'm-flag', 1999);
    await new Promise((r) => setTimeout(r, 1300));
    expect(await client.getBooleanValue('pro-model', false, acme)).toBe(true);
    // 2.00 of 2.00: off within about a second
    await spend('acme', 'm-flag', 1);
    const crossed = Date.now();
    await waitUntil(async () => (await client.getBooleanValue('pro-model', true, acme)) === false, 1500);
    expect(Date.now() - crossed).toBeLessThan(1500);
    const off = await client.getBooleanDetails('pro-model', true, acme);
    expect(off).toMatchObject({ value: false, reason: 'TARGETING_MATCH', variant: 'quota-100-m-flag', flagMetadata: { quotaAtPercent: 100, quotaPercent: 100, quotaFeature: 'm-flag' } });
    // the tenant's budget: 2.00 of 10.00, 20%
    expect((await client.getStringDetails('llm', 'x', acme)).value).toBe('gpt-4o');

    await spend('acme', 'm-more', 7000); // 9.00 of 10.00
    await waitUntil(async () => (await client.getStringValue('llm', 'x', acme)) === 'gpt-4o-mini', 1500);
    const down = await client.getStringDetails('llm', 'x', acme);
    expect(down).toMatchObject({ reason: 'TARGETING_MATCH', variant: 'quota-90-budget', flagMetadata: { quotaAtPercent: 90, quotaPercent: 90, quotaBudget: true } });
    expect(down.flagMetadata.quotaRule).toBe('at 90% of the monthly budget serve "gpt-4o-mini"');
    const item = (await call('GET', '/api/features?tenant=acme&env=prod')).body.items.find((i: { key: string }) => i.key === 'llm');
    expect(item.activeQuotaRule).toEqual({ atPercent: 90, serve: 'gpt-4o-mini', budget: true, percent: 90 });

    await spend('acme', 'm-more', 1000); // 10.00 of 10.00
    await waitUntil(async () => (await client.getStringValue('llm', 'x', acme)) === 'none', 1500);
    expect(await client.getStringDetails('llm', 'x', acme)).toMatchObject({ variant: 'quota-100-budget', flagMetadata: { quotaPercent: 100 } });
  });

  test('without a budget a budget rule does not apply, and says so', async () => {
    await upsert({ key: 'llm', enabled: true, strategy: 'boolean', quotaRules: [{ atPercent: 1, serve: false, budget: true }] }, 'globex');
    await spend('globex', 'm-flag', 5000);
    const d = await client.getBooleanDetails('llm', false, { targetingKey: 'bob', env: 'prod', tenant: 'globex' });
    expect(d).toMatchObject({ value: true, reason: 'STATIC', flagMetadata: { quotaRulesWithoutBudget: true } });
  });

  test('a rule names a feature or the budget, not both; two budget rules on one percent are refused', async () => {
    const bad = [
      [{ atPercent: 90, serve: false, budget: true, feature: 'm-flag' }],
      [{ atPercent: 90, serve: false, budget: true }, { atPercent: 90, serve: true, budget: true }],
    ];
    const fields = [];
    for (const quotaRules of bad) {
      const r = await call('POST', '/api/features', { tenant: 'acme', env: 'prod', key: 'bad', enabled: true, strategy: 'boolean', quotaRules });
      fields.push([r.status, r.body.error.details[0].field, r.body.error.details[0].message]);
    }
    expect(fields).toEqual([
      [400, 'quotaRules.0.budget', expect.stringContaining('follows that feature\'s limit')],
      [400, 'quotaRules.1.atPercent', 'two rules at 90% of the budget'],
    ]);
    // the quota's 90% and the budget's 90% are two different rules
    await upsert({ key: 'two', enabled: true, strategy: 'boolean', quotaRules: [{ atPercent: 90, serve: false }, { atPercent: 90, serve: false, budget: true }] });
  });
});
