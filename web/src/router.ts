// Hash routes: #/ (overview), #/tenant/<slug>, #/tenant/<slug>/flags (and its /segments and
// /playground), and the console's pages
// (#/keys, #/people, #/audit, #/webhooks, #/account, #/flags, #/register/<invitation>). The server serves one
// index.html, nothing else.
import { signal } from '@preact/signals';

export type Page = 'keys' | 'people' | 'audit' | 'account' | 'flags' | 'webhooks';
export type Route =
  | { name: 'overview' }
  | { name: 'tenant'; slug: string }
  | { name: 'tenantFlags' | 'tenantSegments' | 'tenantPlayground'; slug: string }
  | { name: Page }
  | { name: 'register'; invitation: string };

const PAGES: readonly string[] = ['keys', 'people', 'audit', 'account', 'flags', 'webhooks'];

export function parseHash(hash: string): Route {
  const m = /^#\/(tenant|register)\/([^/?#]+)(?:\/(flags|segments|playground))?/.exec(hash);
  if (m) {
    try {
      const value = decodeURIComponent(m[2]!);
      if (m[1] === 'register') return { name: 'register', invitation: value };
      const sub = { flags: 'tenantFlags', segments: 'tenantSegments', playground: 'tenantPlayground' } as const;
      return { name: m[3] ? sub[m[3] as keyof typeof sub] : 'tenant', slug: value };
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
export const flagsHref = (slug: string, part: 'flags' | 'segments' | 'playground' = 'flags') => `#/tenant/${encodeURIComponent(slug)}/${part}`;
