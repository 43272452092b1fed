// Local evaluation (@flagmeter/sdk LocalFlags): the shared vectors (sdk/vectors/flag-evaluation.json
// for flat definitions, flag-model.json for the full model) hold for the server's evaluator, for the
// SDK's, and for a real server through OFREP; against a real FlagMeter the definitions sync with
// ETag (unchanged: 304), inherit the global flags and segments, and evaluate exactly as OFREP answers.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import fs from 'node:fs';
import { compile, evaluate } from '../../sdk/node/src/local/evaluate.ts';
import { bucket as serverBucket } from '../../sdk/node/src/local/murmur3.ts';
import { serverFlag } from '../../sdk/vectors/server-flag.ts';
import { bucket, CompiledFlags, evaluateFlag, LocalFlags, type FlagDefinition, type FlagsDocument } from '../../sdk/node/src/index.ts';
import { startSdkServer, type SdkServer } from './harness.ts';

const vectors = JSON.parse(fs.readFileSync('sdk/vectors/flag-evaluation.json', 'utf8'));
const flagOf = (c: any) => ({ ...vectors.defaults, ...c.flag });
const model = JSON.parse(fs.readFileSync('sdk/vectors/flag-model.json', 'utf8'));
const usageOf = (c: any) => c.usage && { quota: c.usage.quota, features: new Map(Object.entries(c.usage.features ?? {})) };

describe('the shared vectors', () => {
  test('are what the server computes: buckets and evaluations', () => {
    expect(vectors.buckets.length).toBeGreaterThan(200);
    for (const v of vectors.buckets) expect([v.group, v.userId, serverBucket(v.group, v.userId)]).toEqual([v.group, v.userId, v.bucket]);
    for (const c of vectors.cases) {
      const got = evaluate(compile(serverFlag(flagOf(c)), false), c.userId, usageOf(c));
      expect({ key: c.flag.key, userId: c.userId, got: { value: got.value, variant: got.variant, reason: got.reason, ...(got.userMissing ? { userMissing: true } : {}) } })
        .toEqual({ key: c.flag.key, userId: c.userId, got: c.expected });
    }
  });

  test('are what the SDK computes in process', () => {
    for (const v of vectors.buckets) expect([v.group, v.userId, bucket(v.group, v.userId)]).toEqual([v.group, v.userId, v.bucket]);
    for (const c of vectors.cases) {
      const got = evaluateFlag({ ...flagOf(c), activeQuotaRule: c.activeQuotaRule ?? null } as FlagDefinition, c.userId);
      expect({ key: c.flag.key, userId: c.userId, got }).toEqual({ key: c.flag.key, userId: c.userId, got: c.expected });
    }
  });
});

test('the model vectors are what the SDK computes in process (CompiledFlags over the document)', () => {
  const flags = new CompiledFlags(model.document as FlagsDocument);
  expect(model.cases.length).toBeGreaterThan(1000);
  for (const c of model.cases) expect({ flag: c.flag, context: c.context, got: flags.evaluate(c.flag, model.contexts[c.context]) }).toEqual({ flag: c.flag, context: c.context, got: c.expected });
});

