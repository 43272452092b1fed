// Whether a schema can be distributed by tenant with Citus, read from the catalogs (pg_class,
// pg_constraint, pg_index, pg_attribute). Citus enforces a primary key, unique key or exclusion
// constraint on a distributed table only when the distribution column is part of it, and a foreign key
// between two distributed tables only when both sides carry the distribution column at the same
// position (the rows then live in colocated shards). A table that is not distributed is either a
// reference table (one copy on every node) or a coordinator-local table (one copy, on the coordinator).
import type pg from 'pg';

/** How a table that is not distributed by tenant is held under Citus. */
export type Placement = 'reference' | 'coordinator';

export interface NotDistributed { placement: Placement; why: string }

export interface ShardRules {
  /** Schemas to read: every table in them is checked (partitions are checked through their parent). */
  schemas: string[];
  /** The distribution column; a table that has it is distributed by it, unless listed below. */
  tenantColumn: string;
  /** Its type (the same everywhere, or the tables cannot be colocated). */
  tenantType: string;
  /** 'schema.table' → how it is held instead. Every other table must carry the tenant column. */
  notDistributed: Record<string, NotDistributed>;
}

export type Role = 'distributed' | Placement;

interface Table { name: string; tenantAttnum: number | null; tenantType: string | null; tenantNullable: boolean }
interface Key { table: string; name: string; kind: string; attnums: number[]; refTable: string | null; refAttnums: number[] }

async function readTables(client: pg.ClientBase, rules: ShardRules): Promise<Table[]> {
  const { rows } = await client.query<{ name: string; attnum: number | null; type: string | null; nullable: boolean | null }>(
    `select format('%s.%s', n.nspname, c.relname) as name, a.attnum, format_type(a.atttypid, a.atttypmod) as type,
            not a.attnotnull as nullable
     from pg_class c
     join pg_namespace n on n.oid = c.relnamespace
     left join pg_attribute a on a.attrelid = c.oid and a.attname = $2::text and not a.attisdropped
     where n.nspname = any($1::text[])
       and c.relkind in ('r', 'p')      -- tables and partitioned tables (views hold no rows)
       and not c.relispartition         -- a partition is distributed with its parent
     order by 1`, [rules.schemas, rules.tenantColumn]);
  return rows.map((r) => ({ name: r.name, tenantAttnum: r.attnum, tenantType: r.type, tenantNullable: r.nullable ?? false }));
}

/** Primary keys, unique and exclusion constraints, foreign keys, and unique indexes that back no constraint. */
async function readKeys(client: pg.ClientBase, rules: ShardRules): Promise<Key[]> {
  const { rows } = await client.query<Key>(
    `select format('%s.%s', n.nspname, c.relname) as "table", k.conname as name,
            case k.contype when 'p' then 'primary key' when 'u' then 'unique key' when 'x' then 'exclusion constraint'
                           else 'foreign key' end as kind,
            k.conkey::int[] as attnums,
            case when k.contype = 'f' then format('%s.%s', rn.nspname, r.relname) end as "refTable",
            coalesce(k.confkey::int[], '{}') as "refAttnums"
     from pg_constraint k
     join pg_class c on c.oid = k.conrelid
     join pg_namespace n on n.oid = c.relnamespace
     left join pg_class r on r.oid = k.confrelid
     left join pg_namespace rn on rn.oid = r.relnamespace
     where n.nspname = any($1::text[]) and not c.relispartition and k.contype in ('p', 'u', 'x', 'f')
       and k.conparentid = 0            -- a partitioned table's constraint, not its copy on each partition
     union all
     select format('%s.%s', n.nspname, c.relname), i.relname, 'unique index',
            -- key columns only (INCLUDE columns do not make a row unique); an expression counts as 0
            (select array_agg(a.k order by a.o) from unnest(x.indkey::int2[]) with ordinality a(k, o)
             where a.o <= x.indnkeyatts)::int[], null, '{}'
     from pg_index x
     join pg_class i on i.oid = x.indexrelid
     join pg_class c on c.oid = x.indrelid
     join pg_namespace n on n.oid = c.relnamespace
     where n.nspname = any($1::text[]) and not c.relispartition and x.indisunique
       and not exists (select from pg_constraint k where k.conindid = x.indexrelid and k.conrelid = x.indrelid)
     order by 1, 2`, [rules.schemas]);
  return rows;
}

