// SQL of the flag service: environments, flags (a tenant's own in flagmeter.flags, global ones in
// flagmeter.global_flags), their audit entries, evaluation counts and the quota snapshot.
import type pg from 'pg';
import type { Pool } from './pool.ts';
import type { Constraint, Environment, Flag, FlagConfig } from '../flags/model.ts';
import { toAuditView } from './audit.ts';

type Db = Pool | pg.ClientBase;

// ---------------------------------------------------------------------------------------------
// environments

/** The environments, in order (what evaluation needs: no counts, so no scan of the flags). */
export async function loadEnvironments(db: Db): Promise<Environment[]> {
  const { rows } = await db.query('select id, name, position from flagmeter.environments order by position, name');
  return rows.map((r) => ({ id: r.id, name: r.name, position: r.position }));
}

/** The environments with how many flags each holds (GET /api/environments). */
/**
 * The environments with their number of flags: every tenant's and the global ones, or, for one
 * tenant (`tenantId`), its own and the global ones it inherits (a tenant-bound caller must not
 * learn how many flags other tenants keep).
 */
export async function listEnvironments(db: Db, tenantId?: number | null): Promise<(Environment & { flags: number })[]> {
  const { rows } = await db.query(
    `select e.id, e.name, e.position,
       (select count(*) from flagmeter.flags f where f.environment_id = e.id and ($1::bigint is null or f.tenant_id = $1::bigint))
       + (select count(*) from flagmeter.global_flags g where g.environment_id = e.id) as flags
     from flagmeter.environments e order by e.position, e.name`, [tenantId ?? null]);
  return rows.map((r) => ({ id: r.id, name: r.name, position: r.position, flags: r.flags }));
}

export async function insertEnvironment(client: pg.ClientBase, name: string, position: number | undefined): Promise<Environment> {
  const { rows: [r] } = await client.query(
    `insert into flagmeter.environments (name, position)
     values ($1::text, coalesce($2::int, (select coalesce(max(position), 0) + 10 from flagmeter.environments)))
     returning id, name, position`, [name, position ?? null]);
  return { id: r.id, name: r.name, position: r.position };
}

export async function updateEnvironment(client: pg.ClientBase, name: string, change: { name?: string; position?: number }): Promise<Environment | undefined> {
  const { rows: [r] } = await client.query(
    `update flagmeter.environments set name = coalesce($2::text, name), position = coalesce($3::int, position), updated_at = now()
     where name = $1::text returning id, name, position`, [name, change.name ?? null, change.position ?? null]);
  return r && { id: r.id, name: r.name, position: r.position };
}

export async function deleteEnvironment(client: pg.ClientBase, name: string): Promise<Environment | undefined> {
  const { rows: [r] } = await client.query(`delete from flagmeter.environments where name = $1::text returning id, name, position`, [name]);
  return r && { id: r.id, name: r.name, position: r.position };
}

// ---------------------------------------------------------------------------------------------
// flags

const columns = `key, description, enabled, value_type, on_value, off_value, strategies, variants, stickiness, dependencies, quota_rules, version, created_at, updated_at`;

export function toFlag(r: Record<string, any>, tenant: string | null, env: string): Flag {
  return {
    tenant, env, key: r.key, description: r.description, enabled: r.enabled, type: r.value_type, onValue: r.on_value, offValue: r.off_value,
    strategies: r.strategies, variants: r.variants, stickiness: r.stickiness, dependencies: r.dependencies,
    quotaRules: r.quota_rules, version: r.version,
    // Date from a row, text from a json_agg
    createdAt: new Date(r.created_at).toISOString(), updatedAt: new Date(r.updated_at).toISOString(),
  };
}

export interface Scope { tenantId: number | null; tenant: string | null; envId: number; env: string }

// What a tenant·environment's flag set is made of, in one string: count, sum of versions and the
// latest change of its own flags, of the environment's global ones, of the tenant's segments and of
// the global segments. Any write moves it (an update raises a version and updated_at, a delete
// lowers a count, a create adds one), so one query tells a process which of its cached sets changed.
const stampPart = (table: string, where: string) =>
  `(select concat_ws('.', count(*), coalesce(sum(version), 0), coalesce(floor(extract(epoch from max(updated_at)) * 1000000), 0)) from flagmeter.${table}${where ? ` where ${where}` : ''})`;
const stampOf = (t: string, e: string) => `(
  select concat_ws('/', ${stampPart('flags', `tenant_id = ${t} and environment_id = ${e}`)}, ${stampPart('global_flags', `environment_id = ${e}`)},
    ${stampPart('segments', `tenant_id = ${t}`)}, ${stampPart('global_segments', '')}))`;

export interface LoadedSegment { name: string; constraints: Constraint[]; global: boolean }

