// flagmeterMiddleware with the Vercel AI SDK (`ai`'s wrapLanguageModel) and its real OpenAI provider
// (@ai-sdk/openai) pointed at the local server that speaks OpenAI's wire format: generateText and
// streamText each count once in a real FlagMeter and give the text the unwrapped model gives.
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { createOpenAI } from '@ai-sdk/openai';
import { generateText, streamText, wrapLanguageModel } from 'ai';
import { FlagMeter, flagmeterMiddleware } from '../../sdk/node/src/index.ts';
import { startSdkServer, type SdkServer } from './harness.ts';
import { startProviders, type Providers } from './providers.ts';

let s: SdkServer;
let p: Providers;
let fm: FlagMeter;
beforeAll(async () => {
  s = await startSdkServer([{ slug: 'vercel-co' }]);
  p = await startProviders();
  fm = new FlagMeter({ baseUrl: s.url, apiKey: s.key, flushIntervalMs: 60_000, flushOnExit: false });
});
afterAll(async () => {
  await fm.close();
  await p.close();
  await s.stop();
});

test('generateText and streamText through the middleware: the same text, each call counted once', async () => {
  const provider = createOpenAI({ baseURL: `${p.url}/v1`, apiKey: 'sk-test' });
  const plain = provider.chat('gpt-4o');
  const model = wrapLanguageModel({ model: plain, middleware: flagmeterMiddleware(fm, { tenant: 'vercel-co', user: 'carol' }) });
  const metered = await generateText({ model, prompt: 'Hi', maxRetries: 0 });
  expect(metered.text).toBe((await generateText({ model: plain, prompt: 'Hi', maxRetries: 0 })).text);
  expect(metered.usage.totalTokens).toBe(17);
  const streamed = streamText({ model, prompt: 'Hi', maxRetries: 0 });
  let text = '';
  for await (const part of streamed.textStream) text += part;
  expect(text).toBe('Hello there');
  await fm.flush();
  const { rows } = await s.db.pool.query(
    `select feature, tokens, end_user as "user" from flagmeter.events e join flagmeter.tenants t on t.id = e.tenant_id where t.slug = 'vercel-co' order by received_at`);
  expect(rows).toEqual([{ feature: 'gpt-4o', tokens: 17, user: 'carol' }, { feature: 'gpt-4o', tokens: 17, user: 'carol' }]);
});
