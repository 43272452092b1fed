// The flag API with strategies, constraints, variants, segments and parent flags over HTTP: the
// stored shape and its words, validation with every bad field named, references that must exist,
// cycles refused with their path, segments (CRUD, audit, a change reaching every flag at once).
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { startTestApp } from '../helpers/app.ts';
import { addTenants, createTestDb, type TestDb } from '../helpers/db.ts';
import type { FlagMeter } from '../../server/runtime.ts';

const ADMIN = 'fm_live_flagsadmin03_EEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEE';
let db: TestDb;
let app: FlagMeter;
let acmeKey: string;
let acmeEval: string;

async function call(method: string, path: string, body?: unknown, key = ADMIN) {
  const res = await fetch(`${app.url}${path}`, {
    method, headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}
const evaluate = async (key: string, context: object) => (await call('POST', `/ofrep/v1/evaluate/flags/${key}`, { context: { env: 'prod', ...context } }, acmeEval)).body;

beforeAll(async () => {
  db = await createTestDb();
  await addTenants(db.pool, [{ slug: 'acme' }, { slug: 'globex' }]);
  app = await startTestApp(db.url, { FLAGMETER_AUTH: 'true', FLAGMETER_ADMIN_KEY: ADMIN });
  acmeKey = (await call('POST', '/api/keys', { name: 'flags', scopes: ['flags'], tenant: 'acme' })).body.key;
  acmeEval = (await call('POST', '/api/keys', { name: 'eval', scopes: ['evaluate'], tenant: 'acme' })).body.key;
});
afterAll(async () => {
  await app.stop();
  await db.drop();
});

const proInGermany = {
  name: 'pro in DE',
  constraints: [{ contextName: 'plan', operator: 'in', values: ['pro'] }, { contextName: 'country', operator: 'in', values: ['DE', 'DE'] }],
  rollout: 30, stickiness: 'targetingKey', variants: [{ name: 'v2', weight: 100, value: 'gpt-4o' }],
};

describe('strategies', () => {
  test('stored with every default filled in, answered with the flat view and in words', async () => {
    const r = await call('POST', '/api/features', { tenant: 'acme', env: 'prod', key: 'model', enabled: true, type: 'string', onValue: 'gpt-4o-mini', offValue: 'none', strategies: [proInGermany] }, acmeKey);
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({
      strategy: 'custom', percentage: null, allow: [], deny: [], variants: [], stickiness: 'default', dependencies: [],
      strategies: [{
        name: 'pro in DE', segments: [], rollout: 30, stickiness: 'targetingKey', group: null, serve: 'on', variants: [{ name: 'v2', weight: 100, value: 'gpt-4o' }],
        constraints: [
          { contextName: 'plan', operator: 'in', values: ['pro'], caseInsensitive: false, inverted: false },
          { contextName: 'country', operator: 'in', values: ['DE'], caseInsensitive: false, inverted: false },
        ],
      }],
    });
    const list = await call('GET', '/api/features?tenant=acme&env=prod');
    expect(list.body.items.find((i: any) => i.key === 'model').summary).toBe("30% of users with plan in pro and country in DE get 'v2'");
    // the flat form still writes (and reads back) as before
    const flat = await call('POST', '/api/features', { tenant: 'acme', env: 'prod', key: 'lists', enabled: true, strategy: 'targeting', allow: ['a'], deny: ['b'] }, acmeKey);
    expect(flat.body).toMatchObject({ strategy: 'targeting', allow: ['a'], deny: ['b'], strategies: [{ serve: 'off' }, { serve: 'on' }] });
  });

  test('bad rules: a 400 naming each field, nothing stored', async () => {
    const ok = { tenant: 'acme', env: 'prod', key: 'bad', enabled: true, strategies: [] };
    const st = (s: object) => ({ ...ok, strategies: [s] });
    const c = (x: object) => st({ constraints: [{ contextName: 'plan', ...x }] });
    for (const [body, field] of [
      [c({ operator: 'in' }), 'strategies.0.constraints.0.values'],
      [c({ operator: 'in', values: ['a'], value: 'a' }), 'strategies.0.constraints.0.value'],
      [c({ operator: 'num_gt', values: ['1'] }), 'strategies.0.constraints.0.values'],
      [c({ operator: 'num_gt', value: 'ten' }), 'strategies.0.constraints.0.value'],
      [c({ operator: 'semver_lt', value: 'v1.2' }), 'strategies.0.constraints.0.value'],
      [c({ operator: 'date_after', value: 'tomorrow' }), 'strategies.0.constraints.0.value'],
      [c({ operator: 'regex', values: ['.*'] }), 'strategies.0.constraints.0.operator'],
      [st({ constraints: [{ contextName: '9 lives', operator: 'in', values: ['x'] }] }), 'strategies.0.constraints.0.contextName'],
      [st({ rollout: 101 }), 'strategies.0.rollout'],
      [st({ variants: [{ name: 'a', weight: 60, value: true }, { name: 'b', weight: 30, value: false }] }), 'strategies.0.variants'],
      [st({ variants: [{ name: 'a', weight: 50, value: true }, { name: 'a', weight: 50, value: false }] }), 'strategies.0.variants.1.name'],
      [st({ variants: [{ name: 'a', weight: 100, value: 'yes' }] }), 'strategies.0.variants.0.value'],
      [st({ variants: [{ name: 'a', weight: 33.33, value: true }] }), 'strategies.0.variants.0.weight'],
      [st({ serve: 'off', variants: [{ name: 'a', weight: 100, value: true }] }), 'strategies.0.variants'],
      [{ ...ok, type: 'json', onValue: [1], offValue: {} }, 'onValue'],
      [{ ...ok, type: 'number', onValue: 1, offValue: '0' }, 'offValue'],
      [{ ...ok, strategy: 'boolean' }, 'strategy'],
      [{ ...ok, percentage: 5 }, 'percentage'],
      [{ tenant: 'acme', env: 'prod', key: 'bad', enabled: true }, 'strategies'],
      [{ ...ok, dependencies: [{ flag: 'bad' }] }, 'dependencies.0.flag'],
    ] as const) {
      const r = await call('POST', '/api/features', body, acmeKey);
      expect([JSON.stringify(body), r.status, r.body.error.details.map((d: any) => d.field)]).toEqual([JSON.stringify(body), 400, expect.arrayContaining([field])]);
    }
    expect((await call('GET', '/api/features?tenant=acme&env=prod')).body.items.map((i: any) => i.key)).not.toContain('bad');
  });

  test('a JSON value up to 6,000 bytes is stored (jsonb writes it half as long again), a longer one refused', async () => {
    const json = (n: number) => ({ tenant: 'acme', env: 'prod', key: 'big-json', enabled: true, strategies: [], type: 'json', onValue: { a: Array(n).fill(0) }, offValue: {} });
    expect(JSON.stringify(json(2995).onValue).length).toBeLessThanOrEqual(6000);
    expect((await call('POST', '/api/features', json(2995), acmeKey)).status).toBe(201);
    const long = await call('POST', '/api/features', json(3000), acmeKey);
    expect([long.status, long.body.error.details[0].field]).toEqual([400, 'onValue']);
  });
});

describe('segments', () => {
  test('CRUD, audited; a change reaches every flag using it at once; in use: not deleted', async () => {
    const created = await call('POST', '/api/segments', { tenant: 'acme', name: 'beta-testers', constraints: [{ contextName: 'email', operator: 'str_ends_with', values: ['@acme.test'], caseInsensitive: true }] }, acmeKey);
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ tenant: 'acme', name: 'beta-testers', version: 1, usedBy: [] });
    // a strategy naming a segment that does not exist is refused
    const missing = await call('POST', '/api/features', { tenant: 'acme', env: 'prod', key: 'beta', enabled: true, strategies: [{ segments: ['nobody'] }] }, acmeKey);
    expect([missing.status, missing.body.error.details[0].field]).toEqual([400, 'strategies.0.segments.0']);
    expect((await call('POST', '/api/features', { tenant: 'acme', env: 'prod', key: 'beta', enabled: true, strategies: [{ segments: ['beta-testers'] }] }, acmeKey)).status).toBe(201);
    expect(await evaluate('beta', { targetingKey: 'u', email: 'Ann@ACME.test' })).toMatchObject({ value: true, reason: 'TARGETING_MATCH' });
    expect((await evaluate('beta', { targetingKey: 'u', email: 'ann@other.test' })).value).toBe(false);

    const changed = await call('POST', '/api/segments', { tenant: 'acme', name: 'beta-testers', constraints: [{ contextName: 'email', operator: 'str_ends_with', values: ['@other.test'] }] }, acmeKey);
    expect(changed.body).toMatchObject({ version: 2, usedBy: [{ tenant: 'acme', env: 'prod', key: 'beta' }] });
    expect((await evaluate('beta', { targetingKey: 'u', email: 'ann@other.test' })).value).toBe(true);
    expect((await evaluate('beta', { targetingKey: 'u', email: 'Ann@ACME.test' })).value).toBe(false);

    const list = await call('GET', '/api/segments?tenant=acme', undefined, acmeKey);
    expect(list.body.items.map((s: any) => [s.name, s.global, s.usedBy.length])).toEqual([['beta-testers', false, 1]]);
    const inUse = await call('DELETE', '/api/segments?tenant=acme&name=beta-testers', undefined, acmeKey);
    expect([inUse.status, inUse.body.error.code]).toEqual([409, 'segment_in_use']);
    expect(inUse.body.error.message).toContain('acme/prod/beta');
    // another tenant neither sees nor writes it
    expect((await call('POST', '/api/segments', { tenant: 'globex', name: 'x', constraints: [] }, acmeKey)).status).toBe(403);
    expect((await call('POST', '/api/segments', { name: 'everyone-global', constraints: [] }, acmeKey)).status).toBe(403);

    await call('POST', '/api/features', { tenant: 'acme', env: 'prod', key: 'beta', enabled: true, strategies: [] }, acmeKey);
    expect((await call('DELETE', '/api/segments?tenant=acme&name=beta-testers', undefined, acmeKey)).status).toBe(200);
    expect((await call('DELETE', '/api/segments?tenant=acme&name=beta-testers', undefined, acmeKey)).status).toBe(404);
    const audit = (await db.pool.query(`select action from flagmeter.audit_log where target = 'segment:acme/beta-testers' order by id`)).rows.map((r) => r.action);
    expect(audit).toEqual(['segment.create', 'segment.update', 'segment.delete']);
  });

  test('a global segment serves every tenant\'s flags; a tenant\'s own of the same name wins for it', async () => {
    expect((await call('POST', '/api/segments', { name: 'staff', constraints: [{ contextName: 'role', operator: 'in', values: ['staff'] }] })).status).toBe(201);
    await call('POST', '/api/features', { tenant: 'acme', env: 'prod', key: 'staff-only', enabled: true, strategies: [{ segments: ['staff'] }] }, acmeKey);
    expect((await evaluate('staff-only', { role: 'staff' })).value).toBe(true);
    await call('POST', '/api/segments', { tenant: 'acme', name: 'staff', constraints: [{ contextName: 'role', operator: 'in', values: ['admin'] }] }, acmeKey);
    expect([(await evaluate('staff-only', { role: 'staff' })).value, (await evaluate('staff-only', { role: 'admin' })).value]).toEqual([false, true]);
  });
});