describe('against a real FlagMeter', () => {
  let s: SdkServer;
  let readKey: string;
  beforeAll(async () => {
    s = await startSdkServer([{ slug: 'local-co', quota: 1000 }, { slug: 'vectors' }, { slug: 'inherits' }], { FLAG_COUNTS_FLUSH_MS: '1000000', FLAG_QUOTA_REFRESH_MS: '100' });
    readKey = (await s.admin('POST', '/api/keys', { name: 'flags-reader', scopes: ['read'], tenant: 'local-co' })).body.key;
    const flags = [
      { key: 'half', enabled: true, strategy: 'percentage', percentage: 50 },
      { key: 'beta', enabled: true, strategy: 'targeting', allow: ['u1', 'u3', 'Zoë'], deny: ['u2'] },
      { key: 'model', enabled: true, strategy: 'percentage', percentage: 30, type: 'string', onValue: 'gpt-4o', offValue: 'gpt-4o-mini', group: 'models' },
      { key: 'follows-quota', enabled: true, strategy: 'boolean', type: 'string', onValue: 'gpt-4o', offValue: 'none', quotaRules: [{ atPercent: 90, serve: 'gpt-4o-mini' }] },
    ];
    for (const f of flags) expect(await s.admin('POST', '/api/features', { tenant: 'local-co', env: 'prod', ...f })).toMatchObject({ status: 201 });
  });
  afterAll(async () => {
    await s.stop();
  });

  const ofrep = async (key: string, userId: string) => {
    const res = await fetch(`${s.url}/ofrep/v1/evaluate/flags/${key}`, {
      method: 'POST', headers: { authorization: `Bearer ${s.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ context: { targetingKey: userId, tenant: 'local-co', env: 'prod' } }),
    });
    const b = await res.json();
    return { value: b.value, variant: b.variant, reason: b.reason };
  };
  const users = [...Array.from({ length: 60 }, (_, i) => `u${i}`), 'Zoë', '李雷', '🙂'];

  test('evaluates as OFREP answers, for every flag and user', async () => {
    const local = new LocalFlags({ baseUrl: s.url, apiKey: readKey, tenant: 'local-co', env: 'prod', refreshMs: 0 });
    await local.ready();
    expect(local.keys().sort()).toEqual(['beta', 'follows-quota', 'half', 'model']);
    for (const key of local.keys()) {
      for (const u of users) expect({ key, u, e: local.evaluate(key, u) }).toEqual({ key, u, e: await ofrep(key, u) });
    }
    expect(local.getString('model', 'x', 'u1')).toBe((await ofrep('model', 'u1')).value);
    expect(local.getBoolean('nope', true, 'u1')).toBe(true);
    local.close();
  });

  const bulk = async (context: Record<string, unknown>) => {
    const res = await fetch(`${s.url}/ofrep/v1/evaluate/flags`, {
      method: 'POST', headers: { authorization: `Bearer ${s.key}`, 'content-type': 'application/json' }, body: JSON.stringify({ context }),
    });
    expect(res.status).toBe(200);
    const answers = new Map<string, any>();
    for (const f of (await res.json()).flags) answers.set(f.key, f.errorCode ? { errorCode: f.errorCode } : { value: f.value, variant: f.variant, reason: f.reason });
    return answers;
  };
  // what OFREP answers for an evaluation: a missing user is an error, the rest is value, variant and reason
  const asOfrep = (e: { value: unknown; variant: string; reason: string; userMissing?: true } | undefined) =>
    (e?.userMissing ? { errorCode: 'TARGETING_KEY_MISSING' } : e && { value: e.value, variant: e.variant, reason: e.reason });

  test('the model vectors: the server through OFREP, and LocalFlags synced from it, answer every one', async () => {
    const imported = await s.admin('POST', '/api/flags/import', { tenant: 'vectors', env: 'prod', document: model.document });
    expect(imported).toMatchObject({ status: 200, body: { flags: { created: model.document.flags.map((f: any) => f.key) } } });
    const local = new LocalFlags({ baseUrl: s.url, apiKey: s.adminKey, tenant: 'vectors', env: 'prod', refreshMs: 0 });
    await local.ready();
    for (const [i, context] of model.contexts.entries()) {
      const answers = await bulk(context);
      for (const c of model.cases.filter((x: any) => x.context === i)) {
        expect({ flag: c.flag, context: i, ofrep: answers.get(c.flag), local: local.evaluate(c.flag, context) })
          .toEqual({ flag: c.flag, context: i, ofrep: asOfrep(c.expected), local: c.expected });
      }
    }
    local.close();
  });

  test('inherits the global flags and segments as the server does; the export answers 304 while unchanged', async () => {
    const g = (path: string, body: unknown) => s.admin('POST', path, body);
    expect((await g('/api/segments', { name: 'beta-testers', constraints: [{ contextName: 'email', operator: 'str_ends_with', values: ['@beta.test'] }] })).status).toBe(201);
    expect((await g('/api/segments', { tenant: 'inherits', name: 'beta-testers', constraints: [{ contextName: 'email', operator: 'str_ends_with', values: ['@own.test'] }] })).status).toBe(201);
    expect((await g('/api/features', { env: 'prod', key: 'global-beta', enabled: true, strategies: [{ segments: ['beta-testers'] }] })).status).toBe(201);
    expect((await g('/api/features', { env: 'prod', key: 'global-own', enabled: true, strategies: [{ segments: ['beta-testers'] }] })).status).toBe(201);
    expect((await g('/api/features', { tenant: 'inherits', env: 'prod', key: 'global-own', enabled: true, strategies: [{ segments: ['beta-testers'], rollout: 50 }] })).status).toBe(201);
    expect((await g('/api/features', { tenant: 'inherits', env: 'prod', key: 'needs-global', enabled: true, strategies: [], dependencies: [{ flag: 'global-beta' }], type: 'json', onValue: { a: 1 }, offValue: { a: 0 } })).status).toBe(201);
    const local = new LocalFlags({ baseUrl: s.url, apiKey: s.adminKey, tenant: 'inherits', env: 'prod', refreshMs: 0 });
    await local.ready();
    expect(local.keys().sort()).toEqual(['global-beta', 'global-own', 'needs-global']);
    const users = ['a@beta.test', 'b@own.test', 'c@beta.test', 'Zoë@own.test', 'x@else.test'].flatMap((email, i) => [`u${i}`, `v${i}`, '李雷'].map((targetingKey) => ({ targetingKey, email })));
    for (const ctx of users) {
      const answers = await bulk({ ...ctx, tenant: 'inherits', env: 'prod' });
      for (const key of local.keys()) expect({ key, ctx, e: asOfrep(local.evaluate(key, ctx)) }).toEqual({ key, ctx, e: answers.get(key) });
    }
    expect(local.getObject('needs-global', { a: -1 }, { targetingKey: 'u', email: 'a@beta.test' })).toEqual({ a: 1 });

    expect(await local.refresh()).toBe(false);
    expect(local.counts).toMatchObject({ loaded: 1, notModified: 1 });
    // the import document (no resolve) has its own content ETag
    const exported = await fetch(`${s.url}/api/flags/export?tenant=inherits&env=prod`, { headers: { authorization: `Bearer ${s.adminKey}` } });
    const tag = exported.headers.get('etag')!;
    const again = () => fetch(`${s.url}/api/flags/export?tenant=inherits&env=prod`, { headers: { authorization: `Bearer ${s.adminKey}`, 'if-none-match': tag } });
    expect((await again()).status).toBe(304);
    // a global flag changes: the tenant's resolved document changes, its own export does not
    expect((await g('/api/features', { env: 'prod', key: 'global-beta', enabled: false, strategies: [{ segments: ['beta-testers'] }] })).status).toBe(200);
    expect((await again()).status).toBe(304);
    expect(await local.refresh()).toBe(true);
    expect(local.evaluate('global-beta', { targetingKey: 'u', email: 'a@beta.test' })).toEqual({ value: false, variant: 'off', reason: 'DISABLED' });
    expect(local.getObject('needs-global', { a: -1 }, { targetingKey: 'u', email: 'a@beta.test' })).toEqual({ a: 0 });
    expect((await fetch(`${s.url}/api/flags/export?env=prod&resolve=true`, { headers: { authorization: `Bearer ${s.adminKey}` } })).status).toBe(400);
    local.close();
  });

  test('re-reads with If-None-Match (304 when unchanged), sees a change, and follows the quota at the next sync', async () => {
    const local = new LocalFlags({ baseUrl: s.url, apiKey: readKey, tenant: 'local-co', env: 'prod', refreshMs: 0 });
    await local.ready();
    expect(await local.refresh()).toBe(false);
    expect(local.counts).toMatchObject({ loaded: 1, notModified: 1 });
    expect(local.getBoolean('half', false, 'u1')).toBe((await ofrep('half', 'u1')).value);
    expect((await s.admin('POST', '/api/features', { tenant: 'local-co', env: 'prod', key: 'half', enabled: false, strategy: 'percentage', percentage: 50 })).status).toBe(200);
    expect(await local.refresh()).toBe(true);
    expect(local.evaluate('half', 'u1')).toEqual({ value: false, variant: 'off', reason: 'DISABLED' });

    expect(local.getString('follows-quota', 'x', 'u1')).toBe('gpt-4o');
    await fetch(`${s.url}/api/events`, { method: 'POST', headers: { authorization: `Bearer ${s.key}`, 'content-type': 'application/json' }, body: JSON.stringify({ tenant: 'local-co', feature: 'gpt-4o', tokens: 950 }) });
    let served = '';
    for (let i = 0; i < 100 && served !== 'gpt-4o-mini'; i++) {
      await new Promise((r) => setTimeout(r, 50));
      await local.refresh();
      served = local.getString('follows-quota', 'x', 'u1');
    }
    expect(served).toBe('gpt-4o-mini');
    expect(local.evaluate('follows-quota', 'u1')).toEqual(await ofrep('follows-quota', 'u1'));
    // more usage past the threshold moves the rule's percent, not which rule serves: still a 304
    const percent = async () => (await s.admin('GET', '/api/flags/export?tenant=local-co&env=prod&resolve=true')).body.flags.find((f: any) => f.key === 'follows-quota').activeQuotaRule.percent;
    const before = await percent();
    await fetch(`${s.url}/api/events`, { method: 'POST', headers: { authorization: `Bearer ${s.key}`, 'content-type': 'application/json' }, body: JSON.stringify({ tenant: 'local-co', feature: 'gpt-4o', tokens: 20 }) });
    for (let i = 0; i < 100 && (await percent()) === before; i++) await new Promise((r) => setTimeout(r, 50));
    expect(await percent()).toBeGreaterThan(before);
    expect(await local.refresh()).toBe(false);
    local.close();
  });
});
