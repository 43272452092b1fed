// Per-feature usage of one tenant this period, largest first.
import { formatExact, formatPercent, formatTokens } from '../format.ts';
import type { FeatureUsage } from '../api/types.ts';
import { EmptyState } from './States.tsx';

export function FeatureTable({ features, tenant }: { features: FeatureUsage[]; tenant: string }) {
  if (features.length === 0) {
    return (
      <EmptyState title="No events this period yet">
        Usage appears here as soon as events arrive, e.g.{' '}
        <code>{`POST /api/events {"tenant":"${tenant}","feature":"gpt-4o","tokens":150}`}</code>
      </EmptyState>
    );
  }
  return (
    <table class="ftable">
      <thead>
        <tr><th scope="col">Feature</th><th scope="col">Share</th><th scope="col" class="num">Tokens</th><th scope="col" class="num">Events</th></tr>
      </thead>
      <tbody>
        {features.map((f) => (
          <tr key={f.feature} data-feature={f.feature}>
            <th scope="row" class="mono">{f.feature}</th>
            <td>
              <div class="share">
                <span class="share__bar" aria-hidden="true"><span style={{ width: `${Math.min(100, f.percent ?? 0)}%` }} /></span>
                <span class="share__pct">{formatPercent(f.percent ?? NaN)}</span>
              </div>
            </td>
            <td class="num" title={`${formatExact(f.tokens)} tokens`}>{formatTokens(f.tokens)}</td>
            <td class="num" title={formatExact(f.eventCount)}>{formatTokens(f.eventCount)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