describe('parent flags', () => {
  test('a parent must exist; a cycle is refused with its path; a parent with children is not deleted', async () => {
    await call('POST', '/api/features', { tenant: 'acme', env: 'prod', key: 'p', enabled: true, strategies: [] }, acmeKey);
    const unknown = await call('POST', '/api/features', { tenant: 'acme', env: 'prod', key: 'c', enabled: true, strategies: [], dependencies: [{ flag: 'nope' }] }, acmeKey);
    expect([unknown.status, unknown.body.error.details[0].field]).toEqual([400, 'dependencies.0.flag']);
    expect((await call('POST', '/api/features', { tenant: 'acme', env: 'prod', key: 'c', enabled: true, strategies: [], dependencies: [{ flag: 'p' }] }, acmeKey)).status).toBe(201);
    expect((await call('POST', '/api/features', { tenant: 'acme', env: 'prod', key: 'g', enabled: true, strategies: [], dependencies: [{ flag: 'c', variants: ['on'] }] }, acmeKey)).status).toBe(201);
    const cycle = await call('POST', '/api/features', { tenant: 'acme', env: 'prod', key: 'p', enabled: true, strategies: [], dependencies: [{ flag: 'g' }] }, acmeKey);
    expect([cycle.status, cycle.body.error.code, cycle.body.error.message]).toEqual([400, 'dependency_cycle', 'The parents would form a cycle: p → g → c → p.']);
    const del = await call('DELETE', '/api/features?tenant=acme&env=prod&key=p', undefined, acmeKey);
    expect([del.status, del.body.error.code]).toEqual([409, 'flag_has_dependents']);
    // evaluated with its parents in one pass; turning the parent off turns the chain off
    expect((await evaluate('g', {})).value).toBe(true);
    await call('POST', '/api/features', { tenant: 'acme', env: 'prod', key: 'p', enabled: false, strategies: [] }, acmeKey);
    expect(await evaluate('g', {})).toMatchObject({ value: false, reason: 'DEFAULT', metadata: { unmetDependency: 'c' } });
  });
});

