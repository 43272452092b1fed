// One tenant: live totals from the stream, and the details (features, chart, alerts, top users)
// refetched when its usage moves, at most once a second. The period picker shows a past period
// instead: its statement and its chart from the query API. Money beside the tokens everywhere: the
// period's cost, the budget this period (when the tenant has one), the statement's charges, and its
// printable page.
import { useEffect, useState } from 'preact/hooks';
import { ApiError } from '../api/http.ts';
import { fetchAlerts, fetchSeries, fetchTenant } from '../api/usage.ts';
import { formatExact, formatMoney, formatMoneyExact, formatPercent, formatPeriod, formatTokens, formatUntil, usageLevel } from '../format.ts';
import { useThrottled } from '../hooks.ts';
import { flagsHref } from '../router.ts';
import { connection, tenants } from '../state.ts';
import { fetchPeriods, fetchPeriodSeries, fetchStatement, queryPath, statementPath } from '../api/reporting.ts';
import type { Alert, Bucket, BudgetUse, FeatureBudgetView, FeatureUsage, LimitView, Period, Statement, UsageSeries } from '../api/types.ts';
import { AlertList } from '../ui/AlertList.tsx';
import { BudgetCard } from '../ui/BudgetCard.tsx';
import { DownloadCsv, OpenPage } from '../ui/DownloadCsv.tsx';
import { PeriodPicker } from '../ui/PeriodPicker.tsx';
import { TopUsers } from '../ui/TopUsers.tsx';
import { FeatureTable } from '../ui/FeatureTable.tsx';
import { LimitsCard } from '../ui/LimitsCard.tsx';
import { StatementLines } from '../ui/StatementLines.tsx';
import { EmptyState } from '../ui/States.tsx';
import { LevelBadge, UsageBar } from '../ui/UsageBar.tsx';
import { UsageChart } from '../ui/UsageChart.tsx';
import { TenantAdmin } from '../ui/TenantAdmin.tsx';

/** series: an ApiError when the query API cannot draw this bucket exactly for a past period (it says why). */
// limits and budget: the current period's only (a past statement has none: the cards show what applies now)
interface Details { detail: { features: FeatureUsage[]; limits?: LimitView[] | undefined; featureBudgets?: FeatureBudgetView[] | undefined; budget?: BudgetUse | undefined }; series: UsageSeries | ApiError; alerts: Alert[]; periods: Period[]; statement: Statement }
type Load = { state: 'loading' } | { state: 'ready'; data: Details } | { state: 'error'; error: ApiError };

const asApiError = (err: Error) => (err instanceof ApiError ? err : new ApiError(0, 'unknown', err.message));

/** The current period (period undefined): live reads plus its statement; a past one: its statement and the query API. */
async function loadDetails(slug: string, bucket: Bucket, period: string | undefined, signal: AbortSignal): Promise<Details> {
  if (period) {
    const [statement, periods] = await Promise.all([fetchStatement(slug, period, signal), fetchPeriods(slug, signal)]);
    const series = await fetchPeriodSeries(statement, bucket, signal).catch((err: Error) => {
      if (err.name === 'AbortError') throw err;
      return asApiError(err);
    });
    return { detail: statement, series, alerts: statement.alerts as Alert[], periods: periods.periods, statement };
  }
  const [detail, series, alerts, periods] = await Promise.all([fetchTenant(slug, signal), fetchSeries(slug, bucket, signal), fetchAlerts(slug, signal), fetchPeriods(slug, signal)]);
  const statement = await fetchStatement(slug, detail.periodStart, signal);
  return { detail, series, alerts, periods: periods.periods, statement };
}

function useDetails(slug: string, bucket: Bucket, version: string, period: string | undefined): [Load, () => void] {
  const [load, setLoad] = useState<Load>({ state: 'loading' });
  const [attempt, setAttempt] = useState(0);
  useEffect(() => {
    const ac = new AbortController();
    loadDetails(slug, bucket, period, ac.signal)
      .then((data) => setLoad({ state: 'ready', data }))
      .catch((err: Error) => {
        if (ac.signal.aborted) return;
        // keep showing the last good data while live updates hiccup; the banner says we are offline
        setLoad((prev) => prev.state === 'ready' && (err as ApiError).status === 0 ? prev
          : { state: 'error', error: asApiError(err) });
      });
    return () => ac.abort();
  }, [slug, bucket, version, attempt, period]);
  return [load, () => setAttempt((n) => n + 1)];
}

function Figure({ label, value, sub, title }: { label: string; value: string; sub?: string; title?: string }) {
  return (
    <div class="figure" title={title}>
      <div class="figure__label">{label}</div>
      <div class="figure__value">{value}</div>
      {sub && <div class="figure__sub muted">{sub}</div>}
    </div>
  );
}

