// A tenant's limits this period: the quota and each feature limit in tokens, with its bar, whether
// checks deny at it (hard) or only alert (soft), the tokens held by open reservations, and any
// overage; beside them each feature limit in money ("$41.25 of $50 — 82.5%", in the tenant's
// currency) with what open reservations hold of it.
import type { ComponentChildren } from 'preact';
import { formatBudget, formatExact, formatMoney, formatMoneyExact, formatTokens } from '../format.ts';
import type { FeatureBudgetView, LimitView } from '../api/types.ts';
import { UsageBar } from './UsageBar.tsx';

const HARD = { true: 'Checks deny once it is reached', false: 'Counted and alerted, never denied' };

function Head({ name, mono, hard, children, title }: { name: string; mono: boolean; hard: boolean; title: string; children: ComponentChildren }) {
  return (
    <div class="limit__head">
      <strong class={mono ? 'mono' : undefined}>{name}</strong>
      <span class={`badge ${hard ? 'badge--hard' : 'badge--soft'}`} title={HARD[`${hard}`]}>{hard ? 'hard' : 'soft'}</span>
      <span class="muted limit__figures" title={title}>{children}</span>
    </div>
  );
}

export function LimitsCard({ limits, budgets = [], currency, tenant }: { limits: LimitView[]; budgets?: FeatureBudgetView[]; currency: string; tenant: string }) {
  return (
    <section class="card" aria-labelledby="limits-title" data-tenant={tenant}>
      <h2 id="limits-title">Limits</h2>
      <ul class="limits">
        {limits.map((l) => {
          const name = l.feature ?? 'Monthly quota';
          return (
            <li key={l.feature ?? ''} class="limit" data-limit={l.feature ?? ''} data-unit="tokens" data-hard={String(l.hard)}>
              <Head name={name} mono={!!l.feature} hard={l.hard} title={`${formatExact(l.used)} used of ${formatExact(l.limit)}`}>
                {formatTokens(l.used)} / {formatTokens(l.limit)}
                {l.reserved > 0 && <> · <span class="limit__reserved">{formatTokens(l.reserved)} reserved</span></>}
                {l.overage > 0 && <> · <span class="limit__overage">{formatTokens(l.overage)} over</span></>}
              </Head>
              <UsageBar percent={l.percent} label={`${name} usage`} />
            </li>
          );
        })}
        {budgets.map((b) => (
          <li key={`money:${b.feature}`} class="limit" data-limit={b.feature} data-unit="money" data-hard={String(b.hard)}>
            <Head name={b.feature} mono hard={b.hard} title={`${formatMoneyExact(b.used, currency)} used of ${formatMoneyExact(b.limit, currency)}, in ${currency}`}>
              <span data-testid="feature-budget">{formatBudget(b, currency)}</span>
              {Number(b.reserved) > 0 && <> · <span class="limit__reserved">{formatMoney(b.reserved, currency)} reserved</span></>}
            </Head>
            <UsageBar percent={b.percent} label={`${b.feature} budget`} of="budget" />
          </li>
        ))}
      </ul>
    </section>
  );
}
