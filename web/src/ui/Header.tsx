// Brand, the console's sections, who is signed in (sign out) or the key in use, the live-connection
// indicator and the banners for a lost connection or database.
import { apiKey, forgetKey } from '../session.ts';
import { Nav } from './Nav.tsx';
import { SignedIn } from './SignOut.tsx';
import { clock } from '../hooks.ts';
import { connection, databaseDown } from '../state.ts';

function ConnectionStatus() {
  const c = connection.value;
  let text = 'Connecting…';
  if (c.state === 'live') text = 'Live';
  if (c.state === 'locked') text = 'API key needed';
  if (c.state === 'disconnected') {
    const seconds = Math.max(0, Math.ceil((c.retryAt - clock.value) / 1000));
    text = seconds > 0 ? `Disconnected · retrying in ${seconds}s` : 'Disconnected · retrying…';
  }
  return (
    <span class={`conn conn--${c.state}`} role="status" aria-live="polite" data-connection={c.state}>
      <span class="conn__dot" aria-hidden="true" />
      {text}
    </span>
  );
}

export function Header() {
  return (
    <header class="topbar">
      <div class="topbar__inner">
        <a class="brand" href="#/">
          <svg class="brand__logo" viewBox="0 0 32 32" aria-hidden="true">
            <rect width="32" height="32" rx="7" />
            <path d="M8 22h4V14H8zm6 0h4V9h-4zm6 0h4v-5h-4z" />
          </svg>
          FlagMeter
        </a>
        <Nav />
        <div class="topbar__side">
          <SignedIn />
          {apiKey.value && (
            <button type="button" class="btn btn--quiet" onClick={forgetKey} title="Remove the API key from this browser session">Forget key</button>
          )}
          <ConnectionStatus />
        </div>
      </div>
    </header>
  );
}

export function Banners() {
  const c = connection.value;
  const db = databaseDown.value;
  if (c.state === 'disconnected') {
    return (
      <div class="banner banner--error" role="alert">
        Lost the connection to the FlagMeter server. The numbers below may be out of date; the page reconnects by itself.
      </div>
    );
  }
  if (db) return <div class="banner banner--warning" role="alert">{db}</div>;
  return null;
}
