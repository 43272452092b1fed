// Per-feature usage of one tenant this period, largest first: tokens with their parts by kind
// (input, output, cached; the rest came without parts) and what they cost in the tenant's currency.
import { formatExact, formatMoney, formatMoneyExact, formatPercent, formatTokens } from '../format.ts';
import type { FeatureUsage } from '../api/types.ts';
import { EmptyState } from './States.tsx';

export function FeatureTable({ features, tenant, currency }: { features: FeatureUsage[]; tenant: string; currency: string }) {
  if (features.length === 0) {
    return (
      <EmptyState title="No events this period yet">
        Usage appears here as soon as events arrive, e.g.{' '}
        <code>{`POST /api/events {"tenant":"${tenant}","feature":"gpt-4o","inputTokens":120,"outputTokens":30}`}</code>
      </EmptyState>
    );
  }
  const part = (n: number, what: string) => <td class="num muted col-part" title={`${formatExact(n)} ${what} tokens`}>{n ? formatTokens(n) : '–'}</td>;
  return (
    <div class="scroll-x">
      <table class="ftable">
        <thead>
          <tr>
            <th scope="col">Feature</th><th scope="col">Share</th><th scope="col" class="num">Tokens</th>
            <th scope="col" class="num col-part">Input</th><th scope="col" class="num col-part">Output</th><th scope="col" class="num col-part">Cached</th>
            <th scope="col" class="num">Events</th><th scope="col" class="num">Cost</th>
          </tr>
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
              {part(f.inputTokens, 'input')}
              {part(f.outputTokens, 'output')}
              {part(f.cachedTokens, 'cached')}
              <td class="num" title={formatExact(f.eventCount)}>{formatTokens(f.eventCount)}</td>
              <td class="num" data-testid="cost" title={formatMoneyExact(f.cost, currency)}>{formatMoney(f.cost, currency)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
