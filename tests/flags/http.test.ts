// The flag API over HTTP: upsert/list/delete with ETags, validation, inheritance, promotion with
// its dry run and conflict policies, the audit log, environments, and tenant isolation.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { startTestApp } from '../helpers/app.ts';
import { addTenants, createTestDb, type TestDb } from '../helpers/db.ts';
import type { FlagMeter } from '../../server/runtime.ts';
import { upsertFlag } from '../../server/db/flags.ts';
import { legacyStrategies } from '../../server/flags/legacy.ts';

const ADMIN = 'fm_live_flagsadmin01_CCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCC';
let db: TestDb;
let app: FlagMeter;
let acmeKey: string;
let acmeRead: string;
let acmeEval: string;

async function call(method: string, path: string, body?: unknown, key = ADMIN, headers: Record<string, string> = {}) {
  const res = await fetch(`${app.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined, headers: res.headers };
}

async function key(scopes: string[], tenant?: string): Promise<string> {
  const r = await call('POST', '/api/keys', { name: scopes.join('+'), scopes, ...(tenant ? { tenant } : {}) });
  expect(r.status).toBe(201);
  return r.body.key;
}

const auditCount = async () => Number((await db.pool.query(`select count(*) from flagmeter.audit_log where target like 'flag:%'`)).rows[0].count);

beforeAll(async () => {
  db = await createTestDb();
  await addTenants(db.pool, [{ slug: 'acme' }, { slug: 'globex' }]);
  app = await startTestApp(db.url, { FLAGMETER_AUTH: 'true', FLAGMETER_ADMIN_KEY: ADMIN });
  acmeKey = await key(['flags'], 'acme');
  acmeRead = await key(['read'], 'acme');
  acmeEval = await key(['evaluate'], 'acme');
});
afterAll(async () => {
  await app.stop();
  await db.drop();
});

describe('features', () => {
  test('upsert creates (201) then updates (200); the list says own or inherited, with an ETag', async () => {
    const created = await call('POST', '/api/features', { tenant: 'acme', env: 'dev', key: 'new-checkout', enabled: true, strategy: 'percentage', percentage: 25, description: 'rollout' }, acmeKey);
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ tenant: 'acme', env: 'dev', key: 'new-checkout', percentage: 25, version: 1, type: 'boolean' });
    const updated = await call('POST', '/api/features', { tenant: 'acme', env: 'dev', key: 'new-checkout', enabled: true, strategy: 'percentage', percentage: 50 }, acmeKey);
    expect(updated.status).toBe(200);
    expect(updated.body).toMatchObject({ percentage: 50, version: 2 });
    // a global flag (admin only) is inherited; the tenant's own flag with the same key wins
    expect((await call('POST', '/api/features', { env: 'dev', key: 'banner', enabled: true, strategy: 'boolean' })).status).toBe(201);
    expect((await call('POST', '/api/features', { env: 'dev', key: 'new-checkout', enabled: false, strategy: 'boolean' })).status).toBe(201);

    const list = await call('GET', '/api/features?tenant=acme&env=dev', undefined, acmeRead);
    expect(list.status).toBe(200);
    expect(list.body).toMatchObject({ page: 1, pageSize: 20, total: 2 });
    expect(list.body.items.map((i: any) => [i.key, i.inherited, i.summary, i.tenant])).toEqual([
      ['banner', true, 'everyone', null], ['new-checkout', false, '50% of users', 'acme']]);
    const tag = list.headers.get('etag')!;
    expect(tag).toMatch(/^W\//);
    expect((await call('GET', '/api/features?tenant=acme&env=dev', undefined, acmeRead, { 'if-none-match': tag })).status).toBe(304);
    // the seed's root path answers the same
    const root = await call('GET', '/features?tenant=acme&env=dev', undefined, acmeRead, { 'if-none-match': tag });
    expect(root.status).toBe(304);
    await call('POST', '/features', { tenant: 'acme', env: 'dev', key: 'third', enabled: true, strategy: 'targeting', allow: ['a', 'b', 'c'], deny: ['d'] }, acmeKey);
    const after = await call('GET', '/api/features?tenant=acme&env=dev&page=2&pageSize=2', undefined, acmeRead, { 'if-none-match': tag });
    expect(after.status).toBe(200);
    expect(after.body).toMatchObject({ page: 2, pageSize: 2, total: 3, items: [{ key: 'third', summary: '3 allowed, 1 denied', stale: false }] });
  });

  test('bad input: a 400 naming the field, nothing stored', async () => {
    const before = await auditCount();
    const ok = { tenant: 'acme', env: 'dev', key: 'ok-flag', enabled: true, strategy: 'boolean' };
    for (const [body, field] of [
      [{ ...ok, tenant: 'nobody' }, 'tenant'], [{ ...ok, env: 'qa' }, 'env'], [{ ...ok, key: 'Bad Key' }, 'key'],
      [{ ...ok, strategy: 'percentage', percentage: 101 }, 'percentage'], [{ ...ok, strategy: 'percentage', percentage: 2.5 }, 'percentage'],
      [{ ...ok, strategy: 'percentage' }, 'percentage'], [{ ...ok, strategy: 'targeting', allow: ['u1'], deny: ['u1'] }, 'deny'],
      [{ ...ok, allow: Array.from({ length: 10_001 }, (_, i) => `u${i}`) }, 'allow'], [{ ...ok, type: 'string', onValue: 'a' }, 'offValue'],
      [{ ...ok, onValue: 'x' }, 'onValue'], [{ ...ok, colour: 'red' }, 'colour'], [{ ...ok, strategy: 'sometimes' }, 'strategy'],
      [{ ...ok, quotaRules: [{ atPercent: 0, serve: false }] }, 'quotaRules.0.atPercent'], [{ ...ok, quotaRules: [{ atPercent: 90, serve: 'x' }] }, 'quotaRules.0.serve'],
      [{ ...ok, quotaRules: [{ atPercent: 1001, serve: true }] }, 'quotaRules.0.atPercent'], [{ ...ok, quotaRules: [{ atPercent: 90.5, serve: true }] }, 'quotaRules.0.atPercent'],
    ] as const) {
      const r = await call('POST', '/api/features', body, ADMIN);
      expect([r.status, r.body.error.details.map((d: any) => d.field)]).toEqual([400, expect.arrayContaining([field])]);
    }
    expect((await call('POST', '/api/features', 'not json', ADMIN)).status).toBe(400);
    expect((await call('GET', '/api/features?tenant=acme&env=dev&pageSize=0')).status).toBe(400);
    expect((await call('GET', '/api/features?tenant=acme&env=nowhere')).status).toBe(400);
    expect(await auditCount()).toBe(before);
    expect((await call('GET', '/api/features?tenant=acme&env=dev')).body.items.map((i: any) => i.key)).not.toContain('ok-flag');
  });

  test('If-None-Match: * only creates: an existing flag answers 412 flag_exists and stays as it was; without it the upsert replaces', async () => {
    const flag = { tenant: 'acme', env: 'dev', key: 'create-only', enabled: true, strategy: 'percentage', percentage: 30, description: 'kept' };
    expect((await call('POST', '/api/features', flag, acmeKey, { 'if-none-match': '*' })).status).toBe(201);
    const audits = await auditCount();
    const again = await call('POST', '/api/features', { ...flag, strategy: 'boolean', percentage: undefined, description: '' }, acmeKey, { 'if-none-match': '*' });
    expect(again.status).toBe(412);
    expect(again.body.error).toMatchObject({ code: 'flag_exists', details: [{ field: 'key' }] });
    const kept = (await call('GET', '/api/features?tenant=acme&env=dev', undefined, acmeRead)).body.items.find((i: any) => i.key === 'create-only');
    expect(kept).toMatchObject({ strategy: 'percentage', percentage: 30, description: 'kept', version: 1 });
    expect(await auditCount()).toBe(audits);
    // the API's default stays an upsert
    expect((await call('POST', '/api/features', { ...flag, percentage: 60 }, acmeKey)).status).toBe(200);
    expect((await call('DELETE', '/api/features?tenant=acme&env=dev&key=create-only', undefined, acmeKey)).status).toBe(200);
  });

  test('If-None-Match: * racing another create of the key (made after its read, not yet committed): 412, the other one stays', async () => {
    const { rows: [ids] } = await db.pool.query(`select t.id as "tenantId", e.id as "envId" from flagmeter.tenants t, flagmeter.environments e where t.slug = 'acme' and e.name = 'dev'`);
    const other = await db.pool.connect();
    try {
      await other.query('begin');
      await upsertFlag(other, { tenantId: Number(ids.tenantId), tenant: 'acme', envId: Number(ids.envId), env: 'dev' }, 'raced',
        { description: 'the other one', enabled: true, strategies: legacyStrategies({ strategy: 'percentage', percentage: 10 }), variants: [], stickiness: 'default', dependencies: [], type: 'boolean', onValue: null, offValue: null, quotaRules: [] });
      const pending = call('POST', '/api/features', { tenant: 'acme', env: 'dev', key: 'raced', enabled: false, strategy: 'boolean' }, acmeKey, { 'if-none-match': '*' });
      // the POST has found no flag and now waits for the other transaction's row
      for (;;) {
        const { rows: [w] } = await db.pool.query(`select count(*)::int as n from pg_stat_activity where wait_event_type = 'Lock' and query like '%insert into flagmeter.flags%'`);
        if (w.n > 0) break;
        await new Promise((r) => setTimeout(r, 20));
      }
      await other.query('commit');
      const raced = await pending;
      expect([raced.status, raced.body.error?.code]).toEqual([412, 'flag_exists']);
    } finally {
      other.release();
    }
    const kept = (await call('GET', '/api/features?tenant=acme&env=dev', undefined, acmeRead)).body.items.find((i: any) => i.key === 'raced');
    expect(kept).toMatchObject({ version: 1, percentage: 10, description: 'the other one' });
    expect((await call('DELETE', '/api/features?tenant=acme&env=dev&key=raced', undefined, acmeKey)).status).toBe(200);
  });

  test('delete by body or query; 404 when absent; audited', async () => {
    await call('POST', '/api/features', { tenant: 'acme', env: 'dev', key: 'tmp', enabled: true, strategy: 'boolean' }, acmeKey);
    expect((await call('DELETE', '/api/features', { tenant: 'acme', env: 'dev', key: 'tmp' }, acmeKey)).status).toBe(200);
    expect((await call('DELETE', '/api/features?tenant=acme&env=dev&key=tmp', undefined, acmeKey)).status).toBe(404);
    await call('POST', '/api/features', { tenant: 'acme', env: 'dev', key: 'tmp', enabled: true, strategy: 'boolean' }, acmeKey);
    expect((await call('DELETE', '/features?tenant=acme&env=dev&key=tmp', undefined, acmeKey)).body.deleted.key).toBe('tmp');
    const audit = await call('GET', '/api/audit-logs?tenant=acme&env=dev&pageSize=4', undefined, acmeKey);
    expect(audit.body.items.map((e: any) => [e.action, e.target])).toEqual([
      ['flag.delete', 'flag:acme/dev/tmp'], ['flag.create', 'flag:acme/dev/tmp'], ['flag.delete', 'flag:acme/dev/tmp'], ['flag.create', 'flag:acme/dev/tmp']]);
    expect(audit.body.items[0]).toMatchObject({ before: { key: 'tmp' }, after: null });
    expect(audit.body.total).toBeGreaterThanOrEqual(7);
  });
});

describe('promote', () => {
  const flag = (key: string, extra: object = {}) => ({ tenant: 'acme', key, enabled: true, strategy: 'boolean', ...extra });
  beforeAll(async () => {
    for (const f of [flag('p-new'), flag('p-same'), flag('p-diff', { enabled: false })]) await call('POST', '/api/features', { ...f, env: 'staging' }, acmeKey);
    for (const f of [flag('p-same'), flag('p-diff')]) await call('POST', '/api/features', { ...f, env: 'prod' }, acmeKey);
  });
  const prodFlags = async () => (await call('GET', '/api/features?tenant=acme&env=prod&pageSize=100')).body.items.map((i: any) => [i.key, i.enabled]);

  test('a dry run changes nothing and answers like the real one; fail applies nothing', async () => {
    const before = [await prodFlags(), await auditCount()];
    const dry = await call('POST', '/api/features/promote', { tenant: 'acme', from: 'staging', to: 'prod', dryRun: true, conflictPolicy: 'skip' }, acmeKey);
    expect(dry.status).toBe(200);
    expect(dry.body).toMatchObject({ dryRun: true, unchanged: ['p-same'], skipped: ['p-diff'], updated: [] });
    expect(dry.body.created.map((c: any) => c.key)).toEqual(['p-new']);
    expect(dry.body.conflicting.map((c: any) => [c.key, c.before.enabled, c.after.enabled])).toEqual([['p-diff', true, false]]);
    const failed = await call('POST', '/api/features/promote', { tenant: 'acme', from: 'staging', to: 'prod', dryRun: false, conflictPolicy: 'fail' }, acmeKey);
    expect(failed.status).toBe(409);
    expect(failed.body.error.details).toEqual([{ field: 'keys', message: "'p-diff' differs in prod" }]);
    expect([await prodFlags(), await auditCount()]).toEqual(before);
  });

  test('skip keeps the target\'s; overwrite replaces it; each changed flag audited once', async () => {
    const audit0 = await auditCount();
    const skip = await call('POST', '/features/promote', { tenant: 'acme', from: 'staging', to: 'prod', dryRun: false, conflictPolicy: 'skip' }, acmeKey);
    expect(skip.body).toMatchObject({ dryRun: false, skipped: ['p-diff'], unchanged: ['p-same'] });
    expect(skip.body.created[0].after).toMatchObject({ key: 'p-new', env: 'prod', version: 1 });
    expect(await prodFlags()).toEqual([['p-diff', true], ['p-new', true], ['p-same', true]]);
    expect(await auditCount()).toBe(audit0 + 1);
    const over = await call('POST', '/api/features/promote', { tenant: 'acme', from: 'staging', to: 'prod', keys: ['p-diff', 'p-same'], dryRun: false, conflictPolicy: 'overwrite' }, acmeKey);
    expect(over.body).toMatchObject({ unchanged: ['p-same'], skipped: [], created: [] });
    expect(over.body.updated.map((u: any) => [u.key, u.before.enabled, u.after.enabled, u.after.version])).toEqual([['p-diff', true, false, 2]]);
    expect(await prodFlags()).toEqual([['p-diff', false], ['p-new', true], ['p-same', true]]);
    expect(await auditCount()).toBe(audit0 + 2);
    const entry = (await call('GET', '/api/audit-logs?tenant=acme&env=prod&pageSize=1', undefined, acmeKey)).body.items[0];
    expect(entry).toMatchObject({ action: 'flag.promote', target: 'flag:acme/prod/p-diff', before: { enabled: true }, after: { enabled: false, promotedFrom: 'staging' } });
  });

  test('from = to, unknown keys and unknown environments are refused', async () => {
    const base = { tenant: 'acme', from: 'staging', to: 'prod', dryRun: true, conflictPolicy: 'skip' };
    const same = await call('POST', '/api/features/promote', { ...base, to: 'staging' }, acmeKey);
    expect([same.status, same.body.error.details[0].field]).toEqual([400, 'to']);
    const unknown = await call('POST', '/api/features/promote', { ...base, keys: ['p-new', 'nope', 'nada'] }, acmeKey);
    expect([unknown.status, unknown.body.error.details.map((d: any) => d.message)]).toEqual([400, ["no flag 'nope' in staging", "no flag 'nada' in staging"]]);
    expect((await call('POST', '/api/features/promote', { ...base, to: 'qa' }, acmeKey)).body.error.details[0].field).toBe('to');
  });
});

describe('isolation', () => {
  test('a tenant-bound key cannot read, write, promote or see the audit of another tenant, nor write a global flag', async () => {
    await call('POST', '/api/features', { tenant: 'globex', env: 'dev', key: 'secret', enabled: true, strategy: 'boolean' });
    const other = { tenant: 'globex', env: 'dev', key: 'x', enabled: true, strategy: 'boolean' };
    expect((await call('GET', '/api/features?tenant=globex&env=dev', undefined, acmeKey)).status).toBe(403);
    expect((await call('POST', '/api/features', other, acmeKey)).status).toBe(403);
    expect((await call('DELETE', '/api/features', { tenant: 'globex', env: 'dev', key: 'secret' }, acmeKey)).status).toBe(403);
    expect((await call('POST', '/api/features/promote', { tenant: 'globex', from: 'dev', to: 'prod', dryRun: true }, acmeKey)).status).toBe(403);
    expect((await call('GET', '/api/audit-logs?tenant=globex', undefined, acmeKey)).status).toBe(403);
    expect((await call('GET', '/audit-logs?tenant=globex', undefined, acmeKey)).status).toBe(403);
    const global = await call('POST', '/api/features', { env: 'dev', key: 'g', enabled: true, strategy: 'boolean' }, acmeKey);
    expect([global.status, global.body.error.code]).toEqual([403, 'forbidden_global']);
    // its own audit, without naming the tenant, shows only its tenant's entries
    const own = await call('GET', '/api/audit-logs?pageSize=500', undefined, acmeKey);
    expect(own.body.items.every((e: any) => e.target.startsWith('flag:acme/'))).toBe(true);
    // read may list, not write; evaluate may do neither; no key is a 401
    expect((await call('POST', '/api/features', { ...other, tenant: 'acme' }, acmeRead)).status).toBe(403);
    expect((await call('GET', '/api/features?tenant=acme&env=dev', undefined, acmeEval)).status).toBe(403);
    expect((await fetch(`${app.url}/features?tenant=acme&env=dev`)).status).toBe(401);
    expect((await db.pool.query(`select count(*)::int as n from flagmeter.flags f join flagmeter.tenants t on t.id = f.tenant_id where t.slug = 'globex'`)).rows[0].n).toBe(1);
  });
});

describe('environments', () => {
  test('added, renamed, reordered; removing one that holds flags is refused; audited', async () => {
    expect((await call('GET', '/api/environments', undefined, acmeRead)).body.environments.map((e: any) => e.name)).toEqual(['dev', 'staging', 'prod']);
    // the default environment (FLAGS_DEFAULT_ENV), which OFREP uses and the console opens on
    expect((await call('GET', '/api/environments', undefined, acmeRead)).body.defaultEnv).toBe('prod');
    expect((await call('POST', '/api/environments', { name: 'qa', position: 15 })).status).toBe(201);
    expect((await call('POST', '/api/environments', { name: 'qa' })).status).toBe(409);
    expect((await call('POST', '/api/environments', { name: 'Q A' })).status).toBe(400);
    expect((await call('POST', '/api/environments', { name: 'x' }, acmeKey)).status).toBe(403);
    expect((await call('PATCH', '/api/environments/qa', { name: 'test' })).body).toEqual({ name: 'test', position: 15, flags: 0 });
    expect((await call('GET', '/api/environments')).body.environments.map((e: any) => e.name)).toEqual(['dev', 'test', 'staging', 'prod']);
    await call('POST', '/api/features', { tenant: 'acme', env: 'test', key: 'in-test', enabled: true, strategy: 'boolean' });
    const refused = await call('DELETE', '/api/environments/test');
    expect([refused.status, refused.body.error.code]).toEqual([409, 'environment_not_empty']);
    await call('DELETE', '/api/features', { tenant: 'acme', env: 'test', key: 'in-test' });
    expect((await call('DELETE', '/api/environments/test')).status).toBe(200);
    expect((await call('DELETE', '/api/environments/test')).status).toBe(404);
    const actions = (await call('GET', '/api/audit-logs?pageSize=500')).body.items.filter((e: any) => e.target.startsWith('environment:')).map((e: any) => e.action);
    expect(actions).toEqual(['environment.delete', 'environment.rename', 'environment.create']);
  });
});
