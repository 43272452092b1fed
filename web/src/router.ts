// Hash routes: #/ (overview), #/tenant/<slug>, and the console's pages (#/keys, #/people, #/audit,
// #/account, #/flags, #/register/<invitation>). The server serves one index.html, nothing else.
import { signal } from '@preact/signals';

export type Page = 'keys' | 'people' | 'audit' | 'account' | 'flags';
export type Route =
  | { name: 'overview' }
  | { name: 'tenant'; slug: string }
  | { name: Page }
  | { name: 'register'; invitation: string };

const PAGES: readonly string[] = ['keys', 'people', 'audit', 'account', 'flags'];

export function parseHash(hash: string): Route {
  const m = /^#\/(tenant|register)\/([^/?#]+)/.exec(hash);
  if (m) {
    try {
      const value = decodeURIComponent(m[2]!);
      return m[1] === 'tenant' ? { name: 'tenant', slug: value } : { name: 'register', invitation: value };
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
