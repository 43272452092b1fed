// Who is signed in, and signing out: the session ends on the server, the page forgets what it showed.
import { batch } from '@preact/signals';
import { sessionChanged } from '../session.ts';
import { clearTenants } from '../state.ts';
import { logout } from '../api/auth.ts';
import { me } from '../me.ts';

export async function signOut(): Promise<void> {
  await logout().catch(() => undefined);
  batch(() => {
    me.value = undefined;
    clearTenants();
    sessionChanged();
  });
  location.hash = '#/';
}

export function SignedIn() {
  const who = me.value;
  if (who?.kind !== 'person') return null;
  return (
    <>
      <span class="who" data-testid="signed-in">{who.name}{who.tenant && <span class="muted"> · {who.tenant}</span>}</span>
      <button type="button" class="btn btn--quiet" onClick={() => void signOut()}>Sign out</button>
    </>
  );
}
