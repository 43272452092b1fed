// Stopping the HTTP server without cutting a request short. On stop: the listening socket closes
// (new connections are refused), idle keep-alive connections are closed, and every request already
// in flight runs to its answer, sent with `Connection: close` so the client opens no further request
// on that connection. A request still unanswered after the timeout is answered 503 `shutting_down`
// (Retry-After: 1); only an answer already being streamed (a CSV export) is cut at that point.
import type http from 'node:http';

export interface Drain {
  /** Requests being answered right now. */
  inFlight(): number;
  /** Stops accepting and resolves once every connection is closed (at most timeoutMs + 1 s). */
  close(timeoutMs: number): Promise<void>;
}

const shuttingDown = JSON.stringify({ error: { code: 'shutting_down', message: 'FlagMeter shut down before this request was answered; retry against another instance.' } });

/** Call before the app's own 'request' listener is added, so every request is seen first here. */
export function drainable(server: http.Server): Drain {
  const active = new Set<http.ServerResponse>();
  let closing = false;
  server.on('request', (_req: http.IncomingMessage, res: http.ServerResponse) => {
    // a request that arrives on a kept-alive connection during the stop is answered, and its connection closed
    if (closing && !res.headersSent) res.setHeader('Connection', 'close');
    active.add(res);
    res.once('close', () => active.delete(res));
  });
  let closed: Promise<void> | undefined;
  return {
    inFlight: () => active.size,
    close: (timeoutMs) => closed ??= (async () => {
      closing = true;
      const done = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const res of active) if (!res.headersSent) res.setHeader('Connection', 'close');
      server.closeIdleConnections();
      // an answer whose headers went out before the stop (a stream) leaves its connection idle when it ends
      const idle = setInterval(() => server.closeIdleConnections(), 50);
      let timer: NodeJS.Timeout | undefined;
      const late = await Promise.race([
        done.then(() => false),
        new Promise<boolean>((resolve) => { timer = setTimeout(() => resolve(true), timeoutMs); }),
      ]);
      clearTimeout(timer);
      if (late) {
        for (const res of active) {
          if (res.headersSent) {
            res.destroy();
          } else {
            res.writeHead(503, { 'Content-Type': 'application/json; charset=utf-8', 'Retry-After': '1', Connection: 'close' }).end(shuttingDown);
          }
        }
        const cut = setTimeout(() => server.closeAllConnections(), 1000);
        await done;
        clearTimeout(cut);
      }
      clearInterval(idle);
    })(),
  };
}
