// Headers for the pages (dashboard, /docs): no framing, no sniffing, no referrer, and a CSP that
// allows only our own scripts. Style attributes are inline (Preact), hence 'unsafe-inline' for styles.
// A page may ask for a stricter policy of its own (pageHeaders).
import type { RequestHandler } from 'express';

const headers = {
  'Content-Security-Policy': "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
};

/** The same headers with another Content-Security-Policy (a page that needs less, e.g. a printable statement). */
export const pageHeaders = (csp: string): Record<string, string> => ({ ...headers, 'Content-Security-Policy': csp });

export const securityHeaders: RequestHandler = (_req, res, next) => {
  res.set(headers);
  next();
};
