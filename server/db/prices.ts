// The price book's SQL: the installation's rows, a tenant's overrides and currency (docs/cost.md).
// Prices and effective_to are read through report.prices, the view analysts see; money leaves
// PostgreSQL as text (trim_scale: "2.5", never a float).
import type pg from 'pg';
import type { Pool } from './pool.ts';
import { isoUtc } from './alerts.ts';

export interface PriceRow { model: string; currency: string | null; effectiveFrom: Date; input: string; output: string; cached: string; plain: string }

const rowJson = (p: string) => `json_build_object('model', ${p}.model, 'currency', ${p}.currency, 'effectiveFrom', ${isoUtc(`${p}.effective_from`)},
  'effectiveTo', case when ${p}.effective_to is not null then ${isoUtc(`${p}.effective_to`)} end,
  'input', trim_scale(${p}.input)::text, 'output', trim_scale(${p}.output)::text, 'cached', trim_scale(${p}.cached)::text, 'plain', trim_scale(${p}.plain)::text)`;

export async function installationPrices(db: Pool | pg.ClientBase): Promise<unknown[]> {
  const { rows: [r] } = await db.query(`
    select coalesce(json_agg(${rowJson('p')} order by p.model, p.currency, p.effective_from), '[]') as prices
    from report.prices p where p.tenant is null`);
  return r.prices;
}

const values = (rows: PriceRow[]) => [rows.map((r) => r.model), rows.map((r) => r.effectiveFrom), rows.map((r) => r.input),
  rows.map((r) => r.output), rows.map((r) => r.cached), rows.map((r) => r.plain)];

/** Adds (or replaces, at the same model, currency and instant) installation rows. */
export async function upsertInstallationPrices(client: pg.ClientBase, rows: PriceRow[]): Promise<void> {
  await client.query(`
    insert into flagmeter.prices as p (model, effective_from, input, output, cached, plain, currency)
    select * from unnest($1::text[], $2::timestamptz[], $3::numeric[], $4::numeric[], $5::numeric[], $6::numeric[], $7::text[])
    order by 1, 7, 2
    on conflict (model, currency, effective_from) do update
      set input = excluded.input, output = excluded.output, cached = excluded.cached, plain = excluded.plain, created_at = now()`,
  [...values(rows), rows.map((r) => r.currency ?? 'USD')]);
}

/** Adds (or replaces) a tenant's overrides. */
export async function upsertTenantPrices(client: pg.ClientBase, tenantId: number, rows: PriceRow[]): Promise<void> {
  await client.query(`
    insert into flagmeter.tenant_prices as p (tenant_id, model, effective_from, input, output, cached, plain)
    select $7::bigint, * from unnest($1::text[], $2::timestamptz[], $3::numeric[], $4::numeric[], $5::numeric[], $6::numeric[])
    order by 1, 2
    on conflict (tenant_id, model, effective_from) do update
      set input = excluded.input, output = excluded.output, cached = excluded.cached, plain = excluded.plain, created_at = now()`,
  [...values(rows), tenantId]);
}

/** The tenant's currency, its overrides and, per model it has a price for, the one in force now; undefined: no such tenant. */
export async function tenantPrices(db: Pool | pg.ClientBase, slug: string): Promise<{ tenant: string; currency: string; overrides: unknown[]; inForce: unknown[] } | undefined> {
  const { rows: [r] } = await db.query(`
    with t as (select id, slug, currency from flagmeter.tenants where slug = $1::text),
    models as (
      select p.model from t join flagmeter.prices p on p.currency = t.currency
      union
      select tp.model from t join flagmeter.tenant_prices tp on tp.tenant_id = t.id
    ), now_rows as (
      select m.model, f.currency, f.effective_from, f.source, f.input, f.output, f.cached, f.plain,
        (select min(x.effective_from) from report.prices x
         where x.model = m.model and x.effective_from > f.effective_from
           and case when f.source = 'tenant' then x.tenant = t.slug else x.tenant is null and x.currency = t.currency end) as effective_to
      from t cross join models m cross join lateral flagmeter.price_in_force(t.id, m.model, now()) f
    )
    select t.slug as tenant, t.currency,
      (select coalesce(json_agg(${rowJson('o')} order by o.model, o.effective_from), '[]') from report.prices o where o.tenant = t.slug) as overrides,
      (select coalesce(json_agg((${rowJson('n')}::jsonb || jsonb_build_object('source', n.source)) order by n.model), '[]') from now_rows n) as "inForce"
    from t`, [slug]);
  return r;
}

/** Sets the tenant's currency if it has no usage yet: 'unknown', 'has_usage' or 'ok'. */
export async function setCurrency(client: pg.ClientBase, slug: string, currency: string): Promise<'unknown' | 'has_usage' | 'ok'> {
  const { rows: [r] } = await client.query<{ id: number; used: boolean }>(`
    select t.id, exists (select 1 from flagmeter.rollups_daily d where d.tenant_id = t.id) as used
    from flagmeter.tenants t where t.slug = $1::text for update`, [slug]);
  if (!r) return 'unknown';
  if (r.used) return 'has_usage';
  await client.query('update flagmeter.tenants set currency = $2::text, updated_at = now() where id = $1::bigint', [r.id, currency]);
  return 'ok';
}

export interface Budget { tenant: string; currency: string; monthlyBudget: string | null; hard: boolean }

const budgetSql = `select slug as tenant, currency, trim_scale(monthly_budget)::text as "monthlyBudget", budget_hard as hard from flagmeter.tenants`;

export async function tenantBudget(db: Pool | pg.ClientBase, slug: string): Promise<Budget | undefined> {
  const { rows: [r] } = await db.query<Budget>(`${budgetSql} where slug = $1::text`, [slug]);
  return r;
}

/** Sets (or, with null, removes) the tenant's monthly budget; undefined: no such tenant. */
export async function setBudget(client: pg.ClientBase, slug: string, budget: string | null, hard: boolean): Promise<Budget | undefined> {
  const { rows: [r] } = await client.query<Budget>(`
    update flagmeter.tenants set monthly_budget = $2::numeric, budget_hard = $3::boolean and $2::numeric is not null, updated_at = now()
    where slug = $1::text
    returning slug as tenant, currency, trim_scale(monthly_budget)::text as "monthlyBudget", budget_hard as hard`, [slug, budget, hard]);
  return r;
}

export async function tenantCurrency(db: Pool | pg.ClientBase, slug: string): Promise<string | undefined> {
  const { rows: [r] } = await db.query<{ currency: string }>('select currency from flagmeter.tenants where slug = $1::text', [slug]);
  return r?.currency;
}
