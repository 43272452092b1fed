// Who is calling: a Bearer key (or X-API-Key) resolved to scopes and, for a tenant-bound key, the
// one tenant it may touch. With auth off, every caller is a global key with every scope.
import type { Request, RequestHandler } from 'express';
import { AppError } from '../http/errors.ts';
import { hashKey, hasScope, parseKey, sameHash, SCOPES, type Scope } from './keys.ts';
import type { KeyCache } from './key-cache.ts';

export interface Caller {
  /** api_keys.id, for the audit log (null with auth off). */
  keyDbId: number | null;
  keyId: string | null;
  scopes: readonly Scope[];
  /** Slug of the only tenant this key may touch; null for a global key. */
  tenant: string | null;
}

declare module 'express-serve-static-core' {
  interface Request { caller?: Caller }
}

const anonymous: Caller = { keyDbId: null, keyId: null, scopes: SCOPES, tenant: null };
const unauthorized = (message: string) => new AppError(401, 'unauthorized', message, { headers: { 'WWW-Authenticate': 'Bearer realm="flagmeter"' } });

function presentedKey(req: Request): string | undefined {
  const header = req.headers.authorization;
  if (header?.startsWith('Bearer ')) return header.slice(7).trim();
  const apiKey = req.headers['x-api-key'];
  return typeof apiKey === 'string' ? apiKey.trim() : undefined;
}

export function authenticate(keys: KeyCache | undefined): RequestHandler {
  if (!keys) return (req, _res, next) => { req.caller = anonymous; next(); };
  return async (req, _res, next) => {
    const key = presentedKey(req);
    if (!key) throw unauthorized('An API key is required: send Authorization: Bearer fm_live_…');
    const keyId = parseKey(key);
    const record = keyId ? await keys.get(keyId) : undefined;
    if (!record || !sameHash(record.hash, hashKey(key))) throw unauthorized('The API key is not valid.');
    if (record.revoked) throw unauthorized('The API key has been revoked.');
    req.caller = { keyDbId: record.id, keyId: record.keyId, scopes: record.scopes, tenant: record.tenant };
    next();
  };
}

export function requireScope(scope: Scope): RequestHandler {
  return (req, _res, next) => {
    if (!req.caller || !hasScope(req.caller.scopes, scope)) {
      throw new AppError(403, 'forbidden', `This key lacks the '${scope}' scope.`);
    }
    next();
  };
}

/** Throws 403 unless the caller may touch this tenant. */
export function assertTenantAllowed(caller: Caller | undefined, tenant: string): void {
  if (caller?.tenant && caller.tenant !== tenant) {
    throw new AppError(403, 'forbidden_tenant', `This key is bound to tenant '${caller.tenant}' and may not touch '${tenant}'.`);
  }
}
