// The page: header, banners and the view the hash names.
import { useEffect } from 'preact/hooks';
import { keyNeeded } from '../auth.ts';
import { route } from '../router.ts';
import { Banners, Header } from './Header.tsx';
import { KeyPrompt } from './KeyPrompt.tsx';
import { Overview } from './Overview.tsx';
import { TenantView } from './TenantView.tsx';
import { FlagsPage } from './FlagsPage.tsx';

export function App() {
  const r = route.value;
  const key = r.name === 'overview' ? 'overview' : `${r.name}:${r.slug}`;
  // after a route change, keyboard and screen-reader users start at the new view's heading
  useEffect(() => {
    document.querySelector<HTMLElement>('main h1')?.focus({ preventScroll: true });
    window.scrollTo(0, 0);
  }, [key]);
  return (
    <>
      {/* inert: while the key prompt is up, nothing behind it takes focus or clicks */}
      <div inert={!!keyNeeded.value}>
        <a class="skip" href="#main" onClick={(e) => { e.preventDefault(); document.querySelector<HTMLElement>('main h1')?.focus(); }}>Skip to content</a>
        <Header />
        <Banners />
        <main id="main" class="page">
          {r.name === 'flags' ? <FlagsPage key={key} tenant={r.slug} /> : r.name === 'tenant' ? <TenantView key={key} slug={r.slug} /> : <Overview />}
        </main>
      </div>
      <KeyPrompt />
    </>
  );
}
