// Keeps one server-sent-events stream on /api/stream, read with fetch: EventSource cannot send the
// Authorization header. On any failure it reconnects itself with backoff, so the page can show how
// long until the next try. A refused key stops it until another key is set. The stream is the page's
// gate: a 401 or a 403 here (the caller may see nothing at all) brings the sign-in up, where the
// transport (api/http.ts) asks again only on a 401.
import { batch, effect } from '@preact/signals';
import { accepted, apiKey, authHeaders, isKeyRefusal, keyNeeded, refused, sessionEpoch } from './session.ts';
import { errorOf } from './api/http.ts';
import type { StreamChanges, StreamSnapshot, StreamUnavailable } from './api/types.ts';
import { readEvents } from './sse.ts';
import { applyChanges, applySnapshot, clearTenants, connection, databaseDown } from './state.ts';

const MIN_DELAY_MS = 1000;
const MAX_DELAY_MS = 15_000;

export function connectLive(url = '/api/stream'): () => void {
  let request: AbortController | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let delay = MIN_DELAY_MS;
  let since: number | undefined;
  let stopped = false;

  const handle = (event: string, data: string) => {
    const body = JSON.parse(data);
    if (event === 'snapshot') {
      batch(() => {
        applySnapshot((body as StreamSnapshot).tenants);
        databaseDown.value = undefined;
        connection.value = { state: 'live' };
      });
      delay = MIN_DELAY_MS;
      since = undefined;
    } else if (event === 'changes') {
      const { tenants, removed } = body as StreamChanges;
      batch(() => {
        applyChanges(tenants, removed);
        databaseDown.value = undefined;
      });
    } else if (event === 'unavailable') {
      databaseDown.value = (body as StreamUnavailable).message;
    }
  };

  const open = async () => {
    clearTimeout(timer);
    timer = undefined;
    request?.abort();
    const ac = (request = new AbortController());
    const key = apiKey.peek();
    try {
      const res = await fetch(url, { headers: { accept: 'text/event-stream', ...authHeaders(key) }, cache: 'no-store', signal: ac.signal });
      if (!res.ok || !res.body) {
        const error = await errorOf(res);
        if (ac.signal.aborted) return;
        if (isKeyRefusal(res.status, error?.code)) {
          batch(() => {
            refused(key, error?.message ?? 'The API key was refused.', res.status);
            clearTenants();
            connection.value = { state: 'locked' };
          });
          return;
        }
        throw new Error(`stream answered ${res.status}`);
      }
      accepted();
      await readEvents(res.body, handle);
    } catch {
      // unreachable, cut off or a 5xx: all mean try again later
    }
    if (ac.signal.aborted || stopped) return;
    since ??= Date.now();
    connection.value = { state: 'disconnected', retryAt: Date.now() + delay, since };
    timer = setTimeout(open, delay);
    // jitter keeps a fleet of open dashboards from reconnecting in lockstep after a restart
    delay = Math.min(MAX_DELAY_MS, delay * 2) * (0.8 + Math.random() * 0.4);
  };

  // runs at once too: that is the first connection; again for a new key or a sign-in / sign-out
  const unsubscribe = effect(() => {
    const key = apiKey.value;
    void sessionEpoch.value;
    // without a key, while one is awaited, the server would only refuse again
    if (!key && keyNeeded.peek()) return;
    if (connection.peek().state === 'locked') connection.value = { state: 'connecting' };
    delay = MIN_DELAY_MS;
    void open();
  });

  // a tab coming back from sleep should not wait out a long backoff
  const wake = () => {
    if (document.visibilityState === 'visible' && timer) void open();
  };
  document.addEventListener('visibilitychange', wake);
  window.addEventListener('online', wake);
  return () => {
    stopped = true;
    clearTimeout(timer);
    request?.abort();
    unsubscribe();
    document.removeEventListener('visibilitychange', wake);
    window.removeEventListener('online', wake);
  };
}
