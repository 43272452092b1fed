// API key format and hashing. A key is `fm_live_<key_id>_<secret>`: the key id finds the row, the
// SHA-256 of the whole string is what is stored and compared (in constant time).
import { hash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * What a key (or a person) may do. `evaluate` is the scope a browser or a phone may hold (OFREP
 * only); `check` asks for and holds tokens (POST /api/check, DELETE /api/reservations/:id), so it
 * belongs to a backend. See docs/security.md.
 */
export const SCOPES = ['ingest', 'read', 'admin', 'flags', 'evaluate', 'check'] as const;
export type Scope = (typeof SCOPES)[number];

/**
 * Scopes a key has without holding them itself: admin manages and evaluates flags and checks;
 * ingest checks too, because backends checked with their ingest key before `check` existed.
 */
const IMPLIED: Partial<Record<Scope, readonly Scope[]>> = { admin: ['flags', 'evaluate', 'check'], ingest: ['check'] };

/** Whether a key with these scopes may do what `scope` allows. */
export function hasScope(scopes: readonly Scope[], scope: Scope): boolean {
  return scopes.includes(scope) || scopes.some((s) => IMPLIED[s]?.includes(scope));
}

const KEY_PATTERN = /^fm_live_([a-z0-9]{12})_([A-Za-z0-9_-]{32})$/;
const ID_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

export interface NewKey { keyId: string; key: string; hash: Buffer }

export function generateKey(): NewKey {
  const bytes = randomBytes(12);
  const keyId = Array.from(bytes, (b) => ID_ALPHABET[b % ID_ALPHABET.length]).join('');
  const key = `fm_live_${keyId}_${randomBytes(24).toString('base64url')}`;
  return { keyId, key, hash: hashKey(key) };
}

export function hashKey(key: string): Buffer {
  // the one-shot hash: a third cheaper than createHash, and every authenticated request pays it
  return hash('sha256', key, 'buffer');
}

/** The key id of a well-formed key, or undefined. */
export function parseKey(key: string): string | undefined {
  return KEY_PATTERN.exec(key)?.[1];
}

export function sameHash(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}
