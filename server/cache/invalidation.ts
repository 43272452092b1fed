// Tells every replica that a tenant or a key changed. The replica that made the change drops its own
// entries at once; with Valkey it also clears the shared usage entries and PUBLISHes the change, and
// every replica drops its in-process entries (tenant lookups, key lookups) when the message arrives.
// Without Valkey, or while it is away, other replicas catch up when their TTLs expire, as before.
import { randomUUID } from 'node:crypto';
import type { KeyCache } from '../auth/key-cache.ts';
import type { Logger } from '../log.ts';
import type { TenantCache } from '../tenant-cache.ts';
import { isReady, type Valkey } from '../valkey/connection.ts';
import type { UsageCache } from './usage-cache.ts';
import type { FlagChange } from '../flags/store.ts';

export interface Invalidator {
  /** A tenant was created, changed or deleted (settings or webhook). Never throws. */
  tenantChanged(slug: string): Promise<void>;
  /**
   * A tenant was deleted: as tenantChanged, and every replica forgets the keys bound to it at once
   * (they were deleted with it; a cached one must not act on a new tenant that takes the slug). Never throws.
   */
  tenantDeleted(slug: string, tenantId: number): Promise<void>;
  /** A key was revoked. Never throws. */
  keyRevoked(keyId: string): Promise<void>;
  /** A flag was written (tenantId null: a global flag), or the environments changed ('environments'). Never throws. */
  flagsChanged(change: FlagChange | 'environments'): Promise<void>;
  close(): void;
}

export interface InvalidatorDeps {
  valkey: Valkey | undefined;
  tenants: TenantCache;
  keys: KeyCache | undefined;
  usageCache: UsageCache;
  log: Logger;
  /** The in-process flag sets (server/flags/store.ts). */
  flags?: { drop(change: FlagChange): void; clear(): void };
}

type Message = { from: string; tenant?: string; deletedTenantId?: number; key?: string; flags?: FlagChange | 'environments' };

export function makeInvalidator(deps: InvalidatorDeps): Invalidator {
  const { valkey, tenants, keys, usageCache, log, flags } = deps;
  const dropFlags = (change: FlagChange | 'environments') => (change === 'environments' ? flags?.clear() : flags?.drop(change));
  const self = randomUUID();
  // channels are not keys: ioredis does not prefix them, so the deployment's prefix is added here
  const channel = `${valkey?.options.keyPrefix ?? ''}invalidate`;

  const dropTenant = (slug: string) => {
    tenants.invalidate();
    usageCache.dropLocal(slug);
  };

  const publish = async (message: Omit<Message, 'from'>) => {
    if (!isReady(valkey)) return;
    await valkey.publish(channel, JSON.stringify({ from: self, ...message }))
      .catch((err: Error) => log.warn({ err: err.message, ...message }, 'could not tell the other replicas about a change; they pick it up within their cache TTLs'));
  };

  const subscriber = valkey ? subscribe(valkey, channel, self, log, {
    message: (m) => {
      if (m.tenant !== undefined) dropTenant(m.tenant);
      if (m.deletedTenantId !== undefined) keys?.forgetTenant(m.deletedTenantId);
      if (m.key !== undefined) keys?.forget(m.key);
      if (m.flags !== undefined) dropFlags(m.flags);
    },
    // messages sent while we were not listening are lost: forget everything instead
    resubscribed: () => {
      tenants.invalidate();
      keys?.clear();
      flags?.clear();
    },
  }) : undefined;

  return {
    async tenantChanged(slug) {
      tenants.invalidate();
      await usageCache.drop(slug);
      await publish({ tenant: slug });
    },
    async tenantDeleted(slug, tenantId) {
      tenants.invalidate();
      keys?.forgetTenant(tenantId);
      await usageCache.drop(slug);
      await publish({ tenant: slug, deletedTenantId: tenantId });
    },
    async keyRevoked(keyId) {
      keys?.forget(keyId);
      await publish({ key: keyId });
    },
    async flagsChanged(change) {
      dropFlags(change);
      await publish({ flags: change });
    },
    close() {
      subscriber?.disconnect();
    },
  };
}

function subscribe(valkey: Valkey, channel: string, self: string, log: Logger,
  on: { message(m: Message): void; resubscribed(): void }): Valkey {
  // a connection in subscriber mode can run no other command, hence a second one
  const sub = valkey.duplicate({ autoResubscribe: false });
  let subscribedBefore = false;
  sub.on('error', () => undefined); // the main connection already logs outages
  sub.on('ready', () => {
    sub.subscribe(channel).then(() => {
      if (subscribedBefore) on.resubscribed();
      subscribedBefore = true;
    }, (err: Error) => log.warn({ err: err.message }, 'could not subscribe to cache invalidations'));
  });
  sub.on('message', (from: string, text: string) => {
    if (from !== channel) return;
    try {
      const m = JSON.parse(text) as Message;
      if (m.from !== self) on.message(m);
    } catch {
      log.warn({ channel }, 'ignored a malformed cache invalidation message');
    }
  });
  return sub;
}
