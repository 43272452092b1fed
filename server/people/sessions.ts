// Server-side sessions: a token the browser keeps in the HttpOnly cookie `token` (or a client sends
// as Bearer), of which only the SHA-256 is stored. Looked up on every request, with no cache, so
// logout, disabling a person and a password change take effect at once on every replica.
import type { Response, Request } from 'express';
import type { Config } from '../config.ts';
import type { Pool } from '../db/pool.ts';
import { resolveSession, touchSession, type SessionRecord } from '../db/people.ts';
import type { SessionLookup } from '../auth/middleware.ts';
import { SESSION_COOKIE } from '../auth/origin.ts';
import { SESSION_PREFIX, tokenHash } from './tokens.ts';
import type { Logger } from '../log.ts';

export class Sessions implements SessionLookup {
  private readonly pool: Pool;
  private readonly idleMinutes: number;
  private readonly log: Logger;

  constructor(pool: Pool, config: Pick<Config, 'SESSION_IDLE_MINUTES'>, log: Logger) {
    this.pool = pool;
    this.idleMinutes = config.SESSION_IDLE_MINUTES;
    this.log = log;
  }

  async resolve(token: string): Promise<SessionRecord | undefined> {
    const hash = tokenHash(token, SESSION_PREFIX);
    if (!hash) return undefined;
    const session = await resolveSession(this.pool, hash, this.idleMinutes);
    if (session?.stale) {
      await touchSession(this.pool, session.sessionId)
        .catch((err: Error) => this.log.warn({ err: err.message, session: session.sessionId }, 'could not record a session\'s use'));
    }
    return session;
  }
}

/** The cookie's attributes: HttpOnly (no script reads it), SameSite=Lax, Secure when the request came over https. */
export function setSessionCookie(req: Request, res: Response, token: string, maxAgeSeconds: number): void {
  res.append('Set-Cookie', `${SESSION_COOKIE}=${token}; Path=/; HttpOnly; SameSite=Lax; Max-Age=${maxAgeSeconds}${req.secure ? '; Secure' : ''}`);
}

export function clearSessionCookie(req: Request, res: Response): void {
  res.append('Set-Cookie', `${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0${req.secure ? '; Secure' : ''}`);
}
