// The flag tables and functions against real PostgreSQL: constraints, the set stamps the cache
// checks, and flagmeter.quota_snapshot (the contract with the entitlements work).
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { addTenants, createTestDb, type TestDb } from '../helpers/db.ts';
import { flagSetStamps, loadFlagSet, upsertFlag, deleteFlag, quotaSnapshot, toFlag, type Scope } from '../../server/db/flags.ts';
import { committedMigrations } from '../../server/db/migrate.ts';
import { upsertSegment } from '../../server/db/segments.ts';
import { compile, evaluate } from '../../sdk/node/src/local/evaluate.ts';
import { legacyFields, legacyStrategies, type LegacyStrategy } from '../../server/flags/legacy.ts';
import { insertEvents } from '../../server/db/events.ts';
import type { FlagConfig } from '../../server/flags/model.ts';

let db: TestDb;
let ids: Record<string, number>;
let prod: number;
beforeAll(async () => {
  db = await createTestDb();
  ids = await addTenants(db.pool, [{ slug: 'acme', quota: 1000 }, { slug: 'globex', quota: 50 }, { slug: 'idle' }]);
  prod = (await db.pool.query(`select id from flagmeter.environments where name = 'prod'`)).rows[0].id;
});
afterAll(async () => { await db.drop(); });

const config: FlagConfig = { description: '', enabled: true, strategies: [], variants: [], stickiness: 'default', dependencies: [], type: 'boolean', onValue: null, offValue: null, quotaRules: [] };

test('every kind of write moves the stamp of the sets it touches, and only those', async () => {
  const acme: Scope = { tenantId: ids.acme!, tenant: 'acme', envId: prod, env: 'prod' };
  const global: Scope = { tenantId: null, tenant: null, envId: prod, env: 'prod' };
  const sets = [{ tenantId: ids.acme!, envId: prod }, { tenantId: ids.globex!, envId: prod }];
  const seen: string[][] = [await flagSetStamps(db.pool, sets)];
  const client = await db.pool.connect();
  try {
    await upsertFlag(client, acme, 'a', config);
    seen.push(await flagSetStamps(db.pool, sets));
    await upsertFlag(client, acme, 'a', { ...config, enabled: false });
    seen.push(await flagSetStamps(db.pool, sets));
    await upsertFlag(client, global, 'g', config);
    seen.push(await flagSetStamps(db.pool, sets));
    await deleteFlag(client, acme, 'a');
    seen.push(await flagSetStamps(db.pool, sets));
  } finally {
    client.release();
  }
  const acmeStamps = seen.map((s) => s[0]);
  const globexStamps = seen.map((s) => s[1]);
  expect(new Set(acmeStamps).size).toBe(5);
  // globex moves only with the global flag
  expect(new Set(globexStamps).size).toBe(2);
  expect(globexStamps[2]).toBe(globexStamps[0]);
  expect(globexStamps[3]).not.toBe(globexStamps[2]);
  // the load returns the same stamp as the check, from the same snapshot
  const loaded = await loadFlagSet(db.pool, ids.acme!, prod);
  expect(loaded.stamp).toBe(acmeStamps[4]);
  expect(loaded.flags.map((f) => [f.row.key, f.inherited])).toEqual([['g', true]]);
});

test('a segment write moves the stamps of the sets that may use it: the tenant\'s, or everyone\'s for a global one', async () => {
  const sets = [{ tenantId: ids.acme!, envId: prod }, { tenantId: ids.globex!, envId: prod }];
  const client = await db.pool.connect();
  try {
    const before = await flagSetStamps(db.pool, sets);
    await upsertSegment(client, { tenantId: ids.acme!, tenant: 'acme' }, 'pro', '', []);
    const own = await flagSetStamps(db.pool, sets);
    expect([own[0] !== before[0], own[1] === before[1]]).toEqual([true, true]);
    await upsertSegment(client, { tenantId: null, tenant: null }, 'staff', '', []);
    const global = await flagSetStamps(db.pool, sets);
    expect([global[0] !== own[0], global[1] !== own[1]]).toEqual([true, true]);
    expect((await loadFlagSet(db.pool, ids.acme!, prod)).segments.map((g) => [g.name, g.global]).sort()).toEqual([['pro', false], ['staff', true]]);
  } finally {
    client.release();
  }
});

test('constraints: values of the flag\'s type (both, or none on a boolean flag), rules are lists, an environment with flags stays', async () => {
  const insert = (sql: string) => db.pool.query(`insert into flagmeter.flags (tenant_id, environment_id, key, enabled, strategies, value_type, on_value, off_value)
    values ($1, $2, ${sql})`, [ids.acme, prod]);
  await expect(insert(`'x1', true, '{}', 'boolean', null, null`)).rejects.toMatchObject({ code: '23514' });
  await expect(insert(`'x2', true, '[]', 'string', '"on"', null`)).rejects.toMatchObject({ code: '23514' });
  await expect(insert(`'x3', true, '[]', 'number', '"1"', '0'`)).rejects.toMatchObject({ code: '23514' });
  await expect(insert(`'x4', true, '[]', 'json', '[1]', '{}'`)).rejects.toMatchObject({ code: '23514' });
  await expect(insert(`'x5', true, '[]', 'boolean', 'true', null`)).rejects.toMatchObject({ code: '23514' });
  await expect(insert(`'Bad Key', true, '[]', 'boolean', null, null`)).rejects.toMatchObject({ code: '23514' });
  await insert(`'kept', true, '[]', 'boolean', null, null`);
  await insert(`'kept-json', true, '[]', 'json', '{"model": "gpt-4o"}', '{}'`);
  await expect(db.pool.query(`delete from flagmeter.environments where id = $1`, [prod])).rejects.toMatchObject({ code: '23503' });
});

