// Who is signed in (GET /api/me): a person or a key, with scopes and maybe a tenant. The console
// shows only the controls these allow; the server refuses the rest anyway (403).
import { effect, signal } from '@preact/signals';
import { apiKey, sessionEpoch } from './session.ts';
import { connection } from './state.ts';
import { fetchMe } from './api/people.ts';
import type { Me, Scope } from './api/types.ts';

/** Every scope, in the order the pickers show them. */
export const SCOPES: Scope[] = ['read', 'ingest', 'check', 'flags', 'evaluate', 'admin'];

export const me = signal<Me | undefined>(undefined);

/** The server's rule (server/auth/keys.ts): admin implies flags, evaluate and check; ingest implies check. */
export function can(scope: Scope, who = me.value): boolean {
  if (!who) return false;
  return who.scopes.includes(scope) || (who.scopes.includes('admin') && (scope === 'flags' || scope === 'evaluate' || scope === 'check'))
    || (who.scopes.includes('ingest') && scope === 'check');
}

let asked = 0;
effect(() => {
  const live = connection.value.state === 'live';
  void apiKey.value;
  void sessionEpoch.value;
  const ask = ++asked;
  if (!live) {
    if (connection.peek().state === 'locked') me.value = undefined;
    return;
  }
  fetchMe().then((m) => { if (ask === asked) me.value = m; }, () => { if (ask === asked) me.value = undefined; });
});
