// Past one PostgreSQL, FlagMeter scales out with Citus, distributed by tenant (docs/scaling.md). That
// only works if every tenant table carries tenant_id in its primary key, in every unique key or index and
// in every foreign key to another tenant table, and if every other table is a deliberate reference or
// coordinator table. This reads the migrated schema's catalogs and fails on the first migration that
// breaks it, naming the table and the constraint; the second test proves each rule can fail.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { placements, shardViolations, type NotDistributed, type ShardRules } from '../helpers/shard-rules.ts';
import { createTestDb, type TestDb } from '../helpers/db.ts';

/**
 * The ONE list of tables that are not distributed by tenant_id, and why. Every other table in
 * FlagMeter's schemas must have a tenant_id column (and is then distributed by it); a new table that has
 * none fails until it is added here. `reference`: one copy on every node, so distributed tables can join
 * it and point foreign keys at it. `coordinator`: one copy on the coordinator (a Citus local table), for
 * tables only the coordinator reads, which no distributed table points at.
 */
const NOT_DISTRIBUTED: Record<string, NotDistributed> = {
  'flagmeter.tenants': { placement: 'reference', why: 'the tenants themselves: every tenant table points its tenant_id at it and queries join it (slug, quota, time zone, billing day); small' },
  'flagmeter.environments': { placement: 'reference', why: 'one list for the whole installation (dev, staging, prod); flags and flag_evaluations point at it' },
  'flagmeter.global_flags': { placement: 'reference', why: 'flags every tenant inherits: no tenant_id by definition, joined with each tenant\'s own flags when evaluating' },
  'flagmeter.global_segments': { placement: 'reference', why: 'segments every tenant may name: no tenant_id by definition, read with each tenant\'s own segments when its flags compile' },
  'flagmeter.prices': { placement: 'reference', why: 'the installation\'s price book: no tenant_id by definition, read by the insert trigger of every shard to price a batch; small, written by admins' },
  'flagmeter.api_keys': { placement: 'coordinator', why: 'tenant_id is null for global keys, and a request is authenticated by key_id before its tenant is known; few rows, read through a cache' },
  'flagmeter.people': { placement: 'coordinator', why: 'console users: tenant_id is null for operators, and sign-in looks a name up across all tenants (names are unique installation-wide)' },
  'flagmeter.invitations': { placement: 'coordinator', why: 'like people (an invitation becomes a person); tenant_id is null for an operator invitation' },
  'flagmeter.sessions': { placement: 'coordinator', why: 'people\'s sessions, found by token hash alone; no tenant_id (a person may be global)' },
  'flagmeter.audit_log': { placement: 'coordinator', why: 'who changed what, installation-wide (keys, people, tenants themselves); no tenant_id; append-only, admin traffic' },
  'flagmeter.webhook_endpoints': { placement: 'coordinator', why: 'tenant_id is null for installation endpoints, which hear every tenant; the worker alone reads it' },
  'flagmeter.webhook_events': { placement: 'coordinator', why: 'the webhook outbox, carrying the tenant slug (null for installation events); the worker alone drains it' },
  'flagmeter.webhook_deliveries': { placement: 'coordinator', why: 'one row per endpoint and outbox event: follows webhook_endpoints and webhook_events' },
  'flagmeter.user_rollup_watermark': { placement: 'coordinator', why: 'one row, the per-end-user fold\'s insertion watermark: a transaction id, which belongs to one server (on Citus it must become one per worker node: docs/scaling.md)' },
};

/** Schemas of other software in FlagMeter's database: pg-boss's queues and graphile-migrate's bookkeeping. */
const NOT_OURS = ['pgboss', 'graphile_migrate'];

const rules = (schemas: string[], notDistributed: Record<string, NotDistributed>): ShardRules =>
  ({ schemas, tenantColumn: 'tenant_id', tenantType: 'bigint', notDistributed });

let db: TestDb;
let scratch: TestDb;
beforeAll(async () => { [db, scratch] = await Promise.all([createTestDb(), createTestDb({ migrated: false })]); });
afterAll(async () => { await Promise.all([db.drop(), scratch.drop()]); });

/** Every schema but PostgreSQL's own and other software's: a schema FlagMeter adds later is read too. */
async function ourSchemas(): Promise<string[]> {
  const { rows } = await db.pool.query<{ name: string }>(
    `select nspname as name from pg_namespace
     where nspname not like 'pg\\_%' and nspname <> 'information_schema' and nspname <> all($1::text[])
     order by 1`, [NOT_OURS]);
  return rows.map((r) => r.name);
}

