// The page: header, banners and the view the hash names; the sign-in when the server wants a caller.
import { useEffect } from 'preact/hooks';
import { keyNeeded } from '../auth.ts';
import { consolePage } from '../console/Pages.tsx';
import { SignIn } from '../console/SignIn.tsx';
import { route } from '../router.ts';
import { Banners, Header } from './Header.tsx';
import { Overview } from './Overview.tsx';
import { TenantView } from './TenantView.tsx';
import { FlagsPage } from './FlagsPage.tsx';

export function App() {
  const r = route.value;
  const key = 'slug' in r ? `${r.name}:${r.slug}` : r.name;
  // after a route change, keyboard and screen-reader users start at the new view's heading
  useEffect(() => {
    document.querySelector<HTMLElement>('main h1')?.focus({ preventScroll: true });
    window.scrollTo(0, 0);
  }, [key]);
  // registering needs no sign-in: that page stays usable while the server wants one
  const register = r.name === 'register';
  const prompt = !!keyNeeded.value && !register;
  return (
    <>
      {/* inert: while the sign-in is up, nothing behind it takes focus or clicks */}
      <div inert={prompt}>
        <a class="skip" href="#main" onClick={(e) => { e.preventDefault(); document.querySelector<HTMLElement>('main h1')?.focus(); }}>Skip to content</a>
        <Header />
        {!register && <Banners />}
        <main id="main" class="page">
          {consolePage(r) ?? (r.name === 'tenantFlags' ? <FlagsPage key={key} tenant={r.slug} /> : r.name === 'tenant' ? <TenantView key={key} slug={r.slug} /> : <Overview />)}
        </main>
      </div>
      {!register && <SignIn />}
    </>
  );
}