/** A listed table is held as listed; any other one that has the tenant column is distributed by it; the rest have no role. */
function classify(tables: Table[], rules: ShardRules): Map<string, Role> {
  const role = new Map<string, Role>();
  for (const t of tables) {
    const listed = rules.notDistributed[t.name];
    if (listed) role.set(t.name, listed.placement);
    else if (t.tenantAttnum !== null) role.set(t.name, 'distributed');
  }
  return role;
}

/** Where each table of the schemas goes under Citus (tables with no decision are left out). */
export async function placements(client: pg.ClientBase, rules: ShardRules): Promise<Map<string, Role>> {
  return classify(await readTables(client, rules), rules);
}

/**
 * Every way the schema breaks the rules, as sentences naming the table and the constraint; empty when
 * it can be distributed by `tenantColumn` as it is.
 */
export async function shardViolations(client: pg.ClientBase, rules: ShardRules): Promise<string[]> {
  const tables = await readTables(client, rules);
  const keys = await readKeys(client, rules);
  const byName = new Map(tables.map((t) => [t.name, t]));
  const role = classify(tables, rules);
  const out: string[] = [];
  const col = rules.tenantColumn;

  for (const name of Object.keys(rules.notDistributed)) {
    if (!byName.has(name)) out.push(`${name} is in the list of tables not distributed by ${col} but does not exist: remove it from the list`);
  }
  for (const t of tables) {
    if (!role.has(t.name)) out.push(`${t.name} has no ${col} column and is not in the list of reference/coordinator tables: add ${col} (distributed by tenant) or list it with why`);
  }

  for (const t of tables) {
    if (role.get(t.name) !== 'distributed') continue;
    if (t.tenantNullable) out.push(`${t.name}.${col} is nullable: a distributed table's ${col} must be not null`);
    if (t.tenantType !== rules.tenantType) out.push(`${t.name}.${col} is ${t.tenantType}, not ${rules.tenantType}: it cannot be colocated with the other tenant tables`);
  }

  for (const k of keys) {
    const own = role.get(k.table);
    const t = byName.get(k.table);
    if (!own || !t) continue; // a table with no decision is reported above
    if (k.kind !== 'foreign key') {
      if (own === 'distributed' && !k.attnums.includes(t.tenantAttnum!)) {
        out.push(`${k.table}: ${k.kind} ${k.name} does not include ${col}`);
      }
      continue;
    }
    const target = k.refTable === null ? undefined : role.get(k.refTable);
    if (!target && byName.has(k.refTable!)) continue; // the target has no decision yet: reported above
    if (!target) {
      out.push(`${k.table}: foreign key ${k.name} references ${k.refTable}, outside the checked schemas`);
    } else if (own === 'distributed' && target === 'distributed') {
      const ref = byName.get(k.refTable!)!;
      const at = k.attnums.indexOf(t.tenantAttnum!);
      if (at < 0 || k.refAttnums[at] !== ref.tenantAttnum) {
        out.push(`${k.table}: foreign key ${k.name} to ${k.refTable} does not pair ${col} with ${k.refTable}.${col}`);
      }
    } else if (own === 'distributed' && target === 'coordinator') {
      out.push(`${k.table}: foreign key ${k.name} points from a distributed table to the coordinator table ${k.refTable}: make ${k.refTable} a reference table`);
    } else if (own !== 'distributed' && target === 'distributed') {
      out.push(`${k.table}: foreign key ${k.name} points from the ${own} table ${k.table} to the distributed table ${k.refTable}`);
    } else if (own === 'reference' && target === 'coordinator') {
      out.push(`${k.table}: foreign key ${k.name} points from the reference table ${k.table} to the coordinator table ${k.refTable}`);
    }
  }
  return out;
}
