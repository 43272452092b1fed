// Alerts of one tenant, newest first, with their Slack delivery state: a crossing of the quota or a
// feature's token limit in tokens ("400K of 500K"), one of the monthly budget or a feature's money
// limit in the tenant's currency ("monthly budget: $412.50 of $500 — 82.5%").
import { formatAgo, formatBudget, formatDateTime, formatPercent, formatTokens } from '../format.ts';
import type { Alert } from '../api/types.ts';
import { EmptyState } from './States.tsx';

/** What was crossed, and the figures on it when it was. */
function crossed(a: Alert) {
  if (a.unit === 'money') {
    const figures = formatBudget({ used: a.usedCost ?? '', limit: a.budget ?? '', percent: a.percent }, a.currency);
    return {
      what: null,
      figures: a.feature ? <>budget on <span class="mono">{a.feature}</span>: {figures}</> : <>monthly budget: {figures}</>,
    };
  }
  return {
    what: a.feature ? <> of the <span class="mono">{a.feature}</span> limit</> : null,
    figures: <>{formatTokens(a.usedTokens)} of {formatTokens(a.quota)} ({formatPercent(a.percent)})</>,
  };
}

const statusText: Record<Alert['status'], string> = {
  pending: 'Sending', delivered: 'Delivered', failed: 'Failed', skipped: 'No webhook',
};

export function AlertList({ alerts }: { alerts: Alert[] }) {
  if (alerts.length === 0) {
    return <EmptyState title="No alerts">An alert is posted to Slack when this tenant crosses 80% of its quota, its budget or a feature's limit in a period.</EmptyState>;
  }
  return (
    <ul class="alerts">
      {alerts.slice(0, 10).map((a) => {
        const c = crossed(a);
        return (
        <li key={a.id} class="alert" data-status={a.status} data-unit={a.unit} data-alert-feature={a.feature ?? ''}>
          <div class="alert__main">
            <strong>Crossed {a.threshold}%{c.what}</strong>
            <span class="muted" data-testid="alert-figures"> · {c.figures}</span>
            {a.lastError && a.status !== 'delivered' && <div class="alert__error">{a.lastError}</div>}
          </div>
          <div class="alert__meta">
            <span class={`badge badge--${a.status}`}>{statusText[a.status] ?? a.status}</span>
            <span class="muted" title={formatDateTime(a.createdAt)}>
              {formatAgo(a.deliveredAt ?? a.createdAt)}{a.attempts > 1 ? ` · ${a.attempts} attempts` : ''}
            </span>
          </div>
        </li>
        );
      })}
    </ul>
  );
}
