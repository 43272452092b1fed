// A tenant's money budget this period: "$412.50 of $500 — 82.5%" over a bar like the quota's,
// whether checks deny at it (hard) or only show it (soft), and what is left.
import { formatBudget, formatMoney, formatMoneyExact, moneyLeft } from '../format.ts';
import type { BudgetUse } from '../api/types.ts';
import { LevelBadge, UsageBar } from './UsageBar.tsx';

export function BudgetCard({ budget, currency, tenant }: { budget: NonNullable<BudgetUse>; currency: string; tenant: string }) {
  return (
    <section class="card budget" aria-labelledby="budget-title" data-tenant={tenant} data-hard={String(budget.hard)}>
      <div class="limit__head">
        <h2 id="budget-title">Budget this period</h2>
        <span class={`badge ${budget.hard ? 'badge--hard' : 'badge--soft'}`} title={budget.hard ? 'Checks deny what would pass it' : 'Shown, never enforced'}>{budget.hard ? 'hard' : 'soft'}</span>
        <LevelBadge percent={budget.percent} of="budget" />
        <span class="limit__figures" data-testid="budget" title={`${formatMoneyExact(budget.used, currency)} of ${formatMoneyExact(budget.limit, currency)}`}>
          {formatBudget(budget, currency)}
        </span>
      </div>
      <UsageBar percent={budget.percent} label={`${tenant} budget`} of="budget" large />
      <p class="muted budget__left">{formatMoney(moneyLeft(budget.limit, budget.used), currency)} left of the monthly budget, in {currency}</p>
    </section>
  );
}
