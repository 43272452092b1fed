// Weak ETags for answers clients poll (flag lists, OFREP bulk): a hash of what the answer depends on,
// and the If-None-Match test that turns a repeat into a 304.
import { hash } from 'node:crypto';
import type { Request } from 'express';

export const weakTag = (text: string) => `W/"${hash('sha1', text, 'base64url').slice(0, 22)}"`;

/** Whether the request's If-None-Match names `tag` (or, with `wildcard`, is `*`). */
export function notModified(req: Request, tag: string, wildcard = false): boolean {
  const header = req.headers['if-none-match'];
  return !!header && header.split(',').some((t) => t.trim() === tag || (wildcard && t.trim() === '*'));
}
