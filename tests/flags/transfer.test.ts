// Export and import over HTTP: a tenant's flags and segments as one document, imported into
// another tenant (dry run first), the same again unchanged, conflicts by policy, and documents
// refused whole when they are invalid or refer to what would not exist.
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { startTestApp } from '../helpers/app.ts';
import { addTenants, createTestDb, type TestDb } from '../helpers/db.ts';
import type { FlagMeter } from '../../server/runtime.ts';

const ADMIN = 'fm_live_flagsadmin05_GGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGG';
let db: TestDb;
let app: FlagMeter;

async function call(method: string, path: string, body?: unknown) {
  const res = await fetch(`${app.url}${path}`, {
    method, headers: { authorization: `Bearer ${ADMIN}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined, headers: res.headers };
}
const ok = async (method: string, path: string, body?: unknown) => {
  const r = await call(method, path, body);
  expect([r.status < 300, r.status, r.body?.error?.message]).toEqual([true, r.status, undefined]);
  return r.body;
};
const evaluate = async (tenant: string, key: string, context: object) =>
  (await call('POST', `/ofrep/v1/evaluate/flags/${key}`, { context: { tenant, env: 'prod', targetingKey: 'u1', ...context } })).body;
const flagsOf = async (tenant: string) => (await call('GET', `/api/features?tenant=${tenant}&env=prod&pageSize=100`)).body.items.map((i: any) => [i.key, i.version]);

beforeAll(async () => {
  db = await createTestDb();
  await addTenants(db.pool, [{ slug: 'acme' }, { slug: 'globex' }]);
  app = await startTestApp(db.url, { FLAGMETER_AUTH: 'true', FLAGMETER_ADMIN_KEY: ADMIN });
  await ok('POST', '/api/segments', { tenant: 'acme', name: 'pro', constraints: [{ contextName: 'plan', operator: 'in', values: ['pro'] }] });
  await ok('POST', '/api/features', {
    tenant: 'acme', env: 'prod', key: 'model', enabled: true, type: 'json', onValue: { m: 'mini' }, offValue: {},
    strategies: [{ segments: ['pro'], variants: [{ name: 'big', weight: 100, value: { m: 'large' } }] }],
  });
  await ok('POST', '/api/features', { tenant: 'acme', env: 'prod', key: 'tools', enabled: true, strategies: [], dependencies: [{ flag: 'model', variants: ['big'] }] });
  await ok('POST', '/api/features', { tenant: 'acme', env: 'prod', key: 'lists', enabled: true, strategy: 'targeting', allow: ['a'], deny: ['b'] });
  // an inherited global flag is not the tenant's own: not exported
  await ok('POST', '/api/features', { env: 'prod', key: 'global-banner', enabled: true, strategies: [] });
});
afterAll(async () => {
  await app.stop();
  await db.drop();
});

test('export, then import into another tenant: dry run, apply, evaluated the same, a second import unchanged', async () => {
  const exported = await call('GET', '/api/flags/export?tenant=acme&env=prod');
  expect(exported.headers.get('content-disposition')).toBe('attachment; filename="flags-acme-prod.json"');
  const doc = exported.body;
  expect(doc).toMatchObject({ format: 'flagmeter.flags/1', tenant: 'acme', env: 'prod', segments: [{ name: 'pro', description: '' }] });
  expect(doc.flags.map((f: any) => f.key)).toEqual(['lists', 'model', 'tools']);
  expect(doc.flags[0]).not.toHaveProperty('onValue');

  const dry = await ok('POST', '/api/flags/import', { tenant: 'globex', env: 'prod', dryRun: true, document: doc });
  expect(dry).toMatchObject({ dryRun: true, flags: { created: ['lists', 'model', 'tools'] }, segments: { created: ['pro'] } });
  expect(await flagsOf('globex')).toEqual([['global-banner', 1]]);

  // an endpoint that hears flag changes: an imported flag is one (flag.changed, action import)
  await db.pool.query(`insert into flagmeter.webhook_endpoints (url, event_types, secret) values ('https://hooks.example.com/x', '{flag.changed}', 'whsec_dGVzdA==')`);
  const applied = await ok('POST', '/api/flags/import', { tenant: 'globex', env: 'prod', document: doc });
  const events = (await db.pool.query(`select payload -> 'data' ->> 'action' as action, subject from flagmeter.webhook_events where type = 'flag.changed' order by id`)).rows;
  expect(events).toEqual(['lists', 'model', 'tools'].map((k) => ({ action: 'import', subject: `flag:globex/prod/${k}` })));
  await db.pool.query(`delete from flagmeter.webhook_endpoints`);
  expect(applied).toEqual({ ...dry, dryRun: false });
  for (const context of [{ plan: 'pro' }, { plan: 'free' }]) {
    for (const key of ['model', 'tools']) expect([key, context, await evaluate('globex', key, context)]).toEqual([key, context, await evaluate('acme', key, context)]);
  }
  const again = (await call('GET', '/api/flags/export?tenant=globex&env=prod')).body;
  expect({ ...again, tenant: 'acme', exportedAt: doc.exportedAt }).toEqual(doc);
  expect(await ok('POST', '/api/flags/import', { tenant: 'globex', env: 'prod', document: doc })).toMatchObject({
    flags: { created: [], updated: [], unchanged: ['lists', 'model', 'tools'] }, segments: { unchanged: ['pro'] },
  });
  const audit = (await db.pool.query(`select action, target from flagmeter.audit_log where action like '%.import' order by id`)).rows.map((r) => `${r.action} ${r.target}`);
  expect(audit).toEqual(['segment.import segment:globex/pro', 'flag.import flag:globex/prod/lists', 'flag.import flag:globex/prod/model', 'flag.import flag:globex/prod/tools']);
});

test('conflicts follow the policy: fail applies nothing, skip keeps, overwrite replaces', async () => {
  const doc = (await call('GET', '/api/flags/export?tenant=acme&env=prod')).body;
  const changed = { ...doc, flags: doc.flags.map((f: any) => (f.key === 'lists' ? { ...f, enabled: false } : f)), segments: [{ name: 'pro', constraints: [{ contextName: 'plan', operator: 'in', values: ['pro', 'team'] }] }] };
  const before = await flagsOf('globex');
  const failed = await call('POST', '/api/flags/import', { tenant: 'globex', env: 'prod', document: changed });
  expect([failed.status, failed.body.error.code, failed.body.error.details.map((d: any) => d.message)]).toEqual([409, 'import_conflict', ["segment 'pro' differs", "flag 'lists' differs"]]);
  expect(await flagsOf('globex')).toEqual(before);
  expect(await ok('POST', '/api/flags/import', { tenant: 'globex', env: 'prod', conflictPolicy: 'skip', document: changed }))
    .toMatchObject({ flags: { conflicting: ['lists'], skipped: ['lists'], updated: [] }, segments: { skipped: ['pro'] } });
  expect((await evaluate('globex', 'model', { plan: 'team' })).variant).toBe('off');
  expect(await ok('POST', '/api/flags/import', { tenant: 'globex', env: 'prod', conflictPolicy: 'overwrite', document: changed }))
    .toMatchObject({ flags: { updated: ['lists'] }, segments: { updated: ['pro'] } });
  // the segment change reached the imported flags at once
  expect((await evaluate('globex', 'model', { plan: 'team' })).variant).toBe('big');
  expect((await evaluate('globex', 'lists', { targetingKey: 'a' })).reason).toBe('DISABLED');
});

test('a document is refused whole: bad fields named, missing segments and parents, cycles', async () => {
  const base = { format: 'flagmeter.flags/1', segments: [], flags: [] };
  const flag = (f: object) => ({ key: 'x', enabled: true, strategies: [], ...f });
  for (const [document, status, field] of [
    [{ ...base, format: 'unleash' }, 400, 'document.format'],
    [{ ...base, flags: [flag({ strategies: [{ constraints: [{ contextName: 'plan', operator: 'num_gt', value: 'lots' }] }] })] }, 400, 'document.flags.0.strategies.0.constraints.0.value'],
    [{ ...base, flags: [flag({}), flag({})] }, 400, 'document.flags.1'],
    [{ ...base, flags: [flag({ strategies: [{ segments: ['ghost'] }] })] }, 400, 'document.flags'],
    [{ ...base, flags: [flag({ dependencies: [{ flag: 'ghost' }] })] }, 400, 'dependencies'],
    [{ ...base, flags: [flag({ key: 'a', dependencies: [{ flag: 'b' }] }), flag({ key: 'b', dependencies: [{ flag: 'a' }] })] }, 400, 'dependencies'],
  ] as const) {
    const r = await call('POST', '/api/flags/import', { tenant: 'globex', env: 'dev', document });
    expect([r.status, r.body.error.details.map((d: any) => d.field)]).toEqual([status, expect.arrayContaining([field])]);
  }
  const cycle = await call('POST', '/api/flags/import', { tenant: 'globex', env: 'dev', document: { ...base, flags: [flag({ key: 'a', dependencies: [{ flag: 'b' }] }), flag({ key: 'b', dependencies: [{ flag: 'a' }] })] } });
  expect(cycle.body.error.message).toBe('The parents would form a cycle: a → b → a.');
  expect((await call('GET', '/api/features?tenant=globex&env=dev')).body.items.map((i: any) => i.key)).toEqual([]);
});
