// The link an invitation is sent as. It is built from PUBLIC_URL: the Host header is whatever the
// client (or a proxy that passes it on) says, and a link to an attacker's host would hand them the
// token. Without PUBLIC_URL the request's host is used outside production only, with a warning.
import type { Request } from 'express';
import type { Config } from '../config.ts';
import { AppError } from '../core/errors.ts';
import type { Logger } from '../log.ts';

/** The base URL of invitation links; in production without PUBLIC_URL, 503 before anything is created. */
export function invitationBase(config: Pick<Config, 'PUBLIC_URL' | 'NODE_ENV'>, req: Request, log: Logger): string {
  if (config.PUBLIC_URL) return config.PUBLIC_URL;
  if (config.NODE_ENV === 'production') {
    throw new AppError(503, 'public_url_unset', 'Invitation links are built from PUBLIC_URL, which is not set: set it to the URL people open FlagMeter at (e.g. https://flagmeter.example.com). No invitation was created.');
  }
  const base = `${req.protocol}://${req.host}`;
  log.warn({ base }, 'PUBLIC_URL is not set: the invitation link uses the request\'s Host (development only; set PUBLIC_URL)');
  return base;
}

/** The token rides in the fragment: it never reaches a server's or a proxy's access log. */
export const invitationUrl = (base: string, token: string): string => `${base}/#/register/${token}`;
