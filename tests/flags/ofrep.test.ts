// OFREP through the real OpenFeature SDK (@openfeature/server-sdk + @openfeature/ofrep-provider)
// against a running FlagMeter: values, reasons, a missing flag, changes seen by the next
// evaluation, bulk ETag/304, OFREP errors, evaluation counts, and flags that follow the quota.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { OpenFeature, type Client } from '@openfeature/server-sdk';
import { OFREPProvider } from '@openfeature/ofrep-provider';
import { startTestApp } from '../helpers/app.ts';
import { addTenants, createTestDb, type TestDb } from '../helpers/db.ts';
import { waitUntil } from '../helpers/net.ts';
import type { FlagMeter } from '../../server/runtime.ts';

const ADMIN = 'fm_live_flagsadmin02_DDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDD';
let db: TestDb;
let app: FlagMeter;
let client: Client;
let evalKey: string;

async function call(method: string, path: string, body?: unknown, key = ADMIN, headers: Record<string, string> = {}) {
  const res = await fetch(`${app.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined, headers: res.headers };
}
const upsert = async (flag: object) => expect((await call('POST', '/api/features', { tenant: 'acme', env: 'prod', ...flag })).status).toBeLessThan(300);

beforeAll(async () => {
  db = await createTestDb();
  await addTenants(db.pool, [{ slug: 'acme', quota: 1000 }, { slug: 'globex' }]);
  app = await startTestApp(db.url, { FLAGMETER_AUTH: 'true', FLAGMETER_ADMIN_KEY: ADMIN, FLAG_COUNTS_FLUSH_MS: '100000', OFREP_CORS_ORIGINS: 'https://app.example.com' });
  evalKey = (await call('POST', '/api/keys', { name: 'browser', scopes: ['evaluate'], tenant: 'acme' })).body.key;
  await upsert({ key: 'dark-mode', enabled: true, strategy: 'boolean' });
  await upsert({ key: 'model', enabled: true, strategy: 'targeting', type: 'string', onValue: 'gpt-4o', offValue: 'gpt-4o-mini', allow: ['alice'], deny: ['mallory'] });
  await upsert({ key: 'half', enabled: true, strategy: 'percentage', percentage: 50 });
  await OpenFeature.setProviderAndWait('flagmeter', new OFREPProvider({ baseUrl: app.url, headers: [['Authorization', `Bearer ${evalKey}`]] }));
  client = OpenFeature.getClient('flagmeter');
});
afterAll(async () => {
  await OpenFeature.close();
  await app.stop();
  await db.drop();
});

describe('through the OpenFeature SDK', () => {
  test('boolean and string flags with their reasons and variants', async () => {
    expect(await client.getBooleanDetails('dark-mode', false, { targetingKey: 'bob', env: 'prod' })).toMatchObject({ value: true, reason: 'STATIC', variant: 'on' });
    expect(await client.getStringDetails('model', 'default', { targetingKey: 'alice', env: 'prod' })).toMatchObject({ value: 'gpt-4o', reason: 'TARGETING_MATCH' });
    expect(await client.getStringDetails('model', 'default', { targetingKey: 'mallory', env: 'prod' })).toMatchObject({ value: 'gpt-4o-mini', reason: 'TARGETING_MATCH', variant: 'off' });
    expect(await client.getStringDetails('model', 'default', { targetingKey: 'zed', env: 'prod' })).toMatchObject({ value: 'gpt-4o-mini', reason: 'DEFAULT' });
    const split = await Promise.all(Array.from({ length: 200 }, (_, i) => client.getBooleanDetails('half', false, { targetingKey: `u${i}`, env: 'prod' })));
    expect(split.every((d) => d.reason === 'SPLIT')).toBe(true);
    const on = split.filter((d) => d.value).length;
    expect(on).toBeGreaterThan(60);
    expect(on).toBeLessThan(140);
  });

  test('a missing flag, a missing user and a wrong type as the SDK reports them', async () => {
    expect(await client.getBooleanDetails('nope', false, { targetingKey: 'bob', env: 'prod' })).toMatchObject({ value: false, reason: 'ERROR', errorCode: 'FLAG_NOT_FOUND' });
    expect(await client.getBooleanDetails('half', true, { env: 'prod' })).toMatchObject({ value: true, reason: 'ERROR', errorCode: 'TARGETING_KEY_MISSING' });
    expect(await client.getBooleanDetails('model', false, { targetingKey: 'alice', env: 'prod' })).toMatchObject({ value: false, reason: 'ERROR', errorCode: 'TYPE_MISMATCH' });
  });

  test('a flag change is seen by the very next evaluation', async () => {
    await upsert({ key: 'dark-mode', enabled: false, strategy: 'boolean' });
    expect(await client.getBooleanDetails('dark-mode', true, { targetingKey: 'bob', env: 'prod' })).toMatchObject({ value: false, reason: 'DISABLED' });
    await upsert({ key: 'dark-mode', enabled: true, strategy: 'boolean' });
    expect(await client.getBooleanValue('dark-mode', false, { targetingKey: 'bob', env: 'prod' })).toBe(true);
    expect((await call('DELETE', '/api/features', { tenant: 'acme', env: 'prod', key: 'half' })).status).toBe(200);
    expect((await client.getBooleanDetails('half', false, { targetingKey: 'u1', env: 'prod' })).errorCode).toBe('FLAG_NOT_FOUND');
    // a global flag is inherited until the tenant has its own
    expect((await call('POST', '/api/features', { env: 'prod', key: 'global-one', enabled: true, strategy: 'boolean' })).status).toBe(201);
    expect((await client.getBooleanDetails('global-one', false, { targetingKey: 'u', env: 'prod' })).flagMetadata).toMatchObject({ inherited: true });
    await upsert({ key: 'global-one', enabled: false, strategy: 'boolean' });
    expect(await client.getBooleanValue('global-one', true, { targetingKey: 'u', env: 'prod' })).toBe(false);
  });
});

describe('OFREP on the wire', () => {
  test('a key of "." or ".." (removed by URL normalization) answers as the path it becomes, as documented', async () => {
    const dot = await call('POST', '/ofrep/v1/evaluate/flags/.', { context: {} });
    expect([dot.status, dot.body]).toEqual([400, { errorCode: 'INVALID_CONTEXT', errorDetails: expect.any(String) }]);
    const dots = await call('POST', '/ofrep/v1/evaluate/flags/..', { context: {} });
    expect([dots.status, typeof dots.body.error.code]).toEqual([404, 'string']);
  });

  const ofrep = (path: string, body: unknown, key = evalKey, headers: Record<string, string> = {}) =>
    call('POST', `/ofrep/v1/evaluate/flags${path}`, body, key, headers);

  test('bulk: every flag, an ETag, and 304 while nothing changed', async () => {
    const first = await ofrep('', { context: { targetingKey: 'alice', env: 'prod' } });
    expect(first.status).toBe(200);
    expect(first.body.flags.map((f: any) => [f.key, f.value])).toEqual([['dark-mode', true], ['global-one', false], ['model', 'gpt-4o']]);
    const tag = first.headers.get('etag')!;
    const again = await ofrep('', { context: { targetingKey: 'alice', env: 'prod' } }, evalKey, { 'if-none-match': tag });
    expect(again.status).toBe(304);
    // another user sees other values: another tag
    expect((await ofrep('', { context: { targetingKey: 'zed', env: 'prod' } }, evalKey, { 'if-none-match': tag })).status).toBe(200);
    await upsert({ key: 'model', enabled: false, strategy: 'boolean' });
    expect((await ofrep('', { context: { targetingKey: 'alice', env: 'prod' } }, evalKey, { 'if-none-match': tag })).status).toBe(200);
  });

  test('errors as the spec has them', async () => {
    expect(await ofrep('/dark-mode', '{"context": ')).toMatchObject({ status: 400, body: { key: 'dark-mode', errorCode: 'PARSE_ERROR' } });
    expect(await ofrep('/dark-mode', { context: 'acme' })).toMatchObject({ status: 400, body: { key: 'dark-mode', errorCode: 'INVALID_CONTEXT' } });
    expect(await ofrep('', { context: [1] })).toMatchObject({ status: 400, body: { errorCode: 'INVALID_CONTEXT' } });
    expect(await ofrep('/dark-mode', { context: { targetingKey: 5 } })).toMatchObject({ status: 400, body: { errorCode: 'INVALID_CONTEXT' } });
    expect(await ofrep('/dark-mode', { context: { env: 'nowhere' } })).toMatchObject({ status: 400, body: { errorCode: 'INVALID_CONTEXT' } });
    expect(await ofrep('/nope', { context: {} })).toMatchObject({ status: 404, body: { key: 'nope', errorCode: 'FLAG_NOT_FOUND' } });
    // another tenant in the context: 403; a global key must name the tenant
    expect((await ofrep('/dark-mode', { context: { tenant: 'globex' } })).status).toBe(403);
    expect(await ofrep('/dark-mode', { context: {} }, ADMIN)).toMatchObject({ status: 400, body: { errorCode: 'INVALID_CONTEXT' } });
    expect(await ofrep('/dark-mode', { context: { tenant: 'acme' } }, ADMIN)).toMatchObject({ status: 200, body: { value: true } });
    expect((await ofrep('/dark-mode', { context: {} }, 'fm_live_aaaaaaaaaaaa_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA')).status).toBe(401);
    const ingestOnly = (await call('POST', '/api/keys', { name: 'ingest', scopes: ['ingest'], tenant: 'acme' })).body.key;
    expect((await ofrep('/dark-mode', { context: {} }, ingestOnly)).status).toBe(403);
  });

  test('CORS for the web provider: a preflight without a key, ETag readable, other origins get no CORS headers', async () => {
    const pre = await fetch(`${app.url}/ofrep/v1/evaluate/flags`, { method: 'OPTIONS', headers: { origin: 'https://app.example.com', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type,if-none-match' } });
    expect(pre.status).toBe(204);
    expect(pre.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
    expect(pre.headers.get('access-control-allow-headers')).toContain('If-None-Match');
    const real = await ofrep('', { context: { targetingKey: 'alice', env: 'prod' } }, evalKey, { origin: 'https://app.example.com' });
    expect(real.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
    expect(real.headers.get('access-control-expose-headers')).toContain('ETag');
    const other = await ofrep('', { context: { targetingKey: 'alice', env: 'prod' } }, evalKey, { origin: 'https://evil.example' });
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
    expect((await fetch(`${app.url}/ofrep/v1/evaluate/flags`, { method: 'OPTIONS', headers: { origin: 'https://evil.example' } })).status).toBe(401);
  });

  test('429 with Retry-After past the tenant\'s rate limit', async () => {
    await call('PATCH', '/api/tenants/globex', { rateLimitPerSecond: 1, rateLimitBurst: 2 });
    await call('POST', '/api/features', { tenant: 'globex', env: 'prod', key: 'x', enabled: true, strategy: 'boolean' });
    const statuses: number[] = [];
    let retry: string | null = null;
    for (let i = 0; i < 4; i++) {
      const r = await ofrep('/x', { context: { tenant: 'globex' } }, ADMIN);
      statuses.push(r.status);
      retry ??= r.headers.get('retry-after');
    }
    expect(statuses.slice(0, 2)).toEqual([200, 200]);
    expect(statuses).toContain(429);
    expect(Number(retry)).toBeGreaterThan(0);
  });

  test('the rate limit is per key: a flooded browser key does not use up the backend key\'s budget', async () => {
    await call('POST', '/api/tenants', { slug: 'initech', name: 'Initech' });
    await call('PATCH', '/api/tenants/initech', { rateLimitPerSecond: 1, rateLimitBurst: 3 });
    await call('POST', '/api/features', { tenant: 'initech', env: 'prod', key: 'y', enabled: true, strategy: 'boolean' });
    const browser = (await call('POST', '/api/keys', { name: 'initech browser', scopes: ['evaluate'], tenant: 'initech' })).body.key;
    const backend = (await call('POST', '/api/keys', { name: 'initech backend', scopes: ['evaluate', 'check'], tenant: 'initech' })).body.key;
    const browserStatuses: number[] = [];
    for (let i = 0; i < 6; i++) browserStatuses.push((await ofrep('/y', { context: {} }, browser)).status);
    expect(browserStatuses).toContain(429);
    // the backend's own bucket is full: three evaluations at once pass
    for (let i = 0; i < 3; i++) expect(await ofrep('/y', { context: {} }, backend)).toMatchObject({ status: 200, body: { value: true } });
  });

  test('evaluations are counted per flag, environment, value and hour, written in a batch; the list shows them; old counts are pruned', async () => {
    await db.pool.query(`insert into flagmeter.flag_evaluations select t.id, e.id, 'ancient', date_trunc('hour', now() - interval '100 days'), 'true', 5, now() - interval '100 days'
      from flagmeter.tenants t, flagmeter.environments e where t.slug = 'acme' and e.name = 'prod'`);
    // the process's first flush also prunes (then once an hour): 100 days is past the default 90
    await app.flags!.counter.flush();
    expect((await db.pool.query(`select count(*)::int as n from flagmeter.flag_evaluations where flag_key = 'ancient'`)).rows[0].n).toBe(0);
    await db.pool.query('delete from flagmeter.flag_evaluations');
    for (const user of ['alice', 'bob', 'carol']) await client.getBooleanValue('dark-mode', false, { targetingKey: user, env: 'prod' });
    expect((await db.pool.query('select count(*)::int as n from flagmeter.flag_evaluations')).rows[0].n).toBe(0);
    await app.flags!.counter.flush();
    const { rows } = await db.pool.query(`select tenant, environment, flag_key, value, evaluations from report.flag_evaluations`);
    expect(rows).toEqual([{ tenant: 'acme', environment: 'prod', flag_key: 'dark-mode', value: 'true', evaluations: 3 }]);
    const item = (await call('GET', '/api/features?tenant=acme&env=prod')).body.items.find((i: any) => i.key === 'dark-mode');
    expect(item).toMatchObject({ evaluations24h: 3, byValue24h: { true: 3 }, stale: false });
    expect(Date.parse(item.lastEvaluatedAt)).toBeGreaterThan(Date.now() - 60_000);
    // and Prometheus sees the evaluations and the cached sets
    const text = await (await fetch(`${app.url}/metrics`)).text();
    const metric = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1]);
    expect(metric('flagmeter_flag_evaluations_total')).toBeGreaterThan(200);
    expect(metric('flagmeter_flag_sets_cached')).toBeGreaterThanOrEqual(2);
    expect(metric('flagmeter_flag_count_flush_failures_total')).toBe(0);
  });
});

describe('flags that follow the quota', () => {
  test('the value switches within a second of usage crossing the rule\'s percent; the rule and percent are in metadata', async () => {
    await upsert({
      key: 'llm', enabled: true, strategy: 'boolean', type: 'string', onValue: 'gpt-4o', offValue: 'none',
      quotaRules: [{ atPercent: 90, serve: 'gpt-4o-mini' }, { atPercent: 100, serve: false }, { atPercent: 10, serve: 'tiny', feature: 'no-such-limit' }],
    });
    const ctx = { targetingKey: 'alice', env: 'prod' };
    const first = await client.getStringDetails('llm', 'x', ctx);
    expect(first).toMatchObject({ value: 'gpt-4o', reason: 'STATIC', flagMetadata: { quotaRulesWithoutLimit: 'no-such-limit' } });
    const ingest = async (tokens: number) => expect((await call('POST', '/api/events', { tenant: 'acme', feature: 'gpt-4o', tokens })).status).toBe(201);

    await ingest(900);
    const crossed = Date.now();
    await waitUntil(async () => (await client.getStringValue('llm', 'x', ctx)) === 'gpt-4o-mini', 1500);
    const seenAfterMs = Date.now() - crossed;
    const d = await client.getStringDetails('llm', 'x', ctx);
    expect(d).toMatchObject({ value: 'gpt-4o-mini', reason: 'TARGETING_MATCH', variant: 'quota-90', flagMetadata: { quotaAtPercent: 90, quotaPercent: 90 } });
    expect(d.flagMetadata.quotaRule).toContain('at 90% of the monthly quota');
    // the list shows the rule that is active for the tenant now
    const item = (await call('GET', '/api/features?tenant=acme&env=prod')).body.items.find((i: any) => i.key === 'llm');
    expect(item.activeQuotaRule).toMatchObject({ atPercent: 90, serve: 'gpt-4o-mini', percent: 90 });

    await ingest(100);
    await waitUntil(async () => (await client.getStringValue('llm', 'x', ctx)) === 'none', 1500);
    expect(await client.getStringDetails('llm', 'x', ctx)).toMatchObject({ reason: 'TARGETING_MATCH', flagMetadata: { quotaAtPercent: 100, quotaPercent: 100 } });
    expect(seenAfterMs).toBeLessThan(1500);
  });
});
