// The page's shared state: every tenant's usage (fed by the live stream) and the connection.
import { computed, signal } from '@preact/signals';
import type { TenantUsage } from './api/types.ts';

export type Connection =
  | { state: 'connecting' }
  | { state: 'live' }
  /** The server wants an API key before it says anything. */
  | { state: 'locked' }
  | { state: 'disconnected'; retryAt: number; since: number };

/** undefined until the first snapshot: "loading", not "no tenants". */
export const tenants = signal<Map<string, TenantUsage> | undefined>(undefined);
export const connection = signal<Connection>({ state: 'connecting' });
/** Set while the server says its database is not answering. */
export const databaseDown = signal<string | undefined>(undefined);
export const lastUpdate = signal<number | undefined>(undefined);

export const tenantList = computed(() => (tenants.value ? [...tenants.value.values()] : undefined));

export function applySnapshot(rows: TenantUsage[]): void {
  tenants.value = new Map(rows.map((r) => [r.tenant, r]));
  lastUpdate.value = Date.now();
}

/** Back to "nothing known": what a refused key may no longer see. */
export function clearTenants(): void {
  tenants.value = undefined;
  lastUpdate.value = undefined;
  databaseDown.value = undefined;
}

export function applyChanges(rows: TenantUsage[], removed: string[]): void {
  const next = new Map(tenants.value);
  for (const r of rows) next.set(r.tenant, r);
  for (const slug of removed) next.delete(slug);
  tenants.value = next;
  lastUpdate.value = Date.now();
}
