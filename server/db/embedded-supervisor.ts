// Keeps the embedded PostgreSQL of a running FlagMeter up. pg_ctl starts the server detached, so
// nothing tells us when it dies (kill -9, the OOM killer): once a second we look whether its
// postmaster still runs (a cheap check of its pid and start time, no process spawned). When it has
// died we start it again on the same folder and port, up to EMBEDDED_PG_RESTART_ATTEMPTS times in a
// row with a growing pause, each attempt logged; /api/health shows the state and the count. The
// pool needs nothing: its broken connections fail once and are replaced.
import type { Logger } from '../log.ts';
import type { EmbeddedServer } from './embedded.ts';

export interface EmbeddedStatus {
  /** running; restarting (it died, attempts are under way); failed (attempts exhausted: restart FlagMeter). */
  state: 'running' | 'restarting' | 'failed';
  /** Restarts that succeeded since this FlagMeter started. */
  restarts: number;
  lastRestartAt: string | null;
}

const POLL_MS = 1000;
/** Pause after the n-th failed attempt: 0.5 s, doubling, at most 8 s. */
const backoffMs = (failed: number) => Math.min(8000, 500 * 2 ** (failed - 1));
/** A server up this long that dies again gets its full count of attempts afresh. */
const STABLE_MS = 60_000;

export class EmbeddedSupervisor {
  private readonly server: Pick<EmbeddedServer, 'alive' | 'restart'>;
  private readonly log: Logger;
  private readonly maxAttempts: number;
  private state: EmbeddedStatus['state'] = 'running';
  private restarts = 0;
  private lastRestartAt: string | null = null;
  /** Attempts since it last died (a crash soon after a restart keeps counting). */
  private attempts = 0;
  private upSince = Date.now();
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private checking: Promise<void> | undefined;

  constructor(server: Pick<EmbeddedServer, 'alive' | 'restart'>, opts: { log: Logger; maxAttempts: number }) {
    this.server = server;
    this.log = opts.log;
    this.maxAttempts = opts.maxAttempts;
  }

  start(): void {
    this.schedule(POLL_MS);
  }

  status(): EmbeddedStatus {
    return { state: this.state, restarts: this.restarts, lastRestartAt: this.lastRestartAt };
  }

  /** No more checks or restarts; waits for an attempt under way (the caller stops the server next). */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.checking;
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => { this.checking = this.check().finally(() => { this.checking = undefined; }); }, ms);
  }

  private async check(): Promise<void> {
    if (this.stopped) return;
    if (this.server.alive()) return this.schedule(POLL_MS);
    if (this.state === 'running') {
      if (Date.now() - this.upSince >= STABLE_MS) this.attempts = 0;
      this.state = 'restarting';
      this.log.error({ maxAttempts: this.maxAttempts }, 'the embedded PostgreSQL is not running (it was killed or crashed): restarting it');
    }
    if (this.attempts >= this.maxAttempts) {
      this.state = 'failed';
      this.log.error({ attempts: this.attempts }, 'the embedded PostgreSQL could not be restarted: giving up (the API answers 503); see its log in the data folder, then restart FlagMeter');
      return;
    }
    const attempt = ++this.attempts;
    this.log.warn({ attempt, maxAttempts: this.maxAttempts }, 'starting the embedded PostgreSQL again');
    try {
      await this.server.restart();
    } catch (err) {
      const pauseMs = backoffMs(attempt);
      this.log.error({ attempt, err: (err as Error).message, nextInMs: attempt < this.maxAttempts ? pauseMs : undefined }, 'restarting the embedded PostgreSQL failed');
      return this.schedule(attempt < this.maxAttempts ? pauseMs : 0);
    }
    this.state = 'running';
    this.restarts++;
    this.upSince = Date.now();
    this.lastRestartAt = new Date(this.upSince).toISOString();
    this.log.warn({ attempt, restarts: this.restarts }, 'the embedded PostgreSQL is running again');
    this.schedule(POLL_MS);
  }
}
