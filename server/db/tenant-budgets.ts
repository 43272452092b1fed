// Every tenant's usage row (listUsage, from report.usage_current) with its money budget beside it,
// for GET /api/tenants and the usage stream, so the console's tenant table can show "$412.50 of
// $500 — 82%". The budget's percent is computed here from the row's own cost, in numeric, as the
// usage body computes it (db/usage.ts): the two answers agree to the hundredth.
import type { Pool } from './pool.ts';
import { listUsage, type Usage } from './tenants.ts';
import { moneyText } from './usage.ts';

/** A tenant's budget this period; the shape of the usage body's `budget`. */
export interface BudgetUse { limit: string; used: string; percent: number; hard: boolean }
export type UsageWithBudget = Usage & { budget: BudgetUse | null };

// only tenants that have a budget come back; the costs are the listed rows', passed in, so the
// period is not summed twice
const budgetsSql = `
select u.slug, ${moneyText('t.monthly_budget')} as "limit", round(100.0 * u.cost / t.monthly_budget, 2)::float8 as percent, t.budget_hard as hard
from unnest($1::text[], $2::numeric[]) as u(slug, cost)
join flagmeter.tenants t on t.slug = u.slug
where t.monthly_budget is not null`;

export async function listUsageWithBudgets(pool: Pool): Promise<UsageWithBudget[]> {
  const rows = await listUsage(pool);
  if (rows.length === 0) return [];
  const { rows: budgets } = await pool.query<{ slug: string; limit: string; percent: number; hard: boolean }>(
    budgetsSql, [rows.map((r) => r.tenant), rows.map((r) => r.totalCost)]);
  const bySlug = new Map(budgets.map((b) => [b.slug, b]));
  return rows.map((r) => {
    const b = bySlug.get(r.tenant);
    return { ...r, budget: b ? { limit: b.limit, used: r.totalCost, percent: b.percent, hard: b.hard } : null };
  });
}
