// Hash routes: #/ (overview), #/tenant/<slug>, #/tenant/<slug>/flags, and the console's pages
// (#/keys, #/people, #/audit, #/webhooks, #/account, #/flags, #/register/<invitation>). The server serves one
// index.html, nothing else.
import { signal } from '@preact/signals';

export type Page = 'keys' | 'people' | 'audit' | 'account' | 'flags' | 'webhooks';
export type Route =
  | { name: 'overview' }
  | { name: 'tenant'; slug: string }
  | { name: 'tenantFlags'; slug: string }
  | { name: Page }
  | { name: 'register'; invitation: string };

const PAGES: readonly string[] = ['keys', 'people', 'audit', 'account', 'flags', 'webhooks'];

export function parseHash(hash: string): Route {
  const m = /^#\/(tenant|register)\/([^/?#]+)(\/flags)?/.exec(hash);
  if (m) {
    try {
      const value = decodeURIComponent(m[2]!);
      if (m[1] === 'register') return { name: 'register', invitation: value };
      return { name: m[3] ? 'tenantFlags' : 'tenant', slug: value };
    } catch {
      // a malformed escape falls through to the overview
    }
  }
  const page = /^#\/([a-z]+)\/?$/.exec(hash)?.[1];
  if (page && PAGES.includes(page)) return { name: page as Page };
  return { name: 'overview' };
}

export const route = signal<Route>(parseHash(location.hash));
window.addEventListener('hashchange', () => { route.value = parseHash(location.hash); });

export const tenantHref = (slug: string) => `#/tenant/${encodeURIComponent(slug)}`;
export const flagsHref = (slug: string) => `#/tenant/${encodeURIComponent(slug)}/flags`;
