// Hash routes: #/ (overview), #/tenant/<slug> and #/tenant/<slug>/flags. The server serves one index.html, nothing else.
import { signal } from '@preact/signals';

export type Route = { name: 'overview' } | { name: 'tenant'; slug: string } | { name: 'flags'; slug: string };

export function parseHash(hash: string): Route {
  const m = /^#\/tenant\/([^/?#]+)(\/flags)?/.exec(hash);
  if (m) {
    try {
      return { name: m[2] ? 'flags' : 'tenant', slug: decodeURIComponent(m[1]!) };
    } catch {
      // a malformed escape falls through to the overview
    }
  }
  return { name: 'overview' };
}

export const route = signal<Route>(parseHash(location.hash));
window.addEventListener('hashchange', () => { route.value = parseHash(location.hash); });

export const tenantHref = (slug: string) => `#/tenant/${encodeURIComponent(slug)}`;
export const flagsHref = (slug: string) => `#/tenant/${encodeURIComponent(slug)}/flags`;