/**
 * One tenant's flags in one environment with the global flags it inherits, the segments they may use,
 * and the set's stamp: what the evaluator loads. Tenant null: the global flags and segments alone.
 */
export async function loadFlagSet(db: Db, tenantId: number | null, envId: number): Promise<{ stamp: string; flags: { row: Record<string, any>; inherited: boolean }[]; segments: LoadedSegment[] }> {
  const { rows: [r] } = await db.query(
    `select ${stampOf('$1::bigint', '$2::bigint')} as stamp, coalesce((select json_agg(to_jsonb(x)) from (
       select ${columns}, false as inherited from flagmeter.flags where tenant_id = $1::bigint and environment_id = $2::bigint
       union all
       select ${columns}, true from flagmeter.global_flags g where environment_id = $2::bigint
         and not exists (select 1 from flagmeter.flags f where f.tenant_id = $1::bigint and f.environment_id = $2::bigint and f.key = g.key)
     ) x), '[]') as flags,
     coalesce((select json_agg(json_build_object('name', name, 'constraints', constraints, 'global', global)) from (
       select name, constraints, false as global from flagmeter.segments where tenant_id = $1::bigint
       union all
       select name, constraints, true from flagmeter.global_segments
     ) s), '[]') as segments`,
    [tenantId, envId]);
  return { stamp: r.stamp, flags: (r.flags as Record<string, any>[]).map((row) => ({ row, inherited: row.inherited })), segments: r.segments };
}

/** The current stamps of these tenant·environment sets (same order). */
export async function flagSetStamps(db: Db, sets: { tenantId: number | null; envId: number }[]): Promise<string[]> {
  const { rows } = await db.query(
    `select k.i, ${stampOf('k.t', 'k.e')} as stamp
     from unnest($1::bigint[], $2::bigint[]) with ordinality as k(t, e, i) order by k.i`,
    [sets.map((s) => s.tenantId), sets.map((s) => s.envId)]);
  return rows.map((r) => r.stamp);
}

export async function getFlag(db: Db, s: Scope, key: string, lock = false): Promise<Flag | undefined> {
  const { rows: [r] } = s.tenantId === null
    ? await db.query(`select ${columns} from flagmeter.global_flags where environment_id = $1::bigint and key = $2::text${lock ? ' for update' : ''}`, [s.envId, key])
    : await db.query(`select ${columns} from flagmeter.flags where tenant_id = $1::bigint and environment_id = $2::bigint and key = $3::text${lock ? ' for update' : ''}`, [s.tenantId, s.envId, key]);
  return r && toFlag(r, s.tenant, s.env);
}

/** The flags of a tenant (or the global ones) in one environment, own flags only. */
export async function ownFlags(db: Db, s: Scope, keys?: string[], lock = false): Promise<Flag[]> {
  const { rows } = s.tenantId === null
    ? await db.query(`select ${columns} from flagmeter.global_flags where environment_id = $1::bigint and ($2::text[] is null or key = any ($2::text[])) order by key${lock ? ' for update' : ''}`, [s.envId, keys ?? null])
    : await db.query(`select ${columns} from flagmeter.flags where tenant_id = $1::bigint and environment_id = $2::bigint and ($3::text[] is null or key = any ($3::text[])) order by key${lock ? ' for update' : ''}`, [s.tenantId, s.envId, keys ?? null]);
  return rows.map((r) => toFlag(r, s.tenant, s.env));
}

// a JSON parameter; SQL null stays null (JSON.stringify would make it the JSON value null)
const json = (v: unknown) => (v === null ? null : JSON.stringify(v));
const configParams = (c: FlagConfig) => [c.description, c.enabled, c.type, json(c.onValue), json(c.offValue), json(c.strategies), json(c.variants), c.stickiness, json(c.dependencies), json(c.quotaRules)];
const configColumns = 'description, enabled, value_type, on_value, off_value, strategies, variants, stickiness, dependencies, quota_rules';
const setColumns = configColumns.split(', ').map((c) => `${c} = excluded.${c}`).join(', ');
const values = (first: number) => ['text', 'boolean', 'text', 'jsonb', 'jsonb', 'jsonb', 'jsonb', 'text', 'jsonb', 'jsonb'].map((t, i) => `$${first + i}::${t}`).join(', ');

/** Creates or replaces a flag; the version grows and updated_at moves on every write. */
export async function upsertFlag(client: pg.ClientBase, s: Scope, key: string, c: FlagConfig): Promise<Flag> {
  const { rows: [r] } = s.tenantId === null
    ? await client.query(
      `insert into flagmeter.global_flags (environment_id, key, ${configColumns})
       values ($1::bigint, $2::text, ${values(3)})
       on conflict (environment_id, key) do update set ${setColumns}, version = global_flags.version + 1, updated_at = clock_timestamp()
       returning ${columns}`, [s.envId, key, ...configParams(c)])
    : await client.query(
      `insert into flagmeter.flags (tenant_id, environment_id, key, ${configColumns})
       values ($1::bigint, $2::bigint, $3::text, ${values(4)})
       on conflict (tenant_id, environment_id, key) do update set ${setColumns}, version = flags.version + 1, updated_at = clock_timestamp()
       returning ${columns}`, [s.tenantId, s.envId, key, ...configParams(c)]);
  return toFlag(r, s.tenant, s.env);
}

