// One tenant: live totals from the stream, and the details (features, chart, alerts) refetched
// when its usage moves, at most once a second.
import { useEffect, useState } from 'preact/hooks';
import { ApiError, fetchAlerts, fetchSeries, fetchTenant } from '../api.ts';
import { formatExact, formatPercent, formatPeriod, formatTokens, formatUntil, usageLevel } from '../format.ts';
import { useThrottled } from '../hooks.ts';
import { flagsHref } from '../router.ts';
import { connection, tenants } from '../state.ts';
import type { Alert, Bucket, TenantDetail, UsageSeries } from '../types.ts';
import { AlertList } from './AlertList.tsx';
import { FeatureTable } from './FeatureTable.tsx';
import { LimitsCard } from './LimitsCard.tsx';
import { EmptyState } from './States.tsx';
import { LevelBadge, UsageBar } from './UsageBar.tsx';
import { UsageChart } from './UsageChart.tsx';
import { TenantAdmin } from '../console/TenantAdmin.tsx';

interface Details { detail: TenantDetail; series: UsageSeries; alerts: Alert[] }
type Load = { state: 'loading' } | { state: 'ready'; data: Details } | { state: 'error'; error: ApiError };

function useDetails(slug: string, bucket: Bucket, version: string): [Load, () => void] {
  const [load, setLoad] = useState<Load>({ state: 'loading' });
  const [attempt, setAttempt] = useState(0);
  useEffect(() => {
    const ac = new AbortController();
    Promise.all([fetchTenant(slug, ac.signal), fetchSeries(slug, bucket, ac.signal), fetchAlerts(slug, ac.signal)])
      .then(([detail, series, alerts]) => setLoad({ state: 'ready', data: { detail, series, alerts } }))
      .catch((err: Error) => {
        if (ac.signal.aborted) return;
        // keep showing the last good data while live updates hiccup; the banner says we are offline
        setLoad((prev) => prev.state === 'ready' && (err as ApiError).status === 0 ? prev
          : { state: 'error', error: err instanceof ApiError ? err : new ApiError(0, 'unknown', err.message) });
      });
    return () => ac.abort();
  }, [slug, bucket, version, attempt]);
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
  const usage = tenants.value?.get(slug);
  const live = connection.value.state === 'live';
  // refetch when the usage moves or the stream comes back after a disconnection
  const version = useThrottled(`${usage?.totalTokens}|${usage?.eventCount}|${usage?.periodStart}|${live}`, 1000);
  const [load, retry] = useDetails(slug, bucket, version);

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
  const u = usage ?? (load.state === 'ready' ? load.data.detail : undefined);
  const level = u ? usageLevel(u.quotaPercent) : 'ok';
  return (
    <>
      {back}
      <div class="page__head">
        <h1 tabIndex={-1}>{u?.tenantName ?? slug}</h1>
        <span class="muted mono">{slug}</span>
        {u && <LevelBadge percent={u.quotaPercent} />}
        <a class="btn" href={flagsHref(slug)}>Feature flags</a>
      </div>
      {u && (
        <section class={`card summary summary--${level}`} aria-label="Usage this period" data-tenant={slug} data-level={level}>
          <div class="figures">
            <Figure label="Used this period" value={formatTokens(u.totalTokens)} sub={`of ${formatTokens(u.monthlyQuota)} tokens`}
              title={`${formatExact(u.totalTokens)} of ${formatExact(u.monthlyQuota)} tokens`} />
            <Figure label="Of quota" value={formatPercent(u.quotaPercent)} sub={`${formatTokens(Math.max(0, u.monthlyQuota - u.totalTokens))} left`} />
            <Figure label="Events" value={formatTokens(u.eventCount)} sub={u.eventCount ? 'this period' : 'none yet'} title={formatExact(u.eventCount)} />
            <Figure label="Billing period" value={formatPeriod(u.periodStart, u.periodEnd, u.timezone)} sub={`resets ${formatUntil(u.periodEnd)} · ${u.timezone}`} />
          </div>
          <UsageBar percent={u.quotaPercent} label={`${u.tenantName} usage`} large />
        </section>
      )}
      {load.state === 'ready' && load.data.detail.limits && <LimitsCard limits={load.data.detail.limits} tenant={slug} />}
      {load.state === 'error' && (
        <EmptyState tone="error" title="Could not load this tenant's details">
          {load.error.message} <button type="button" class="btn" onClick={retry}>Try again</button>
        </EmptyState>
      )}
      <section class="card" aria-labelledby="chart-title">
        <div class="card__head">
          <h2 id="chart-title">Usage over the billing period</h2>
          <div class="segmented" role="group" aria-label="Bucket size">
            {(['day', 'hour'] as const).map((b) => (
              <button key={b} type="button" aria-pressed={bucket === b} onClick={() => setBucket(b)}>{b === 'day' ? 'Per day' : 'Per hour'}</button>
            ))}
          </div>
        </div>
        {load.state === 'ready'
          ? <UsageChart series={load.data.series} />
          : load.state === 'loading' && <EmptyState tone="loading" title="Loading the chart…" />}
      </section>
      <div class="grid2">
        <section class="card" aria-labelledby="features-title">
          <h2 id="features-title">Features</h2>
          {load.state === 'ready' ? <FeatureTable features={load.data.detail.features} tenant={slug} /> : <EmptyState tone="loading" title="Loading…" />}
        </section>
        <section class="card" aria-labelledby="alerts-title">
          <h2 id="alerts-title">Recent alerts</h2>
          {load.state === 'ready' ? <AlertList alerts={load.data.alerts} /> : <EmptyState tone="loading" title="Loading…" />}
        </section>
      </div>
      <TenantAdmin slug={slug} />
    </>
  );
}
