// Asks for an API key when the server wants one. It stays up while the key is tried: the live
// stream closes it once the server takes the key, or brings it back with the server's refusal.
import { useEffect, useRef, useState } from 'preact/hooks';
import { keyNeeded, setKey } from '../auth.ts';

export function KeyPrompt() {
  const need = keyNeeded.value;
  const input = useRef<HTMLInputElement>(null);
  const shown = useRef(false);
  const [checking, setChecking] = useState(false);
  useEffect(() => {
    setChecking(false);
    if (need && input.current) {
      shown.current = true;
      input.current.value = '';
      input.current.focus();
    } else if (!need && shown.current) {
      // the input that had the focus is gone: hand it to the page, as after a route change
      shown.current = false;
      document.querySelector<HTMLElement>('main h1')?.focus({ preventScroll: true });
    }
  }, [need]);
  if (!need) return null;
  const submit = (e: Event) => {
    e.preventDefault();
    const key = input.current?.value.trim();
    if (!key) return;
    setChecking(true);
    setKey(key);
  };
  return (
    <div class="keyprompt">
      <div class="keyprompt__panel card" role="dialog" aria-modal="true" aria-labelledby="keyprompt-title" aria-describedby="keyprompt-text">
        <form onSubmit={submit}>
          <h2 id="keyprompt-title">API key needed</h2>
          <p id="keyprompt-text" class="muted">This FlagMeter requires an API key with the read scope. It is kept for this browser session only.</p>
          {need.reason && <p class="keyprompt__error" role="alert">{need.reason}</p>}
          <label for="keyprompt-key">API key</label>
          <div class="keyprompt__row">
            <input id="keyprompt-key" ref={input} type="password" autocomplete="off" spellcheck={false} placeholder="fm_live_…"
              required aria-invalid={need.reason ? true : undefined} readOnly={checking} />
            <button type="submit" class="btn btn--primary" disabled={checking}>{checking ? 'Checking…' : 'Continue'}</button>
          </div>
        </form>
      </div>
    </div>
  );
}
