// FlagMeterProvider (@flagmeter/sdk/openfeature) through @openfeature/server-sdk against a real
// FlagMeter: the tenant and environment come from the provider's options, a context's own win.
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { OpenFeature } from '@openfeature/server-sdk';
import { FlagMeterProvider } from '../../sdk/node/src/openfeature.ts';
import { startSdkServer, type SdkServer } from './harness.ts';

let s: SdkServer;
beforeAll(async () => {
  s = await startSdkServer([{ slug: 'of-co' }, { slug: 'of-other' }]);
  for (const [tenant, enabled] of [['of-co', true], ['of-other', false]] as const) {
    const r = await s.admin('POST', '/api/features', { tenant, env: 'prod', key: 'new-model', enabled, strategy: 'boolean' });
    expect(r.status).toBeLessThan(300);
  }
  await OpenFeature.setProviderAndWait('fm-sdk', new FlagMeterProvider({ baseUrl: s.url, apiKey: s.key, tenant: 'of-co', env: 'prod' }));
});
afterAll(async () => {
  await OpenFeature.close();
  await s.stop();
});

test('evaluates for the configured tenant; a context may name another; a missing flag is the default', async () => {
  const client = OpenFeature.getClient('fm-sdk');
  expect(await client.getBooleanDetails('new-model', false, { targetingKey: 'alice' })).toMatchObject({ value: true, reason: 'STATIC' });
  expect(await client.getBooleanValue('new-model', true, { targetingKey: 'alice', tenant: 'of-other' })).toBe(false);
  expect(await client.getBooleanDetails('nope', false, { targetingKey: 'alice' })).toMatchObject({ value: false, errorCode: 'FLAG_NOT_FOUND' });
});