test('every table of the migrated schema is distributed by tenant_id, or a listed reference or coordinator table', async () => {
  const schemas = await ourSchemas();
  expect(schemas).toEqual(expect.arrayContaining(['flagmeter', 'report']));
  const client = await db.pool.connect();
  try {
    expect(await shardViolations(client, rules(schemas, NOT_DISTRIBUTED))).toEqual([]);
  } finally {
    client.release();
  }
});

test('docs/scaling.md places every table as the schema does', async () => {
  const doc = readFileSync(new URL('../../docs/scaling.md', import.meta.url), 'utf8');
  // the rows of its placement table: | `schema.table` | distributed/reference/coordinator | why |
  const documented = Object.fromEntries([...doc.matchAll(/^\| `(\w+\.\w+)` \| (distributed|reference|coordinator) \|/gm)]
    .map((m) => [m[1], m[2]]));
  const client = await db.pool.connect();
  try {
    const actual = Object.fromEntries(await placements(client, rules(await ourSchemas(), NOT_DISTRIBUTED)));
    expect(Object.keys(actual).length).toBeGreaterThan(20);
    expect(documented).toEqual(actual);
  } finally {
    client.release();
  }
});

test('the checker names each broken table and constraint (a scratch schema made to break every rule)', async () => {
  const client = await scratch.pool.connect();
  try {
    await client.query(`
      create schema s;
      create table s.tenants (id bigint primary key);
      create table s.orgs (id bigint primary key, tenant_id bigint references s.tenants(id));    -- a reference table with tenant_id
      create table s.loose (x int);                                                              -- neither tenant nor listed
      create table s.local_only (id bigint primary key);                                         -- coordinator
      create table s.good (
        tenant_id bigint not null references s.tenants(id), id bigint, code text,
        primary key (tenant_id, id), unique (tenant_id, code));
      create table s.orders (
        tenant_id bigint not null references s.tenants(id),
        id bigint primary key,                                                                   -- no tenant_id
        code text constraint orders_code_key unique,                                             -- no tenant_id
        local_id bigint references s.local_only(id));                                            -- distributed -> coordinator
      create unique index orders_lower_code on s.orders (lower(code)) include (tenant_id);      -- an included column is not a key
      create table s.lines (
        tenant_id bigint,                                                                        -- nullable
        order_id bigint constraint lines_order_fkey references s.orders(id),                      -- no tenant pairing
        good_tenant bigint, good_id bigint,
        constraint lines_good_fkey foreign key (good_tenant, good_id) references s.good(tenant_id, id)); -- pairs the wrong column
      create table s.counts (tenant_id int not null, n int);                                     -- not bigint
      create table s.plans (
        id bigint primary key, good_tenant bigint, good_id bigint, local_id bigint references s.local_only(id),
        constraint plans_good_fkey foreign key (good_tenant, good_id) references s.good(tenant_id, id));
      create table s.parted (tenant_id bigint not null, at date not null, id bigint, primary key (tenant_id, at, id))
        partition by range (at);
      create table s.parted_2026 partition of s.parted for values from ('2026-01-01') to ('2027-01-01');`);
    const listed: Record<string, NotDistributed> = {
      's.tenants': { placement: 'reference', why: 'test' },
      's.orgs': { placement: 'reference', why: 'a listed table may carry tenant_id' },
      's.plans': { placement: 'reference', why: 'test' },
      's.local_only': { placement: 'coordinator', why: 'test' },
      's.gone': { placement: 'reference', why: 'a table that no longer exists' },
    };
    expect((await shardViolations(client, rules(['s'], listed))).sort()).toEqual([
      's.counts.tenant_id is integer, not bigint: it cannot be colocated with the other tenant tables',
      's.gone is in the list of tables not distributed by tenant_id but does not exist: remove it from the list',
      's.lines.tenant_id is nullable: a distributed table\'s tenant_id must be not null',
      's.lines: foreign key lines_good_fkey to s.good does not pair tenant_id with s.good.tenant_id',
      's.lines: foreign key lines_order_fkey to s.orders does not pair tenant_id with s.orders.tenant_id',
      's.loose has no tenant_id column and is not in the list of reference/coordinator tables: add tenant_id (distributed by tenant) or list it with why',
      's.orders: foreign key orders_local_id_fkey points from a distributed table to the coordinator table s.local_only: make s.local_only a reference table',
      's.orders: primary key orders_pkey does not include tenant_id',
      's.orders: unique index orders_lower_code does not include tenant_id',
      's.orders: unique key orders_code_key does not include tenant_id',
      's.plans: foreign key plans_good_fkey points from the reference table s.plans to the distributed table s.good',
      's.plans: foreign key plans_local_id_fkey points from the reference table s.plans to the coordinator table s.local_only',
    ]);
  } finally {
    client.release();
  }
});
