// Passwords: argon2id at OWASP's recommended minimum (m=19456 KiB, t=2, p=1; ~50 ms here). An
// unknown name is checked against a dummy hash made with the same cost, so it takes as long as a
// wrong password and the two cannot be told apart by timing.
import { hash, verify, type Algorithm } from '@node-rs/argon2';

const OPTIONS = { algorithm: 2 as Algorithm /* Argon2id */, memoryCost: 19_456, timeCost: 2, parallelism: 1 };

export const PASSWORD_MIN = 12;
/** argon2 takes any length; a cap keeps a megabyte "password" from costing more than one sign-in. */
export const PASSWORD_MAX = 1024;

export function hashPassword(password: string): Promise<string> {
  return hash(password, OPTIONS);
}

let dummy: Promise<string> | undefined;

/** Whether `password` matches `stored`; with no stored hash, spends the same time and says no. */
export async function checkPassword(stored: string | undefined, password: string): Promise<boolean> {
  if (stored === undefined) {
    dummy ??= hashPassword('flagmeter-dummy-password-for-unknown-names');
    await verify(await dummy, password, OPTIONS).catch(() => false);
    return false;
  }
  return verify(stored, password, OPTIONS).catch(() => false);
}
