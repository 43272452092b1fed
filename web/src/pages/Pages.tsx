// The page for each route: the dashboard's (overview, a tenant, its flags) and the console's.
import type { Route } from '../router.ts';
import { EmptyState } from '../ui/States.tsx';
import { AccountPage } from './AccountPage.tsx';
import { AuditPage } from './AuditPage.tsx';
import { KeysPage } from './KeysPage.tsx';
import { can, me } from '../me.ts';
import { PeoplePage } from './PeoplePage.tsx';
import { WebhooksPage } from './WebhooksPage.tsx';
import { RegisterPage } from './RegisterPage.tsx';
import { FlagsHome } from './FlagsHome.tsx';
import { FlagsPage } from './FlagsPage.tsx';
import { Overview } from './Overview.tsx';
import { PlaygroundPage } from './PlaygroundPage.tsx';
import { SegmentsPage } from './SegmentsPage.tsx';
import { TenantView } from './TenantView.tsx';

/** `id` keys a tenant's pages, so moving to another tenant starts the page afresh. */
export function PageFor({ r, id }: { r: Route; id: string }) {
  if (r.name === 'register') return <RegisterPage invitation={r.invitation} />;
  if (r.name === 'overview') return <Overview />;
  if (r.name === 'tenant') return <TenantView key={id} slug={r.slug} />;
  if (r.name === 'tenantFlags') return <FlagsPage key={id} tenant={r.slug} />;
  if (r.name === 'tenantSegments') return <SegmentsPage key={id} tenant={r.slug} />;
  if (r.name === 'tenantPlayground') return <PlaygroundPage key={id} tenant={r.slug} />;
  if (!me.value) return <EmptyState tone="loading" title="Loading…" />;
  // read-only for a caller without flags (the page asks the server what it may write)
  if (r.name === 'flags') return <FlagsHome />;
  if (r.name === 'account') return <AccountPage />;
  if (!can('admin')) return <><div class="page__head"><h1 tabIndex={-1}>Not for you</h1></div><EmptyState title="This page needs the admin scope." /></>;
  if (r.name === 'keys') return <KeysPage />;
  if (r.name === 'people') return <PeoplePage />;
  if (r.name === 'audit') return <AuditPage />;
  if (r.name === 'webhooks') return <WebhooksPage />;
  return <><div class="page__head"><h1 tabIndex={-1}>Not here yet</h1></div><EmptyState title="This page does not exist on this server." /></>;
}
