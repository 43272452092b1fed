// What a new password must not be (docs/security.md#password-policy): besides its length (the
// schemas), one of the most common passwords (common-passwords.txt, its source named there), or
// the person's name or the local part of their e-mail address, or contain them. Compared without
// regard to case. The operator's FLAGMETER_ADMIN_PASSWORD is not held to it (only to its length).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { AppError } from '../core/errors.ts';
import { projectRoot } from '../paths.ts';

/** Parts of a name shorter than this are refused only as the whole password ("al" is in too many). */
const MIN_CONTAINED = 4;

let common: Set<string> | undefined;
function commonPasswords(): Set<string> {
  common ??= new Set(readFileSync(path.join(projectRoot, 'server', 'people', 'common-passwords.txt'), 'utf8')
    .split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#')));
  return common;
}

/** Why this password may not be chosen by the person `name`, or undefined when it may. */
export function passwordProblem(password: string, name: string): string | undefined {
  const p = password.toLowerCase();
  if (commonPasswords().has(p)) return 'is one of the most common passwords, the first an attacker tries: choose another';
  const n = name.toLowerCase();
  const parts = [...new Set([n, n.split('@')[0]!])].filter((s) => s !== '');
  if (parts.includes(p)) return 'must not be your name';
  const inside = parts.find((s) => s.length >= MIN_CONTAINED && p.includes(s));
  if (inside) return `must not contain your name ('${inside}')`;
  return undefined;
}

/** 400 weak_password naming the password field, when `password` may not be chosen by `name`. */
export function assertPasswordAllowed(password: string, name: string): void {
  const problem = passwordProblem(password, name);
  if (problem) {
    throw new AppError(400, 'weak_password', `The password ${problem}.`, { details: [{ field: 'password', message: problem }] });
  }
}
