// The first person, `admin`, with every scope. FLAGMETER_ADMIN_PASSWORD sets its password at every
// start (creating the person, or resetting a forgotten password: its sessions then end, and it is
// enabled again with every scope). Without it, the first start generates a password, which the
// caller prints once with the generated keys (server/auth/bootstrap.ts).
import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import type { Config } from '../config.ts';
import { SCOPES } from '../auth/keys.ts';
import { findPerson, insertPerson, revokeSessions, setPassword, unbindPerson, updatePerson } from '../db/people.ts';
import { checkPassword, hashPassword } from './passwords.ts';
import type { Logger } from '../log.ts';

export const ADMIN_NAME = 'admin';

/** Returns the generated password when one was made (to print once), else undefined. */
export async function bootstrapAdminPerson(client: pg.ClientBase, config: Pick<Config, 'FLAGMETER_ADMIN_PASSWORD'>, log: Logger): Promise<string | undefined> {
  const existing = await findPerson(client, ADMIN_NAME, true);
  const wanted = config.FLAGMETER_ADMIN_PASSWORD;
  if (wanted === undefined) {
    if (existing) return undefined;
    const generated = randomBytes(18).toString('base64url');
    await insertPerson(client, { name: ADMIN_NAME, passwordHash: await hashPassword(generated), scopes: [...SCOPES], tenantId: null });
    return generated;
  }
  if (!existing) {
    await insertPerson(client, { name: ADMIN_NAME, passwordHash: await hashPassword(wanted), scopes: [...SCOPES], tenantId: null });
    log.info('the console\'s first person, admin, was created with FLAGMETER_ADMIN_PASSWORD');
  } else if (!(await checkPassword(existing.passwordHash, wanted)) || existing.disabledAt || existing.tenant) {
    await setPassword(client, existing.id, await hashPassword(wanted));
    await unbindPerson(client, existing.id);
    await updatePerson(client, existing.id, { scopes: [...SCOPES], disabled: false });
    await revokeSessions(client, existing.id);
    log.warn('the password of admin was reset from FLAGMETER_ADMIN_PASSWORD; its sessions ended');
  }
  return undefined;
}
