// Stopping the HTTP server without cutting a request short. On stop: the listening socket closes
// (new connections are refused), idle keep-alive connections are closed, and every request already
// in flight runs to its answer, sent with `Connection: close` so the client opens no further request
// on that connection. After the timeout, a read (GET, HEAD, OPTIONS) still unanswered gets 503
// `shutting_down` (Retry-After: 1), and an answer already being streamed (a CSV export) is cut.
// A write is not answered 503 then: it may be committing (a batch of events being written), and a
// 503 would tell its client "not stored" for something stored. It gets a second timeout to learn
// its real outcome; a write still unanswered after that has its connection closed without an
// answer (never acknowledged: the client retries, idempotently with an event id).
import type http from 'node:http';

export interface Drain {
  /** Requests being answered right now. */
  inFlight(): number;
  /** Stops accepting and resolves once every connection is closed (at most 2 × timeoutMs). */
  close(timeoutMs: number): Promise<void>;
}

const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);

const shuttingDown = JSON.stringify({ error: { code: 'shutting_down', message: 'FlagMeter shut down before this request was answered; retry against another instance.' } });

/** Call before the app's own 'request' listener is added, so every request is seen first here. */
export function drainable(server: http.Server): Drain {
  /** Each response in flight, with whether its request only reads. */
  const active = new Map<http.ServerResponse, boolean>();
  let closing = false;
  server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    // a request that arrives on a kept-alive connection during the stop is answered, and its connection closed
    if (closing && !res.headersSent) res.setHeader('Connection', 'close');
    active.set(res, SAFE.has(req.method ?? ''));
    res.once('close', () => active.delete(res));
  });
  const within = (done: Promise<void>, ms: number) => {
    let timer: NodeJS.Timeout | undefined;
    return Promise.race([
      done.then(() => true),
      new Promise<boolean>((resolve) => { timer = setTimeout(() => resolve(false), ms); }),
    ]).finally(() => clearTimeout(timer));
  };
  let closed: Promise<void> | undefined;
  return {
    inFlight: () => active.size,
    close: (timeoutMs) => closed ??= (async () => {
      closing = true;
      const done = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const res of active.keys()) if (!res.headersSent) res.setHeader('Connection', 'close');
      server.closeIdleConnections();
      // an answer whose headers went out before the stop (a stream) leaves its connection idle when it ends
      const idle = setInterval(() => server.closeIdleConnections(), 50);
      if (!(await within(done, timeoutMs))) {
        for (const [res, reads] of active) {
          if (res.headersSent) res.destroy();
          else if (reads) res.writeHead(503, { 'Content-Type': 'application/json; charset=utf-8', 'Retry-After': '1', Connection: 'close' }).end(shuttingDown);
        }
        if (!(await within(done, timeoutMs))) {
          server.closeAllConnections();
          await done;
        }
      }
      clearInterval(idle);
    })(),
  };
}
