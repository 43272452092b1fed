// Every tenant's usage row (listUsage's, from report.usage_current) with its money budget beside it,
// in one statement, for GET /api/tenants and the usage stream, so the console's tenant table can
// show "$412.50 of $500 — 82.5%". The percent is computed as the usage body computes it
// (db/usage.ts), in numeric from the row's own cost, so the two answers agree to the hundredth.
import type { Pool } from './pool.ts';
import { toUsage, usageColumns, type Usage, type UsageRow } from './tenants.ts';
import { moneyText } from './usage.ts';

/** A tenant's budget this period; the shape of the usage body's `budget`. */
export interface BudgetUse { limit: string; used: string; percent: number; hard: boolean }
export type UsageWithBudget = Usage & { budget: BudgetUse | null };

const usageWithBudgetsSql = `
select u.*, ${moneyText('t.monthly_budget')} as budget_limit, round(100.0 * u.cost::numeric / t.monthly_budget, 2) as budget_percent, t.budget_hard
from (select ${usageColumns} from report.usage_current) u
join flagmeter.tenants t on t.slug = u.tenant
order by u.tenant`;

type Row = UsageRow & { budget_limit: string | null; budget_percent: number | null; budget_hard: boolean };

export async function listUsageWithBudgets(pool: Pool): Promise<UsageWithBudget[]> {
  const { rows } = await pool.query<Row>(usageWithBudgetsSql);
  return rows.map((r) => {
    const usage = toUsage(r);
    const budget = r.budget_limit === null ? null : { limit: r.budget_limit, used: usage.totalCost, percent: r.budget_percent!, hard: r.budget_hard };
    return { ...usage, budget };
  });
}
