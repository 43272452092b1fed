// Where a request comes from, for the session cookie: the cookie itself, and whether a browser sent
// the request from this site. Browsers say so in Sec-Fetch-Site (all current ones) or Origin (on
// every cross-origin write); a request with neither is not a browser's cross-site request.
import type { Request } from 'express';

export const SESSION_COOKIE = 'token';

export function sessionCookie(req: Request): string | undefined {
  const header = req.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === SESSION_COOKIE) {
      const value = part.slice(eq + 1).trim();
      return value === '' ? undefined : value;
    }
  }
  return undefined;
}

export function isSameOrigin(req: Request): boolean {
  const site = req.headers['sec-fetch-site'];
  if (typeof site === 'string') return site === 'same-origin' || site === 'none';
  const origin = req.headers.origin;
  if (typeof origin === 'string') {
    try {
      // req.host honours X-Forwarded-Host only with TRUST_PROXY, and keeps the port (Express 5)
      return new URL(origin).host === req.host;
    } catch {
      return false; // "null" (sandboxed frames, file:) and garbage
    }
  }
  return true;
}