test('quota_snapshot: one row per tenant asked for, the monthly quota of its current period (feature null)', async () => {
  const now = new Date().toISOString();
  await insertEvents(db.pool, [
    { id: crypto.randomUUID(), tenantId: ids.acme!, feature: 'gpt-4o', tokens: 300, occurredAt: now, key: null, user: null },
    { id: crypto.randomUUID(), tenantId: ids.acme!, feature: 'embed', tokens: 150, occurredAt: now, key: null, user: null },
    { id: crypto.randomUUID(), tenantId: ids.globex!, feature: 'gpt-4o', tokens: 60, occurredAt: now, key: null, user: null },
    // last year: outside the current billing period
    { id: crypto.randomUUID(), tenantId: ids.acme!, feature: 'gpt-4o', tokens: 999, occurredAt: new Date(Date.now() - 400 * 86_400_000).toISOString(), key: null, user: null },
  ]);
  const rows = await quotaSnapshot(db.pool, [ids.acme!, ids.globex!]);
  expect(rows.sort((a, b) => a.tenantId - b.tenantId)).toEqual([
    { tenantId: ids.acme, feature: null, unit: 'tokens', used: '450', limit: '1000' },
    { tenantId: ids.globex, feature: null, unit: 'tokens', used: '60', limit: '50' },
  ]);
  expect(await quotaSnapshot(db.pool, [ids.idle!])).toEqual([{ tenantId: ids.idle, feature: null, unit: 'tokens', used: '0', limit: '1000000' }]);
});

test('the migration to strategies rewrites every old flag as the strategies its flat form means (global ones too)', async () => {
  const migrations = committedMigrations();
  const at = migrations.findIndex((sql) => sql.includes('pg_temp.legacy_strategies'));
  expect(at).toBeGreaterThan(0);
  const old = await createTestDb({ migrated: false });
  try {
    for (const sql of migrations.slice(0, at)) await old.pool.query(sql);
    const { acme } = await addTenants(old.pool, [{ slug: 'acme' }]);
    const env = (await old.pool.query(`select id from flagmeter.environments where name = 'prod'`)).rows[0].id;
    const rows: [string, string, number | null, string[], string[], string | null, string, string | null, string | null][] = [
      ['on', 'boolean', null, [], [], null, 'boolean', null, null],
      ['rollout', 'percentage', 30, [], [], 'shared', 'boolean', null, null],
      ['lists', 'targeting', null, ['alice', 'bob'], ['mallory'], null, 'string', 'gpt-4o', 'gpt-4o-mini'],
      ['allow-only', 'targeting', null, ['alice'], [], null, 'boolean', null, null],
    ];
    for (const [key, strategy, percentage, allow, deny, group, type, on, off] of rows) {
      await old.pool.query(`insert into flagmeter.flags (tenant_id, environment_id, key, enabled, strategy, percentage, allow_list, deny_list, group_id, value_type, on_value, off_value)
        values ($1, $2, $3, true, $4, $5, $6, $7, $8, $9, $10, $11)`, [acme, env, key, strategy, percentage, allow, deny, group, type, on, off]);
    }
    await old.pool.query(`insert into flagmeter.global_flags (environment_id, key, enabled, strategy, percentage) values ($1, 'g', true, 'percentage', 5)`, [env]);
    await old.pool.query(migrations[at]!);
    const { flags } = await loadFlagSet(old.pool, acme!, env);
    const byKey = new Map(flags.map((f) => [f.row.key as string, toFlag(f.row, 'acme', 'prod')]));
    for (const [key, strategy, percentage, allow, deny, group] of rows) {
      expect([key, byKey.get(key)!.strategies]).toEqual([key, legacyStrategies({ strategy: strategy as LegacyStrategy, percentage, allow, deny, group })]);
    }
    expect(byKey.get('g')!.strategies).toEqual(legacyStrategies({ strategy: 'percentage', percentage: 5 }));
    expect(byKey.get('lists')).toMatchObject({ type: 'string', onValue: 'gpt-4o', offValue: 'gpt-4o-mini', variants: [], dependencies: [], stickiness: 'default' });
    expect(byKey.get('on')).toMatchObject({ onValue: null, offValue: null });
    // they evaluate as the flat forms did
    const lists = compile(byKey.get('lists')!, false);
    expect([evaluate(lists, 'alice').value, evaluate(lists, 'mallory'), evaluate(lists, 'zed').reason]).toEqual(['gpt-4o', expect.objectContaining({ value: 'gpt-4o-mini', reason: 'TARGETING_MATCH' }), 'DEFAULT']);
    expect(legacyFields(byKey.get('rollout')!)).toEqual({ strategy: 'percentage', percentage: 30, allow: [], deny: [], group: 'shared' });
    expect(legacyFields(byKey.get('lists')!)).toEqual({ strategy: 'targeting', percentage: null, allow: ['alice', 'bob'], deny: ['mallory'], group: null });
  } finally {
    await old.drop();
  }
});