describe('the playground', () => {
  const evaluations = async () => Number(/^flagmeter_flag_evaluations_total (\d+)/m.exec(await (await fetch(`${app.url}/metrics`)).text())?.[1] ?? 0);

  test('every flag for a context, with its rule in words and why; not counted', async () => {
    await call('POST', '/api/features', { tenant: 'acme', env: 'dev', key: 'pg', enabled: true, strategies: [
      { name: 'no competitors', constraints: [{ contextName: 'email', operator: 'str_ends_with', values: ['@rival.test'] }], serve: 'off' },
      { name: 'pro', constraints: [{ contextName: 'plan', operator: 'in', values: ['pro'] }] },
    ] }, acmeKey);
    await call('POST', '/api/features', { tenant: 'acme', env: 'dev', key: 'pg-child', enabled: true, strategies: [], dependencies: [{ flag: 'pg' }] }, acmeKey);
    await call('POST', '/api/features', { tenant: 'acme', env: 'dev', key: 'pg-rollout', enabled: true, strategy: 'percentage', percentage: 50 }, acmeKey);
    const before = await evaluations();
    // earlier tests evaluated over OFREP: the counter is there and moves with them
    expect(before).toBeGreaterThan(0);
    const play = async (context: object) => {
      const r = await call('POST', '/api/flags/playground', { tenant: 'acme', env: 'dev', context }, acmeKey);
      expect(r.status).toBe(200);
      return Object.fromEntries(r.body.flags.map((f: any) => [f.key, f]));
    };
    const pro = await play({ targetingKey: 'u1', plan: 'pro' });
    expect(pro.pg).toMatchObject({ value: true, reason: 'TARGETING_MATCH', strategyIndex: 1, strategyName: 'pro', summary: 'users with email ends with @rival.test: off; else users with plan in pro' });
    expect(pro['pg-child']).toMatchObject({ value: true, unmetDependency: null, strategies: [] });
    // why each strategy before the one that decided did not: the first constraint that failed, with the context's value
    expect(pro.pg.strategies).toEqual([
      { index: 0, outcome: 'constraint_failed', constraint: expect.objectContaining({ contextName: 'email', operator: 'str_ends_with', values: ['@rival.test'] }), actual: null },
      { index: 1, outcome: 'matched' },
    ]);
    const free = await play({ targetingKey: 'u1', plan: 'free', email: 'a@b.test' });
    expect(free.pg).toMatchObject({ value: false, strategyIndex: null, strategies: [
      { index: 0, outcome: 'constraint_failed', actual: 'a@b.test' },
      { index: 1, outcome: 'constraint_failed', constraint: expect.objectContaining({ contextName: 'plan', values: ['pro'] }), actual: 'free' },
    ] });
    const rival = await play({ targetingKey: 'u1', plan: 'pro', email: 'x@rival.test' });
    expect(rival.pg).toMatchObject({ value: false, strategyIndex: 0, strategyName: 'no competitors' });
    expect(rival.pg.strategies.map((t: any) => t.outcome)).toEqual(['matched', 'not_reached']);
    expect(rival['pg-child']).toMatchObject({ value: false, unmetDependency: 'pg', strategyIndex: null, strategies: [] });
    expect((await play({ plan: 'free' }))['pg-rollout']).toMatchObject({ value: false, userMissing: true });
    expect(await evaluations()).toBe(before);
    // a global key names the tenant
    const global = await call('POST', '/api/flags/playground', { env: 'dev', context: {} });
    expect([global.status, global.body.error.details[0].field]).toEqual([400, 'tenant']);
  });
});
