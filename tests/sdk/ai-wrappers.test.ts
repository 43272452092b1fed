// meterOpenAI / meterAnthropic through the real `openai` and `@anthropic-ai/sdk` clients, pointed at
// a local server that speaks their wire formats, metering into a real FlagMeter: every completion,
// answered or streamed, is counted once with {tenant, feature: model, tokens, user}, and the caller
// gets exactly what the unwrapped client gives.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { FlagMeter, meterAnthropic, meterOpenAI } from '../../sdk/node/src/index.ts';
import { startSdkServer, type SdkServer } from './harness.ts';
import { ANTHROPIC_TOKENS, startProviders, type Providers } from './providers.ts';

let s: SdkServer;
let p: Providers;
let fm: FlagMeter;
let openai: OpenAI;
let anthropic: Anthropic;

beforeAll(async () => {
  s = await startSdkServer([{ slug: 'oa-co' }, { slug: 'oa-stream-co' }, { slug: 'oa-own-co' }, { slug: 'oa-helper-co' }, { slug: 'an-co' }, { slug: 'an-stream-co' }, { slug: 'an-helper-co' }]);
  p = await startProviders();
  fm = new FlagMeter({ baseUrl: s.url, apiKey: s.key, flushIntervalMs: 60_000, flushOnExit: false });
  openai = new OpenAI({ apiKey: 'sk-test', baseURL: `${p.url}/v1`, maxRetries: 0 });
  anthropic = new Anthropic({ apiKey: 'sk-ant-test', baseURL: p.url, maxRetries: 0 });
});
afterAll(async () => {
  await fm.close();
  await p.close();
  await s.stop();
});

async function recorded(tenant: string) {
  await fm.flush();
  const { rows } = await s.db.pool.query(
    `select feature, tokens, end_user as "user" from flagmeter.events e join flagmeter.tenants t on t.id = e.tenant_id where t.slug = $1::text`, [tenant]);
  return rows;
}

const collect = async (stream: AsyncIterable<unknown>) => {
  const out: unknown[] = [];
  for await (const x of stream) out.push(x);
  return out;
};
const messages = [{ role: 'user' as const, content: 'Hi' }];

describe('OpenAI', () => {
  test('a completion: the same answer, and its usage counted', async () => {
    const ai = meterOpenAI(openai, fm, { tenant: 'oa-co', user: 'alice' });
    const metered = await ai.chat.completions.create({ model: 'gpt-4o', messages });
    const plain = await openai.chat.completions.create({ model: 'gpt-4o', messages });
    expect(metered).toEqual(plain);
    expect(await recorded('oa-co')).toEqual([{ feature: 'gpt-4o', tokens: 17, user: 'alice' }]);
  });

  test('a stream: usage asked for (stream_options.include_usage), the same chunks given back, counted once at the end', async () => {
    const ai = meterOpenAI(openai, fm, { tenant: () => 'oa-stream-co' });
    const before = p.bodies.length;
    const metered = await collect(await ai.chat.completions.create({ model: 'gpt-4o-mini', messages, stream: true }));
    expect(p.bodies[before].stream_options).toEqual({ include_usage: true });
    const plain = await collect(await openai.chat.completions.create({ model: 'gpt-4o-mini', messages, stream: true }));
    expect(p.bodies[before + 1].stream_options).toBeUndefined();
    expect(metered).toEqual(plain);
    expect(await recorded('oa-stream-co')).toEqual([{ feature: 'gpt-4o-mini', tokens: 17, user: null }]);
  });

  test('a stream that asked for usage itself keeps its usage chunk', async () => {
    const ai = meterOpenAI(openai, fm, { tenant: 'oa-own-co' });
    const chunks = await collect(await ai.chat.completions.create({ model: 'gpt-4o', messages, stream: true, stream_options: { include_usage: true } })) as any[];
    expect(chunks.at(-1).usage).toEqual({ prompt_tokens: 12, completion_tokens: 5, total_tokens: 17 });
    expect(await recorded('oa-own-co')).toEqual([{ feature: 'gpt-4o', tokens: 17, user: null }]);
  });

  test("the SDK's helpers built on create() are metered too: chat.completions.stream() and parse()", async () => {
    const ai = meterOpenAI(openai, fm, { tenant: 'oa-helper-co' });
    const final = await ai.chat.completions.stream({ model: 'gpt-4o', messages }).finalChatCompletion();
    expect(final.choices[0]!.message.content).toBe('Hello there');
    const parsed = await ai.chat.completions.parse({ model: 'gpt-4o-mini', messages });
    expect(parsed.choices[0]!.message.content).toBe('Hello there');
    const raw = await ai.chat.completions.create({ model: 'gpt-4o', messages }).asResponse();
    expect((await raw.json()).usage.total_tokens).toBe(17); // the raw body is the caller's: not read, not metered
    expect(await recorded('oa-helper-co')).toEqual([{ feature: 'gpt-4o', tokens: 17, user: null }, { feature: 'gpt-4o-mini', tokens: 17, user: null }]);
  });
});

describe('Anthropic', () => {
  test('a message: the same answer, input + output + cache tokens counted', async () => {
    const ai = meterAnthropic(anthropic, fm, { tenant: 'an-co', user: 'bob' });
    const metered = await ai.messages.create({ model: 'claude-sonnet-4-5', max_tokens: 100, messages });
    const plain = await anthropic.messages.create({ model: 'claude-sonnet-4-5', max_tokens: 100, messages });
    expect(metered).toEqual(plain);
    expect(await recorded('an-co')).toEqual([{ feature: 'claude-sonnet-4-5', tokens: ANTHROPIC_TOKENS, user: 'bob' }]);
  });

  test('a stream (create with stream: true): the same events, counted from message_start and message_delta', async () => {
    const ai = meterAnthropic(anthropic, fm, { tenant: 'an-stream-co' });
    const metered = await collect(await ai.messages.create({ model: 'claude-haiku-4-5', max_tokens: 100, messages, stream: true }));
    const plain = await collect(await anthropic.messages.create({ model: 'claude-haiku-4-5', max_tokens: 100, messages, stream: true }));
    expect(metered).toEqual(plain);
    expect(await recorded('an-stream-co')).toEqual([{ feature: 'claude-haiku-4-5', tokens: ANTHROPIC_TOKENS, user: null }]);
  });

  test('the messages.stream() helper goes through the wrapper too', async () => {
    const ai = meterAnthropic(anthropic, fm, { tenant: 'an-helper-co' });
    const final = await ai.messages.stream({ model: 'claude-haiku-4-5', max_tokens: 100, messages }).finalMessage();
    expect(final.content).toEqual([{ type: 'text', text: 'Hello there' }]);
    expect(final.usage.output_tokens).toBe(8);
    expect(await recorded('an-helper-co')).toEqual([{ feature: 'claude-haiku-4-5', tokens: ANTHROPIC_TOKENS, user: null }]);
  });
});