export async function deleteFlag(client: pg.ClientBase, s: Scope, key: string): Promise<Flag | undefined> {
  const { rows: [r] } = s.tenantId === null
    ? await client.query(`delete from flagmeter.global_flags where environment_id = $1::bigint and key = $2::text returning ${columns}`, [s.envId, key])
    : await client.query(`delete from flagmeter.flags where tenant_id = $1::bigint and environment_id = $2::bigint and key = $3::text returning ${columns}`, [s.tenantId, s.envId, key]);
  return r && toFlag(r, s.tenant, s.env);
}

// ---------------------------------------------------------------------------------------------
// audit

/** Audit target of a flag: flag:<tenant or *>/<env>/<key>. */
export const flagTarget = (tenant: string | null, env: string, key: string) => `flag:${tenant ?? '*'}/${env}/${key}`;

/**
 * Flag and environment audit entries of one tenant (tenantId; null: the global ones) whose target
 * starts with one of the prefixes or is one of `exact`, newest first. The tenant is matched by id:
 * a target names the slug, which a later tenant may take after this one is deleted.
 */
export async function listFlagAudit(db: Db, tenantId: number | null, prefixes: string[], page: number, pageSize: number, exact: string[] = []) {
  const { rows: [r] } = await db.query(
    `with hits as (
       select a.id from flagmeter.audit_log a
       where a.tenant_id is not distinct from $5::bigint
         and (a.target = any ($4::text[]) or exists (select 1 from unnest($1::text[]) p where starts_with(a.target, p)))
     )
     select (select count(*) from hits)::int as total,
       (select coalesce(json_agg(to_jsonb(v) order by v.id desc), '[]') from (
          select * from report.audit_log where id in (select id from hits) order by id desc limit $2::int offset $3::int) v) as items`,
    [prefixes, pageSize, (page - 1) * pageSize, exact, tenantId]);
  return { total: r.total as number, items: (r.items as Record<string, any>[]).map(toAuditView) };
}

// ---------------------------------------------------------------------------------------------
// evaluation counts and the quota snapshot

export interface CountRow { tenantId: number; envId: number; key: string; hour: Date; value: string; n: number; last: Date }

/** Adds a batch of counts: one statement, rows sorted by the conflict key (concurrent flushes do not deadlock). */
export async function addEvaluationCounts(db: Db, rows: CountRow[]): Promise<void> {
  if (rows.length === 0) return;
  await db.query(
    `insert into flagmeter.flag_evaluations (tenant_id, environment_id, flag_key, hour, value, evaluations, last_at)
     select t, e, k, h, v, n, l from unnest($1::bigint[], $2::bigint[], $3::text[], $4::timestamptz[], $5::text[], $6::bigint[], $7::timestamptz[]) as x(t, e, k, h, v, n, l)
     where exists (select 1 from flagmeter.tenants where id = x.t) and exists (select 1 from flagmeter.environments where id = x.e)
     order by t, e, k, h, v
     on conflict (tenant_id, environment_id, flag_key, hour, value)
     do update set evaluations = flag_evaluations.evaluations + excluded.evaluations, last_at = greatest(flag_evaluations.last_at, excluded.last_at)`,
    [rows.map((r) => r.tenantId), rows.map((r) => r.envId), rows.map((r) => r.key), rows.map((r) => r.hour), rows.map((r) => r.value), rows.map((r) => r.n), rows.map((r) => r.last)]);
}

export interface RecentCountRow { set: number; key: string; value: string; n: number; lastAt: Date }

// One branch of recentEvaluationCounts: a set's rows, 24 h sums and the latest evaluation, read
// through the primary key (tenant, environment, …) for a tenant, across tenants for the global list.
const recentBranch = (tenantWhere: string) => `
  select k.i, c.flag_key, c.value, c.n, c.last_at
  from unnest($1::bigint[], $2::bigint[], $3::boolean[]) with ordinality as k(t, e, whole, i)
  cross join lateral (
    select e.flag_key, e.value, coalesce(sum(e.evaluations) filter (where e.hour >= now() - interval '24 hours'), 0)::bigint as n, max(e.last_at) as last_at
    from flagmeter.flag_evaluations e
    where ${tenantWhere} and e.environment_id = k.e and (k.whole or e.hour >= now() - interval '25 hours')
    group by e.flag_key, e.value
  ) c`;

