// Session and invitation tokens: 256 random bits, recognisable by their prefix (so a leaked one is
// easy to find in a log or a repository); only their SHA-256 is stored, like API keys.
import { randomBytes } from 'node:crypto';
import { hashKey } from '../auth/keys.ts';

export const SESSION_PREFIX = 'fm_sess_';
export const INVITATION_PREFIX = 'fm_inv_';
const PATTERN = /^fm_(sess|inv)_[A-Za-z0-9_-]{43}$/;

export interface NewToken { token: string; hash: Buffer }

export function newToken(prefix: typeof SESSION_PREFIX | typeof INVITATION_PREFIX): NewToken {
  const token = `${prefix}${randomBytes(32).toString('base64url')}`;
  return { token, hash: hashKey(token) };
}

/** The hash of a well-formed token of this kind, or undefined. */
export function tokenHash(token: string, prefix: typeof SESSION_PREFIX | typeof INVITATION_PREFIX): Buffer | undefined {
  return token.startsWith(prefix) && PATTERN.test(token) ? hashKey(token) : undefined;
}
