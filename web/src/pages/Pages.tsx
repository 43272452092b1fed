// The console's own pages by route; the flags page comes from its slot (slots.ts).
import type { Route } from '../router.ts';
import { EmptyState } from '../ui/States.tsx';
import { AccountPage } from './AccountPage.tsx';
import { AuditPage } from './AuditPage.tsx';
import { KeysPage } from './KeysPage.tsx';
import { can, me } from '../me.ts';
import { PeoplePage } from './PeoplePage.tsx';
import { WebhooksPage } from './WebhooksPage.tsx';
import { RegisterPage } from './RegisterPage.tsx';
import { flagsPage } from '../console/slots.ts';

/** The page for a console route, or undefined for the dashboard's own (overview, tenant, a tenant's flags). */
export function consolePage(r: Route) {
  if (r.name === 'register') return <RegisterPage invitation={r.invitation} />;
  if (r.name === 'overview' || r.name === 'tenant' || r.name === 'tenantFlags') return undefined;
  if (!me.value) return <EmptyState tone="loading" title="Loading…" />;
  const Flags = flagsPage.value;
  // read-only for a caller without flags (the page asks the server what it may write)
  if (r.name === 'flags' && Flags) return <Flags />;
  if (r.name === 'account') return <AccountPage />;
  if (!can('admin')) return <><div class="page__head"><h1 tabIndex={-1}>Not for you</h1></div><EmptyState title="This page needs the admin scope." /></>;
  if (r.name === 'keys') return <KeysPage />;
  if (r.name === 'people') return <PeoplePage />;
  if (r.name === 'audit') return <AuditPage />;
  if (r.name === 'webhooks') return <WebhooksPage />;
  return <><div class="page__head"><h1 tabIndex={-1}>Not here yet</h1></div><EmptyState title="This page does not exist on this server." /></>;
}
