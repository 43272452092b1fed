// GET /api/stream: server-sent events carrying every tenant's usage (the rows of GET /api/tenants).
// One poller per app serves every client: it queries only while someone listens and sends only
// what changed, so a hundred open dashboards cost the database the same as one. The key that opened a
// stream is checked again on every poll (from the key cache): a revoked key's stream ends within the
// revocation delay of GET requests, and the client's reconnect gets its 401. A person's stream ends
// the same way once the session does (logout, disabled, password changed, expired).
import { Router, type Response } from 'express';
import { unavailable } from '../../core/errors.ts';
import { requireScope } from '../../auth/middleware.ts';
import { listUsage, type Usage } from '../../db/tenants.ts';
import { liveSessions } from '../../db/people.ts';
import type { AppDeps } from '../../deps.ts';
import { nextDelay } from '../../pacing.ts';

/** `tenant` set: a tenant-bound key, which sees only that tenant's row. `keyId` null: auth is off. */
interface Client { res: Response; needsSnapshot: boolean; tenant: string | null; keyId: string | null; sessionId?: number | undefined }

// At most; listUsage sums every tenant's period, so if that gets slow (many tenants) the polls space out (pacing.ts).
const POLL_MS = 500;
const HEARTBEAT_MS = 15_000;
// How long EventSource waits before reconnecting on its own; the dashboard manages its own backoff.
const RETRY_MS = 2000;
// A client that stopped reading (its socket buffer keeps growing) is cut rather than buffered forever.
const MAX_BUFFERED_BYTES = 1 << 20;

const message = (event: string, data: unknown) => `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
const unavailableMessage = message('unavailable', { message: 'The database is not answering; the usage shown may be stale.' });

/** The stream ends by itself once the app shuts down (state.shuttingDown), within one poll. */
export function usageStream({ pool, log, state, keys, config }: Pick<AppDeps, 'pool' | 'log' | 'state' | 'keys'> & Partial<Pick<AppDeps, 'config'>>): Router {
  const clients = new Set<Client>();
  let latest: Map<string, string> | undefined;
  let latestRows: Usage[] = [];
  let pollTimer: NodeJS.Timeout | undefined;
  let heartbeat: NodeJS.Timeout | undefined;
  let busy = false;
  let lastPollMs = 0;
  let failing = false;
  let closed = false;

  const send = (client: Client, text: string) => {
    if (client.res.writableLength > MAX_BUFFERED_BYTES) return drop(client);
    client.res.write(text);
  };
  const drop = (client: Client) => {
    clients.delete(client);
    client.res.end();
    if (clients.size === 0) stop();
  };

  const start = () => {
    if (pollTimer || closed) return;
    pollTimer = setTimeout(tick, 0);
    heartbeat = setInterval(() => { for (const c of clients) send(c, ': heartbeat\n\n'); }, HEARTBEAT_MS);
  };
  const stop = () => {
    clearTimeout(pollTimer);
    clearInterval(heartbeat);
    pollTimer = heartbeat = undefined;
    latest = undefined; // stale once nobody polls: the next client gets a fresh snapshot
  };

  /** Ends the streams whose key is no longer valid; one lookup per distinct key, from the key cache. */
  async function dropRevoked(): Promise<void> {
    if (!keys) return;
    const ids = new Set([...clients].flatMap((c) => (c.keyId ? [c.keyId] : [])));
    const gone = new Set<string>();
    await Promise.all([...ids].map(async (id) => {
      const record = await keys.get(id);
      if (!record || record.revoked) gone.add(id);
    }));
    for (const c of clients) if (c.keyId && gone.has(c.keyId)) drop(c);
    const sessions = [...new Set([...clients].flatMap((c) => (c.sessionId ? [c.sessionId] : [])))];
    if (sessions.length === 0) return;
    const live = await liveSessions(pool, sessions, config?.SESSION_IDLE_MINUTES ?? 120);
    for (const c of clients) if (c.sessionId && !live.has(c.sessionId)) drop(c);
  }

  async function tick(): Promise<void> {
    if (busy) return;
    busy = true;
    try {
      if (state.shuttingDown) return close();
      await dropRevoked();
      if (clients.size === 0) return;
      const started = performance.now();
      const rows = await listUsage(pool);
      lastPollMs = performance.now() - started;
      const next = new Map(rows.map((r) => [r.tenant, JSON.stringify(r)]));
      const changed = latest ? rows.filter((r) => latest!.get(r.tenant) !== next.get(r.tenant)) : rows;
      const removed = latest ? [...latest.keys()].filter((slug) => !next.has(slug)) : [];
      // one encoding per audience (everyone, or one tenant), however many clients share it
      const encoded = new Map<string | null, { snapshot: string; changes: string | undefined }>();
      const messagesFor = (tenant: string | null) => {
        let m = encoded.get(tenant);
        if (!m) {
          const mine = <T extends { tenant: string } | string>(list: T[]) => (tenant ? list.filter((x) => (typeof x === 'string' ? x : x.tenant) === tenant) : list);
          const [ch, rm] = [mine(changed), mine(removed)];
          m = { snapshot: message('snapshot', { tenants: mine(rows) }), changes: ch.length || rm.length ? message('changes', { tenants: ch, removed: rm }) : undefined };
          encoded.set(tenant, m);
        }
        return m;
      };
      for (const c of clients) {
        const m = messagesFor(c.tenant);
        if (c.needsSnapshot || failing) send(c, m.snapshot);
        else if (m.changes) send(c, m.changes);
        c.needsSnapshot = false;
      }
      if (failing) log.info('usage stream: database answers again');
      latest = next;
      latestRows = rows;
      failing = false;
    } catch (err) {
      if (!failing) {
        log.warn({ err: (err as Error).message }, 'usage stream: reading usage failed');
        for (const c of clients) send(c, unavailableMessage);
      }
      failing = true;
    } finally {
      busy = false;
      if (pollTimer && !closed) pollTimer = setTimeout(tick, nextDelay(POLL_MS, lastPollMs));
    }
  }

  function close(): void {
    if (closed) return;
    closed = true;
    stop();
    for (const c of clients) c.res.end();
    clients.clear();
  }

  const router = Router();
  router.get('/stream', requireScope('read'), (req, res) => {
    if (closed || state.shuttingDown) throw unavailable('shutting_down', 'The server is shutting down; reconnect shortly.', 2);
    req.socket.setNoDelay(true);
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-cache, no-transform',
      // nginx and friends buffer responses unless told not to, which would batch the updates up
      'X-Accel-Buffering': 'no',
    });
    res.write(`retry: ${RETRY_MS}\n\n`);
    const tenant = req.caller?.tenant ?? null;
    const client: Client = { res, needsSnapshot: !latest, tenant, keyId: req.caller?.keyId ?? null, sessionId: req.caller?.person?.sessionId };
    if (latest) res.write(message('snapshot', { tenants: tenant ? latestRows.filter((r) => r.tenant === tenant) : latestRows }));
    if (failing) res.write(unavailableMessage);
    clients.add(client);
    start();
    req.on('close', () => {
      if (!clients.delete(client)) return;
      if (clients.size === 0) stop();
    });
  });

  return router;
}
