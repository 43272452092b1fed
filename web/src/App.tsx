// The page: header, banners and the view the hash names; the sign-in when the server wants a caller.
import { useEffect } from 'preact/hooks';
import { keyNeeded } from './session.ts';
import { PageFor } from './pages/Pages.tsx';
import { SignIn } from './ui/SignIn.tsx';
import { route } from './router.ts';
import { Banners, Header } from './ui/Header.tsx';

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
          <PageFor r={r} id={key} />
        </main>
      </div>
      {!register && <SignIn />}
    </>
  );
}
