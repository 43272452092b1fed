// Who and where a flag or segment request is about: the tenant (a tenant-bound key's own when
// omitted; none: the global flags and segments, written with admin keys only) and the environment.
import { AppError } from '../../core/errors.ts';
import { assertTenantAllowed, type Caller } from '../../auth/middleware.ts';
import { hasScope } from '../../auth/keys.ts';
import { environmentByName, type Scope } from '../../db/flags.ts';
import type { Pool } from '../../db/pool.ts';
import { tenantIdOf } from '../../db/tenants.ts';
import type { AppDeps } from '../../deps.ts';

export const badField = (field: string, message: string, code = 'invalid_request') => new AppError(400, code, message, { details: [{ field, message }] });

/** The tenant a request is about: its own for a tenant-bound key when omitted; null: the global flags. */
export function tenantOf(caller: Caller | undefined, tenant: string | undefined, forWrite: boolean): string | null {
  if (tenant !== undefined) {
    assertTenantAllowed(caller, tenant);
    return tenant;
  }
  if (forWrite) {
    if (!caller || !hasScope(caller.scopes, 'admin') || caller.tenant) {
      throw new AppError(403, 'forbidden_global', 'Global flags (no tenant) are written with admin keys only; name the tenant.');
    }
    return null;
  }
  return caller?.tenant ?? null;
}

export async function scopeOf(pool: Pool, tenant: string | null, env: string, field = 'env'): Promise<Scope> {
  const [tenantId, environment] = await Promise.all([tenant === null ? null : tenantIdOf(pool, tenant), environmentByName(pool, env)]);
  if (tenant !== null && tenantId === undefined) throw badField('tenant', `No tenant '${tenant}'.`, 'unknown_tenant');
  if (!environment) throw badField(field, `No environment '${env}' (see GET /api/environments).`, 'unknown_environment');
  return { tenantId: tenantId ?? null, tenant, envId: environment.id, env: environment.name };
}

/** As scopeOf, from memory (the tenant cache and the flag service's environments): what a list or a 304 reads. */
export async function cachedScopeOf({ tenants, flags }: Pick<AppDeps, 'tenants' | 'flags'>, tenant: string | null, env: string): Promise<Scope> {
  const [ref, environment] = await Promise.all([tenant === null ? null : tenants.resolve([tenant]).then((m) => m.get(tenant)), flags.environment(env)]);
  if (tenant !== null && !ref) throw badField('tenant', `No tenant '${tenant}'.`, 'unknown_tenant');
  if (!environment) throw badField('env', `No environment '${env}' (see GET /api/environments).`, 'unknown_environment');
  return { tenantId: ref?.id ?? null, tenant, envId: environment.id, env: environment.name };
}

/** The tenant's id (null: global), or a 400 naming the field. */
export async function tenantScope(pool: Pool, tenant: string | null): Promise<{ tenantId: number | null; tenant: string | null }> {
  if (tenant === null) return { tenantId: null, tenant };
  const tenantId = await tenantIdOf(pool, tenant);
  if (tenantId === undefined) throw badField('tenant', `No tenant '${tenant}'.`, 'unknown_tenant');
  return { tenantId, tenant };
}
