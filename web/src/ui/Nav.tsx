// The console's sections, each shown only to who may use it: tenants for every reader; keys,
// people, webhooks and the audit log for admins; flags for callers with the flags scope (or admin); one's own
// account for a signed-in person.
import './console.css';
import { route } from '../router.ts';
import { can, me } from '../me.ts';

export function Nav() {
  const who = me.value;
  if (!who) return null;
  const r = route.value.name;
  const items: [string, string, boolean][] = [
    ['#/', 'Tenants', r === 'overview' || r === 'tenant'],
    ...(can('flags') ? [['#/flags', 'Flags', r === 'flags'] as [string, string, boolean]] : []),
    ...(can('admin') ? [['#/keys', 'API keys', r === 'keys'], ['#/people', 'People', r === 'people'], ['#/webhooks', 'Webhooks', r === 'webhooks'], ['#/audit', 'Audit log', r === 'audit']] as [string, string, boolean][] : []),
    ...(who.kind === 'person' ? [['#/account', 'Account', r === 'account'] as [string, string, boolean]] : []),
  ];
  return (
    <nav class="nav" aria-label="Console">
      <ul>
        {items.map(([href, label, current]) => (
          <li key={href}><a href={href} aria-current={current ? 'page' : undefined}>{label}</a></li>
        ))}
      </ul>
    </nav>
  );
}
