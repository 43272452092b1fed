// Sign-in, when the server wants a caller: a name and password (a session in the HttpOnly cookie),
// or an API key pasted for this browser session. It stays up while a key is tried: the live stream
// closes it once the server takes the key, or brings it back with the server's refusal.
import { useEffect, useRef, useState } from 'preact/hooks';
import { keyNeeded, sessionChanged, setKey } from '../session.ts';
import { Field, FormStatus, formValues, useForm } from './Form.tsx';
import { login as startSession } from '../api/auth.ts';

export function SignIn() {
  const need = keyNeeded.value;
  const nameInput = useRef<HTMLInputElement>(null);
  const keyInput = useRef<HTMLInputElement>(null);
  const shown = useRef(false);
  const [checking, setChecking] = useState(false);
  const login = useForm(['name', 'password']);
  useEffect(() => {
    setChecking(false);
    if (need) {
      shown.current = true;
      if (keyInput.current) keyInput.current.value = '';
      // a refused key: back to the key field, with the reason; otherwise the name
      (need.reason ? keyInput.current : nameInput.current)?.focus();
    } else if (shown.current) {
      // the input that had the focus is gone: hand it to the page, as after a route change
      shown.current = false;
      // unless the person has already moved on to something else
      if (!document.activeElement || document.activeElement === document.body) document.querySelector<HTMLElement>('main h1')?.focus({ preventScroll: true });
    }
  }, [need]);
  if (!need) return null;

  const signIn = (e: Event) => {
    e.preventDefault();
    const v = formValues(e.currentTarget as HTMLFormElement);
    void login.run(async () => {
      await startSession(v.name, v.password);
      sessionChanged();
    });
  };
  const useKey = (e: Event) => {
    e.preventDefault();
    const key = keyInput.current?.value.trim();
    if (!key) return;
    setChecking(true);
    setKey(key);
  };
  const err = login.state.errors;
  return (
    <div class="keyprompt">
      <div class="keyprompt__panel card" role="dialog" aria-modal="true" aria-labelledby="signin-title" aria-describedby="signin-text">
        <form ref={login.form} noValidate onSubmit={signIn} class="form">
          <h2 id="signin-title">Sign in</h2>
          <p id="signin-text" class="muted">Sign in to the FlagMeter console, or use an API key with the read scope (kept for this browser session only).</p>
          {need.signedIn && <p class="keyprompt__error" role="alert" data-testid="signin-refused">You are signed in, but the console cannot show you anything: {need.signedIn} Sign in as someone with the read scope, or use a key.</p>}
          <Field id="signin-name" name="name" label="Name" error={err.name}>
            {(p) => <input {...p} ref={nameInput} autocomplete="username" required spellcheck={false} autocapitalize="none" />}
          </Field>
          <Field id="signin-password" name="password" label="Password" error={err.password}>
            {(p) => <input {...p} type="password" autocomplete="current-password" required />}
          </Field>
          <FormStatus state={login.state} />
          <button type="submit" class="btn btn--primary" disabled={login.state.busy}>{login.state.busy ? 'Signing in…' : 'Sign in'}</button>
        </form>
        <form onSubmit={useKey} class="form form--key">
          <h3 class="divider"><span>or use an API key</span></h3>
          {need.reason && <p class="keyprompt__error" role="alert">{need.reason}</p>}
          <label for="keyprompt-key">API key</label>
          <div class="keyprompt__row">
            <input id="keyprompt-key" ref={keyInput} type="password" autocomplete="off" spellcheck={false} placeholder="fm_live_…"
              required aria-invalid={need.reason ? true : undefined} readOnly={checking} />
            <button type="submit" class="btn" disabled={checking}>{checking ? 'Checking…' : 'Use key'}</button>
          </div>
        </form>
      </div>
    </div>
  );
}
