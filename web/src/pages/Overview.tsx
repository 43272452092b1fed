// Every tenant's usage this period: totals, a search box and the sortable table.
import { computed, signal } from '@preact/signals';
import { compareNames, formatTokens, usageLevel } from '../format.ts';
import { clock } from '../hooks.ts';
import { connection, lastUpdate, tenantList } from '../state.ts';
import { EmptyState } from '../ui/States.tsx';
import { NewTenant } from '../ui/NewTenant.tsx';
import { TenantTable, type Sort } from '../ui/TenantTable.tsx';

// module-level, so the search and the order survive a visit to a tenant and back
const query = signal('');
const sort = signal<Sort>({ key: 'usage', dir: 'desc' });

const summary = computed(() => {
  const list = tenantList.value ?? [];
  let warning = 0, over = 0, tokens = 0;
  for (const t of list) {
    const level = usageLevel(t.quotaPercent);
    // a tenant over quota is over 80% too: the cards count "at least", so they never disagree
    if (level !== 'ok') warning++;
    if (level === 'over') over++;
    tokens += t.totalTokens;
  }
  return { count: list.length, warning, over, tokens };
});

const visible = computed(() => {
  const q = query.value.trim().toLowerCase();
  const list = (tenantList.value ?? []).filter((t) => !q || t.tenant.includes(q) || t.tenantName.toLowerCase().includes(q));
  const { key, dir } = sort.value;
  const sign = dir === 'asc' ? 1 : -1;
  return list.sort((a, b) => key === 'usage'
    ? sign * (a.quotaPercent - b.quotaPercent) || compareNames(a.tenantName, b.tenantName)
    : sign * compareNames(a.tenantName, b.tenantName));
});

function Updated() {
  const at = lastUpdate.value;
  if (!at) return null;
  const s = Math.max(0, Math.round((clock.value - at) / 1000));
  return <span class="muted">Updated {s < 2 ? 'just now' : `${s}s ago`}</span>;
}

function Stat({ label, value, tone }: { label: string; value: string; tone?: 'warning' | 'over' }) {
  return (
    <div class={`stat${tone ? ` stat--${tone}` : ''}`}>
      <div class="stat__value">{value}</div>
      <div class="stat__label">{label}</div>
    </div>
  );
}

export function Overview() {
  const list = tenantList.value;
  const head = (
    <div class="page__head">
      <h1 tabIndex={-1}>Tenants</h1>
      <Updated />
      <NewTenant />
    </div>
  );
  if (!list) {
    return (
      <>
        {head}
        {connection.value.state === 'disconnected'
          ? <EmptyState tone="error" title="Cannot reach the FlagMeter API">The dashboard keeps trying; check that the server is running.</EmptyState>
          : connection.value.state === 'locked'
            ? <EmptyState title="An API key is needed to see the tenants" />
            : <EmptyState tone="loading" title="Loading tenants…" />}
      </>
    );
  }
  if (list.length === 0) {
    return (
      <>
        {head}
        <EmptyState title="No tenants yet">
          Tenants appear here as soon as they exist in <code>flagmeter.tenants</code>; their usage follows the events posted to <code>POST /api/events</code>.
        </EmptyState>
      </>
    );
  }
  const s = summary.value;
  const rows = visible.value;
  return (
    <>
      {head}
      <section class="stats" aria-label="Summary">
        <Stat label="Tenants" value={String(s.count)} />
        <Stat label="At or over 80% of quota" value={String(s.warning)} tone={s.warning ? 'warning' : undefined} />
        <Stat label="Over quota" value={String(s.over)} tone={s.over ? 'over' : undefined} />
        <Stat label="Tokens this period" value={formatTokens(s.tokens)} />
      </section>
      <section class="card">
        <div class="toolbar">
          <label class="search">
            <span class="sr-only">Search tenants</span>
            <svg viewBox="0 0 20 20" aria-hidden="true"><path d="M8.5 3a5.5 5.5 0 1 0 3.4 9.8l3.6 3.7 1.1-1.1-3.7-3.6A5.5 5.5 0 0 0 8.5 3zm0 1.5a4 4 0 1 1 0 8 4 4 0 0 1 0-8z" /></svg>
            <input type="search" placeholder="Search tenants" value={query.value}
              onInput={(e) => { query.value = (e.target as HTMLInputElement).value; }} />
          </label>
          <span class="muted" aria-live="polite">{rows.length === list.length ? `${list.length} tenants` : `${rows.length} of ${list.length} tenants`}</span>
        </div>
        {rows.length === 0
          ? <EmptyState title={`No tenant matches “${query.value}”`} />
          : <TenantTable rows={rows} sort={sort.value} onSort={(next) => { sort.value = next; }} />}
      </section>
    </>
  );
}