/**
 * The evaluation counts of these tenant·environment sets (tenant null: every tenant's, for the global
 * flags), per flag and value: the last 24 h and the latest evaluation. `whole` false reads only the
 * last 25 hours (enough for the 24 h sums; the latest evaluation then only covers that window, which
 * the caller merges with what it read before). One statement for all sets, in (set, key, value) order.
 */
export async function recentEvaluationCounts(db: Db, sets: { tenantId: number | null; envId: number; whole: boolean }[]): Promise<RecentCountRow[]> {
  if (sets.length === 0) return [];
  const { rows } = await db.query(
    `${recentBranch('k.t is not null and e.tenant_id = k.t')} union all ${recentBranch('k.t is null')} order by 1, 2, 3`,
    [sets.map((s) => s.tenantId), sets.map((s) => s.envId), sets.map((s) => s.whole)]);
  return rows.map((r) => ({ set: Number(r.i) - 1, key: r.flag_key, value: r.value, n: Number(r.n), lastAt: r.last_at }));
}

/** Drops counts older than the retention; the BRIN index on hour finds them. */
export async function pruneEvaluationCounts(db: Db, keepDays: number): Promise<number> {
  const { rowCount } = await db.query(`delete from flagmeter.flag_evaluations where hour < now() - make_interval(days => $1::int)`, [keepDays]);
  return rowCount ?? 0;
}

/**
 * One limit of a tenant with its use this period: the quota (feature null, unit tokens), a feature's
 * limit (in tokens or money), the budget (feature null, unit money). used and limit are exact
 * decimal text ("450", "412.5"): money is never a float.
 */
export interface QuotaRow { tenantId: number; feature: string | null; unit: 'tokens' | 'money'; used: string; limit: string }

/** The token limits (quota_snapshot) and the money ones (budget_snapshot) of these tenants, in one statement. */
export async function quotaSnapshot(db: Db, tenantIds: number[]): Promise<QuotaRow[]> {
  const { rows } = await db.query(
    `select tenant_id, feature, 'tokens' as unit, used::text, limit_tokens::text as lim from flagmeter.quota_snapshot($1::bigint[])
     union all
     select tenant_id, feature, 'money', trim_scale(used)::text, trim_scale(limit_money)::text from flagmeter.budget_snapshot($1::bigint[])`, [tenantIds]);
  return rows.map((r) => ({ tenantId: r.tenant_id, feature: r.feature, unit: r.unit, used: r.used, limit: r.lim }));
}

export async function environmentByName(db: Db, name: string, lock = false): Promise<Environment | undefined> {
  const { rows: [r] } = await db.query(`select id, name, position from flagmeter.environments where name = $1::text${lock ? ' for update' : ''}`, [name]);
  return r && { id: r.id, name: r.name, position: r.position };
}

export async function environmentFlagCount(db: Db, envId: number): Promise<number> {
  const { rows: [r] } = await db.query(
    `select (select count(*) from flagmeter.flags where environment_id = $1::bigint) + (select count(*) from flagmeter.global_flags where environment_id = $1::bigint) as n`, [envId]);
  return Number(r.n);
}

// ---------------------------------------------------------------------------------------------
// references between flags (dependencies) and from flags to segments

/**
 * The flags a scope's flags see, with their parents: a tenant's own flags and the global ones it
 * inherits in the environment; for the global scope, the global flags.
 */
export async function dependencyGraph(db: Db, s: Scope): Promise<Map<string, string[]>> {
  const { rows } = await db.query(
    `select key, array(select d ->> 'flag' from jsonb_array_elements(dependencies) d) as parents
     from flagmeter.flags where $1::bigint is not null and tenant_id = $1::bigint and environment_id = $2::bigint
     union all
     select key, array(select d ->> 'flag' from jsonb_array_elements(dependencies) d) from flagmeter.global_flags g
     where environment_id = $2::bigint
       and ($1::bigint is null or not exists (select 1 from flagmeter.flags f where f.tenant_id = $1::bigint and f.environment_id = $2::bigint and f.key = g.key))`,
    [s.tenantId, s.envId]);
  return new Map(rows.map((r) => [r.key as string, r.parents as string[]]));
}

/** Which of these segment names a scope's flags can see: the tenant's own and the global ones (global flags: global only). */
export async function visibleSegments(db: Db, tenantId: number | null, names: string[]): Promise<Set<string>> {
  if (names.length === 0) return new Set();
  const { rows } = await db.query(
    `select name from flagmeter.segments where $1::bigint is not null and tenant_id = $1::bigint and name = any ($2::text[])
     union select name from flagmeter.global_segments where name = any ($2::text[])`, [tenantId, names]);
  return new Set(rows.map((r) => r.name as string));
}
