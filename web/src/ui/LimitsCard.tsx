// A tenant's limits this period: the quota and each feature limit, with its bar, whether checks
// deny at it (hard) or only alert (soft), the tokens held by open reservations, and any overage.
import { formatExact, formatTokens } from '../format.ts';
import type { LimitView } from '../api/types.ts';
import { UsageBar } from './UsageBar.tsx';

export function LimitsCard({ limits, tenant }: { limits: LimitView[]; tenant: string }) {
  return (
    <section class="card" aria-labelledby="limits-title" data-tenant={tenant}>
      <h2 id="limits-title">Limits</h2>
      <ul class="limits">
        {limits.map((l) => {
          const name = l.feature ?? 'Monthly quota';
          return (
            <li key={l.feature ?? ''} class="limit" data-limit={l.feature ?? ''} data-hard={String(l.hard)}>
              <div class="limit__head">
                <strong class={l.feature ? 'mono' : undefined}>{name}</strong>
                <span class={`badge ${l.hard ? 'badge--hard' : 'badge--soft'}`} title={l.hard ? 'Checks deny once it is reached' : 'Counted and alerted, never denied'}>{l.hard ? 'hard' : 'soft'}</span>
                <span class="muted limit__figures" title={`${formatExact(l.used)} used of ${formatExact(l.limit)}`}>
                  {formatTokens(l.used)} / {formatTokens(l.limit)}
                  {l.reserved > 0 && <> · <span class="limit__reserved">{formatTokens(l.reserved)} reserved</span></>}
                  {l.overage > 0 && <> · <span class="limit__overage">{formatTokens(l.overage)} over</span></>}
                </span>
              </div>
              <UsageBar percent={l.percent} label={`${name} usage`} />
            </li>
          );
        })}
      </ul>
    </section>
  );
}
