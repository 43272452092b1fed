// Who the console calls as: the API key, when the server asks for one (FLAGMETER_AUTH=true), kept in
// sessionStorage (it survives a reload but not the end of the browser session); whether the sign-in is
// wanted (keyNeeded); and when the session cookie may have changed (sessionEpoch).
import { batch, signal } from '@preact/signals';

const STORAGE = 'flagmeter.apiKey';

function stored(): string | undefined {
  try {
    return sessionStorage.getItem(STORAGE) ?? undefined;
  } catch {
    return undefined; // storage disabled: the key lives as long as the page
  }
}

function store(key: string | undefined): void {
  try {
    if (key) sessionStorage.setItem(STORAGE, key);
    else sessionStorage.removeItem(STORAGE);
  } catch {
    // as above
  }
}

export const apiKey = signal<string | undefined>(stored());

/**
 * Set while the API wants a (better) key. A new object each time, so a second refusal with the
 * same message still reaches the prompt. `reason` is the server's word when a key was refused.
 */
export const keyNeeded = signal<{ reason?: string; signedIn?: string } | undefined>(undefined);

export function authHeaders(key = apiKey.peek()): Record<string, string> {
  return key ? { authorization: `Bearer ${key}` } : {};
}

/** 401, or a key without the scope the dashboard needs: another key is the only way on. */
export const isKeyRefusal = (status: number, code?: string) => status === 401 || (status === 403 && code === 'forbidden');

export function setKey(key: string): void {
  store(key);
  apiKey.value = key;
}

export function forgetKey(): void {
  store(undefined);
  apiKey.value = undefined;
}

/**
 * The API refused `sent`, the key a request went out with (undefined: none). An answer to a
 * request made with an older key says nothing about the current one.
 */
export function refused(sent: string | undefined, reason: string, status?: number): void {
  // stale, or one more keyless request turned away while the prompt is already up
  if (sent !== apiKey.peek() || (!sent && keyNeeded.peek())) return;
  batch(() => {
    // keyNeeded first: live.ts does not reconnect keyless while a key is awaited
    // without a key a 403 is a signed-in person who lacks a scope: say so rather than just ask again
    keyNeeded.value = sent ? { reason } : status === 403 ? { signedIn: reason } : {};
    if (sent) forgetKey();
  });
}

/**
 * Bumped when the session cookie may have changed (signed in, signed out): the page cannot read the
 * HttpOnly cookie, so the live stream reconnects to find out what it is worth.
 */
export const sessionEpoch = signal(0);

export function sessionChanged(): void {
  batch(() => {
    keyNeeded.value = undefined;
    sessionEpoch.value++;
  });
}

export function accepted(): void {
  keyNeeded.value = undefined;
}