export function TenantView({ slug }: { slug: string }) {
  const [bucket, setBucket] = useState<Bucket>('day');
  const [period, setPeriod] = useState<string | undefined>(undefined);
  const usage = tenants.value?.get(slug);
  const live = connection.value.state === 'live';
  // refetch when the usage moves or the stream comes back after a disconnection
  // a settings change (quota, billing day, zone) redraws the chart as a usage change does
  const version = useThrottled(`${usage?.totalTokens}|${usage?.eventCount}|${usage?.periodStart}|${usage?.monthlyQuota}|${usage?.timezone}|${live}`, 1000);
  const [load, retry] = useDetails(slug, bucket, period ? period : version, period);
  const ready = load.state === 'ready' ? load.data : undefined;

  const back = <a class="back" href="#/">← All tenants</a>;
  if (tenants.value && !usage) {
    return (
      <>
        {back}
        <h1 tabIndex={-1}>Unknown tenant</h1>
        <EmptyState title={`There is no tenant “${slug}”.`}>Check the address, or go back to <a href="#/">all tenants</a>.</EmptyState>
      </>
    );
  }
  // a past period shows its statement's figures; the current one the live stream's
  const u = period ? ready?.statement : usage ?? ready?.statement;
  const level = u ? usageLevel(u.quotaPercent) : 'ok';
  // the budget applies to the current period: live from the stream, else as the details read it
  const budget = period ? undefined : usage ? usage.budget : ready?.detail.budget;
  return (
    <>
      {back}
      <div class="page__head">
        <h1 tabIndex={-1}>{u?.tenantName ?? slug}</h1>
        <span class="muted mono">{slug}</span>
        {u && <LevelBadge percent={u.quotaPercent} />}
        <a class="btn" href={flagsHref(slug)}>Feature flags</a>
      </div>
      {ready && u && (
        <div class="page__tools">
          <PeriodPicker periods={ready.periods} value={period} timezone={u.timezone} onChange={setPeriod} />
          <DownloadCsv path={`${statementPath(slug, ready.statement.periodStart)}?format=csv`} filename={`statement-${slug}.csv`}
            label="Download statement (CSV)" title="Totals, features, days and every end user of this period" />
          <OpenPage path={`${statementPath(slug, ready.statement.periodStart)}?format=html`} label="Printable statement"
            title="This period's charges per model and kind, the prices applied and the total, as a page to print or save as PDF" />
        </div>
      )}
      {u && (
        <section class={`card summary summary--${level}`} aria-label="Usage this period" data-tenant={slug} data-level={level}>
          <div class="figures">
            <Figure label={period ? 'Used in the period' : 'Used this period'} value={formatTokens(u.totalTokens)} sub={`of ${formatTokens(u.monthlyQuota)} tokens`}
              title={`${formatExact(u.totalTokens)} of ${formatExact(u.monthlyQuota)} tokens`} />
            <Figure label="Of quota" value={formatPercent(u.quotaPercent)} sub={`${formatTokens(Math.max(0, u.monthlyQuota - u.totalTokens))} left`} />
            <Figure label="Events" value={formatTokens(u.eventCount)} sub={u.eventCount ? 'this period' : 'none yet'} title={formatExact(u.eventCount)} />
            <Figure label="Cost" value={formatMoney(u.totalCost, u.currency)} sub={`in ${u.currency}`} title={formatMoneyExact(u.totalCost, u.currency)} />
            <Figure label="Billing period" value={formatPeriod(u.periodStart, u.periodEnd, u.timezone)} sub={period ? `ended · ${u.timezone}` : `resets ${formatUntil(u.periodEnd)} · ${u.timezone}`} />
          </div>
          <UsageBar percent={u.quotaPercent} label={`${u.tenantName} usage`} large />
        </section>
      )}
      {budget && u && <BudgetCard budget={budget} currency={u.currency} tenant={slug} />}
      {ready?.detail.limits && u && <LimitsCard limits={ready.detail.limits} budgets={ready.detail.featureBudgets} currency={u.currency} tenant={slug} />}
      {load.state === 'error' && (
        <EmptyState tone="error" title="Could not load this tenant's details">
          {load.error.message} <button type="button" class="btn" onClick={retry}>Try again</button>
        </EmptyState>
      )}
      <section class="card" aria-labelledby="chart-title">
        <div class="card__head">
          <h2 id="chart-title">Usage over the billing period</h2>
          <div class="card__tools">
            <div class="segmented" role="group" aria-label="Bucket size">
              {(['day', 'hour'] as const).map((b) => (
                <button key={b} type="button" aria-pressed={bucket === b} onClick={() => setBucket(b)}>{b === 'day' ? 'Per day' : 'Per hour'}</button>
              ))}
            </div>
            {ready && (
              <DownloadCsv path={queryPath(slug, { window: bucket, from: ready.statement.periodStart, to: ready.statement.periodEnd, groupBy: 'feature' })}
                filename={`usage-${slug}-${bucket}.csv`} title={`Tokens per ${bucket} and feature over this period`} />
            )}
          </div>
        </div>
        {ready
          ? (ready.series instanceof ApiError
            ? <EmptyState title={`No ${bucket} chart for this period`}>{ready.series.message}</EmptyState>
            : <UsageChart series={ready.series} />)
          : load.state === 'loading' && <EmptyState tone="loading" title="Loading the chart…" />}
      </section>
      <section class="card" aria-labelledby="features-title">
        <h2 id="features-title">Features</h2>
        {ready && u ? <FeatureTable features={ready.detail.features} tenant={slug} currency={u.currency} /> : <EmptyState tone="loading" title="Loading…" />}
      </section>
      <section class="card" aria-labelledby="charges-title">
        <h2 id="charges-title">{period ? 'Charges in the period' : 'Charges this period'}</h2>
        {ready ? <StatementLines statement={ready.statement} /> : <EmptyState tone="loading" title="Loading…" />}
      </section>
      <div class="grid2">
        <section class="card" aria-labelledby="users-title">
          <h2 id="users-title">Top users</h2>
          {ready ? <TopUsers statement={ready.statement} /> : <EmptyState tone="loading" title="Loading…" />}
        </section>
        <section class="card" aria-labelledby="alerts-title">
          <h2 id="alerts-title">{period ? 'Alerts in this period' : 'Recent alerts'}</h2>
          {load.state === 'ready' ? <AlertList alerts={load.data.alerts} /> : <EmptyState tone="loading" title="Loading…" />}
        </section>
      </div>
      {/* a change of the limits shows in the limits card at once, not at the next usage change */}
      <TenantAdmin slug={slug} onLimitsSaved={retry} />
    </>
  );
}
