// The console's Flags entry (#/flags): a tenant-bound caller goes straight to its tenant's flags;
// everyone else picks the tenant whose flags to manage (global flags show on every tenant's page).
import { compareNames } from '../format.ts';
import { me } from '../me.ts';
import { flagsHref } from '../router.ts';
import { tenantList } from '../state.ts';
import { EmptyState } from '../ui/States.tsx';
import { FlagsPage } from './FlagsPage.tsx';

export function FlagsHome() {
  const bound = me.value?.tenant;
  if (bound) return <FlagsPage tenant={bound} />;
  const list = [...(tenantList.value ?? [])].sort((a, b) => compareNames(a.tenantName, b.tenantName));
  return (
    <>
      <div class="page__head"><h1 tabIndex={-1}>Feature flags</h1></div>
      <section class="card">
        <h2>Choose a tenant</h2>
        {list.length === 0
          ? <EmptyState title="No tenants yet">Create a tenant first; its flags are managed here.</EmptyState>
          : <ul class="flags-home">{list.map((t) => <li key={t.tenant}><a href={flagsHref(t.tenant)}>{t.tenantName}</a> <code class="muted">{t.tenant}</code></li>)}</ul>}
      </section>
    </>
  );
}
