// SQL of segments: a tenant's (flagmeter.segments) and the global ones (flagmeter.global_segments),
// and which flags refer to one.
import type pg from 'pg';
import type { Pool } from './pool.ts';
import type { Constraint, Segment } from '../flags/model.ts';

type Db = Pool | pg.ClientBase;

const columns = 'name, description, constraints, version, created_at, updated_at';

function toSegment(r: Record<string, any>, tenant: string | null): Segment {
  return {
    tenant, name: r.name, description: r.description, constraints: r.constraints, version: r.version,
    createdAt: new Date(r.created_at).toISOString(), updatedAt: new Date(r.updated_at).toISOString(),
  };
}

/** Audit target of a segment: segment:<tenant or *>/<name>. */
export const segmentTarget = (tenant: string | null, name: string) => `segment:${tenant ?? '*'}/${name}`;

export interface SegmentScope { tenantId: number | null; tenant: string | null }

/** A tenant's segments and the global ones (global: true), by name; for the global scope, the global ones. */
export async function listSegments(db: Db, s: SegmentScope): Promise<(Segment & { global: boolean })[]> {
  const { rows } = await db.query(
    `select ${columns}, false as global from flagmeter.segments where $1::bigint is not null and tenant_id = $1::bigint
     union all
     select ${columns}, true from flagmeter.global_segments
     order by name, global`, [s.tenantId]);
  return rows.map((r) => ({ ...toSegment(r, r.global ? null : s.tenant), global: r.global }));
}

export async function getSegment(db: Db, s: SegmentScope, name: string, lock = false): Promise<Segment | undefined> {
  const { rows: [r] } = s.tenantId === null
    ? await db.query(`select ${columns} from flagmeter.global_segments where name = $1::text${lock ? ' for update' : ''}`, [name])
    : await db.query(`select ${columns} from flagmeter.segments where tenant_id = $1::bigint and name = $2::text${lock ? ' for update' : ''}`, [s.tenantId, name]);
  return r && toSegment(r, s.tenant);
}

/** Creates or replaces a segment; the version grows and updated_at moves on every write. */
export async function upsertSegment(client: pg.ClientBase, s: SegmentScope, name: string, description: string, constraints: Constraint[]): Promise<Segment> {
  const { rows: [r] } = s.tenantId === null
    ? await client.query(
      `insert into flagmeter.global_segments (name, description, constraints) values ($1::text, $2::text, $3::jsonb)
       on conflict (name) do update set description = excluded.description, constraints = excluded.constraints,
         version = global_segments.version + 1, updated_at = clock_timestamp()
       returning ${columns}`, [name, description, JSON.stringify(constraints)])
    : await client.query(
      `insert into flagmeter.segments (tenant_id, name, description, constraints) values ($1::bigint, $2::text, $3::text, $4::jsonb)
       on conflict (tenant_id, name) do update set description = excluded.description, constraints = excluded.constraints,
         version = segments.version + 1, updated_at = clock_timestamp()
       returning ${columns}`, [s.tenantId, name, description, JSON.stringify(constraints)]);
  return toSegment(r, s.tenant);
}

export async function deleteSegment(client: pg.ClientBase, s: SegmentScope, name: string): Promise<Segment | undefined> {
  const { rows: [r] } = s.tenantId === null
    ? await client.query(`delete from flagmeter.global_segments where name = $1::text returning ${columns}`, [name])
    : await client.query(`delete from flagmeter.segments where tenant_id = $1::bigint and name = $2::text returning ${columns}`, [s.tenantId, name]);
  return r && toSegment(r, s.tenant);
}

export interface SegmentUse { tenant: string | null; env: string; key: string }

/**
 * The flags whose strategies name this segment and would see it: for a tenant's segment, that
 * tenant's flags; for a global one, the global flags and every tenant's flags that have no segment
 * of their own with the name.
 */
export async function segmentUses(db: Db, s: SegmentScope, name: string): Promise<SegmentUse[]> {
  const uses = `exists (select 1 from jsonb_array_elements(strategies) st where st -> 'segments' ? $2::text)`;
  const { rows } = await db.query(
    `select t.slug as tenant, e.name as env, f.key from flagmeter.flags f
       join flagmeter.tenants t on t.id = f.tenant_id join flagmeter.environments e on e.id = f.environment_id
     where ${uses} and ($1::bigint is null and not exists (select 1 from flagmeter.segments o where o.tenant_id = f.tenant_id and o.name = $2::text)
                        or f.tenant_id = $1::bigint)
     union all
     select null, e.name, g.key from flagmeter.global_flags g join flagmeter.environments e on e.id = g.environment_id
     where $1::bigint is null and ${uses.replace('strategies', 'g.strategies')}
     order by 1 nulls first, 2, 3`, [s.tenantId, name]);
  return rows.map((r) => ({ tenant: r.tenant, env: r.env, key: r.key }));
}
