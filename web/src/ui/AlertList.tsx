// Quota alerts of one tenant, newest first, with their Slack delivery state.
import { formatAgo, formatDateTime, formatPercent, formatTokens } from '../format.ts';
import type { Alert } from '../api/types.ts';
import { EmptyState } from './States.tsx';

const statusText: Record<Alert['status'], string> = {
  pending: 'Sending', delivered: 'Delivered', failed: 'Failed', skipped: 'No webhook',
};

export function AlertList({ alerts }: { alerts: Alert[] }) {
  if (alerts.length === 0) {
    return <EmptyState title="No alerts">An alert is posted to Slack when this tenant crosses 80% of its quota in a period.</EmptyState>;
  }
  return (
    <ul class="alerts">
      {alerts.slice(0, 10).map((a) => (
        <li key={a.id} class="alert" data-status={a.status}>
          <div class="alert__main">
            <strong>Crossed {a.threshold}%{a.feature ? <> of the <span class="mono">{a.feature}</span> limit</> : null}</strong>
            <span class="muted"> · {formatTokens(a.usedTokens)} of {formatTokens(a.quota)} ({formatPercent(a.percent)})</span>
            {a.lastError && a.status !== 'delivered' && <div class="alert__error">{a.lastError}</div>}
          </div>
          <div class="alert__meta">
            <span class={`badge badge--${a.status}`}>{statusText[a.status] ?? a.status}</span>
            <span class="muted" title={formatDateTime(a.createdAt)}>
              {formatAgo(a.deliveredAt ?? a.createdAt)}{a.attempts > 1 ? ` · ${a.attempts} attempts` : ''}
            </span>
          </div>
        </li>
      ))}
    </ul>
  );
}
