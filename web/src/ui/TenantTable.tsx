// The overview's table: one row per tenant, sortable by name or usage. On a phone the rows
// become stacked cards (CSS); the tenant name stays the link, so every row is keyboard reachable.
// Spend: the period's cost in the tenant's currency, and with a money budget "$412.50 of $500 — 82.5%"
// over a bar like the tokens'.
import { formatBudget, formatExact, formatMoney, formatMoneyExact, formatPercent, formatPeriod, formatTokens, formatUntil, usageLevel } from '../format.ts';
import { tenantHref } from '../router.ts';
import type { TenantUsage } from '../api/types.ts';
import { LevelBadge, UsageBar } from './UsageBar.tsx';

export interface Sort { key: 'name' | 'usage'; dir: 'asc' | 'desc' }

function SortHeader({ label, col, sort, onSort }: { label: string; col: Sort['key']; sort: Sort; onSort: (s: Sort) => void }) {
  const active = sort.key === col;
  const next: Sort = { key: col, dir: active ? (sort.dir === 'asc' ? 'desc' : 'asc') : col === 'usage' ? 'desc' : 'asc' };
  return (
    <th scope="col" aria-sort={active ? (sort.dir === 'asc' ? 'ascending' : 'descending') : 'none'}>
      <button type="button" class="sort" onClick={() => onSort(next)}>
        {label}
        <span class="sort__icon" aria-hidden="true">{active ? (sort.dir === 'asc' ? '▲' : '▼') : '↕'}</span>
      </button>
    </th>
  );
}

function Row({ t }: { t: TenantUsage }) {
  const level = usageLevel(t.quotaPercent);
  return (
    <tr class={`trow trow--${level}`} data-tenant={t.tenant} data-level={level}
      onClick={(e) => { if (!(e.target as HTMLElement).closest('a')) location.hash = tenantHref(t.tenant); }}>
      <th scope="row" class="trow__name">
        <a href={tenantHref(t.tenant)}>{t.tenantName}</a>
        <span class="trow__sub"><span class="muted mono">{t.tenant}</span><LevelBadge percent={t.quotaPercent} /></span>
      </th>
      <td>
        <div class="usage">
          <UsageBar percent={t.quotaPercent} label={`${t.tenantName} usage`} />
          <span class={`pct pct--${level}`} data-testid="percent">{formatPercent(t.quotaPercent)}</span>
        </div>
      </td>
      <td class="trow__tokens num" title={`${formatExact(t.totalTokens)} of ${formatExact(t.monthlyQuota)} tokens`}>
        <span data-testid="tokens">{formatTokens(t.totalTokens)}</span>
        <span class="muted"> / {formatTokens(t.monthlyQuota)}</span>
      </td>
      <td class="trow__spend" data-testid="spend">
        {t.budget ? (
          <div class="spend" title={`${formatMoneyExact(t.budget.used, t.currency)} of ${formatMoneyExact(t.budget.limit, t.currency)} (${t.budget.hard ? 'hard' : 'soft'} budget)`}>
            <span class="spend__text" data-testid="budget">{formatBudget(t.budget, t.currency)}</span>
            <UsageBar percent={t.budget.percent} label={`${t.tenantName} budget`} of="budget" />
          </div>
        ) : (
          <span class="spend__text" data-testid="cost" title={formatMoneyExact(t.totalCost, t.currency)}>{formatMoney(t.totalCost, t.currency)}</span>
        )}
      </td>
      <td class="trow__period">
        <span>{formatPeriod(t.periodStart, t.periodEnd, t.timezone)}</span>
        <span class="muted">resets {formatUntil(t.periodEnd)}</span>
      </td>
    </tr>
  );
}

export function TenantTable({ rows, sort, onSort }: { rows: TenantUsage[]; sort: Sort; onSort: (s: Sort) => void }) {
  return (
    <table class="ttable">
      <thead>
        <tr>
          <SortHeader label="Tenant" col="name" sort={sort} onSort={onSort} />
          <SortHeader label="Usage" col="usage" sort={sort} onSort={onSort} />
          <th scope="col" class="num">Tokens</th>
          <th scope="col">Spend</th>
          <th scope="col">Billing period</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((t) => <Row key={t.tenant} t={t} />)}
      </tbody>
    </table>
  );
}
