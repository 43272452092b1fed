// The first admin key: FLAGMETER_ADMIN_KEY when set, otherwise one generated and printed once,
// when no admin key exists. In demo mode, keys for trying the API are made with the demo tenants.
// The console's first person, admin, is made here too (server/people/bootstrap.ts); a generated
// password is printed (and, in demo mode, kept) with the keys.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Config } from '../config.ts';
import { withTransaction, type Pool } from '../db/pool.ts';
import { countAdminKeys, findKey, insertKey, lockKeyBootstrap } from '../db/keys.ts';
import { tenantIdOf } from '../db/tenants.ts';
import type { Logger } from '../log.ts';
import { ADMIN_NAME, bootstrapAdminPerson } from '../people/bootstrap.ts';
import { generateKey, hashKey, parseKey, type Scope } from './keys.ts';

interface Printed { name: string; key: string; scopes: Scope[]; tenant?: string }

function banner(keys: Printed[], savedTo?: string): string {
  const lines = keys.map((k) => `  ${k.name.padEnd(26)} ${k.key}   (${k.scopes.join(', ')}${k.tenant ? `; tenant ${k.tenant} only` : ''})`);
  return ['', '='.repeat(100), 'FlagMeter API keys and console passwords, shown once (only their hashes are stored):', ...lines,
    ...(savedTo ? [`  (demo mode: also written to ${savedTo})`] : []), '='.repeat(100), ''].join('\n');
}

export async function bootstrapKeys(pool: Pool, config: Config, log: Logger, demoTenant?: string): Promise<void> {
  const printed: Printed[] = [];
  await withTransaction(pool, async (client) => {
    await lockKeyBootstrap(client);
    const add = async (name: string, scopes: Scope[], tenant?: string) => {
      const fresh = generateKey();
      const tenantId = tenant ? (await tenantIdOf(client, tenant)) ?? null : null;
      await insertKey(client, { keyId: fresh.keyId, hash: fresh.hash, name, scopes, tenantId, createdBy: null });
      printed.push({ name, key: fresh.key, scopes, ...(tenant ? { tenant } : {}) });
    };

    if (config.FLAGMETER_ADMIN_KEY) {
      const keyId = parseKey(config.FLAGMETER_ADMIN_KEY)!;
      if (!(await findKey(client, keyId))) {
        await insertKey(client, { keyId, hash: hashKey(config.FLAGMETER_ADMIN_KEY), name: 'admin (FLAGMETER_ADMIN_KEY)', scopes: ['admin', 'read', 'ingest'], tenantId: null, createdBy: null });
        log.info({ keyId }, 'admin key from FLAGMETER_ADMIN_KEY registered');
      }
    } else if ((await countAdminKeys(client)) === 0) {
      await add('admin (generated)', ['admin', 'read', 'ingest']);
    }
    const password = await bootstrapAdminPerson(client, config, log);
    if (password) printed.push({ name: `console sign-in: ${ADMIN_NAME}`, key: password, scopes: ['admin', 'read', 'ingest', 'flags', 'evaluate', 'check'] });
    if (demoTenant) {
      await add('demo ingest (all tenants)', ['ingest']);
      await add('demo dashboard (read)', ['read']);
      await add(`demo ${demoTenant}`, ['ingest', 'read'], demoTenant);
    }
  });
  if (printed.length === 0) return;
  // A demo's keys are also kept in its data folder (0600) so a restarted demo can still be used.
  const savedTo = demoTenant && !config.DATABASE_URL ? path.join(config.FLAGMETER_DATA_DIR, 'demo-keys.txt') : undefined;
  if (savedTo) await writeFile(savedTo, printed.map((k) => `${k.name}\t${k.key}`).join('\n') + '\n', { mode: 0o600 });
  process.stderr.write(banner(printed, savedTo));
  log.warn({ keys: printed.map((k) => k.name) }, 'API keys (or the admin password) were created and printed once on stderr');
}
