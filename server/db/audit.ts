// The audit log: every admin change (tenants, keys, people, flags, webhooks) commits with its entry
// (audited), and the log is read through report.audit_log (listAudit, a flag's history).
import type pg from 'pg';
import { withTransaction, type Pool } from './pool.ts';
import { maskUrlIn } from '../core/mask.ts';

export interface AuditEntry {
  action: string; target: string; before: unknown; after: unknown;
  /** Secret URLs (webhooks) the entry may quote, in any form: masked (maskUrlIn) wherever they appear in before or after. */
  secrets?: (string | null | undefined)[];
}

/** Who made a change: a key, a person (signed in), or nobody (bootstrap, a failed sign-in). `Caller` is one. */
export interface Actor { keyDbId: number | null; person?: { id: number } | null }

/** An entry's object as stored: JSON, with every quotation of its secrets masked (a masked URL holds no character JSON escapes). */
function storedJson(value: unknown, secrets: AuditEntry['secrets']): string {
  let json = JSON.stringify(value ?? null);
  for (const url of secrets ?? []) if (url) json = maskUrlIn(json, url);
  return json;
}

export async function appendAudit(client: pg.ClientBase, actor: Actor | undefined, audit: AuditEntry): Promise<void> {
  await client.query(
    `insert into flagmeter.audit_log (key_id, person_id, action, target, before, after) values ($1::bigint, $2::bigint, $3::text, $4::text, $5::jsonb, $6::jsonb)`,
    [actor?.keyDbId ?? null, actor?.person?.id ?? null, audit.action, audit.target, storedJson(audit.before, audit.secrets), storedJson(audit.after, audit.secrets)]);
}

/** Runs fn in a transaction and appends its audit entry (when it returns one) before committing. */
export async function audited<T>(pool: Pool, actor: Actor | undefined, fn: (client: pg.PoolClient) => Promise<{ result: T; audit?: AuditEntry }>): Promise<T> {
  return withTransaction(pool, async (client) => {
    const { result, audit } = await fn(client);
    if (audit) await appendAudit(client, actor, audit);
    return result;
  });
}

export interface AuditActor { kind: 'person' | 'key' | 'nobody'; name: string | null }

export interface AuditView {
  id: number; at: string; keyId: string | null; keyName: string | null; personName: string | null; actor: AuditActor;
  action: string; target: string; before: unknown; after: unknown;
}

/** A report.audit_log row as the API answers it (the admin audit and a flag's history alike). */
export const toAuditView = (r: Record<string, any>): AuditView => ({
  id: Number(r.id), at: new Date(r.at).toISOString(), keyId: r.key_id, keyName: r.key_name, personName: r.person_name,
  actor: { kind: r.actor_kind ?? 'nobody', name: r.actor_name ?? null },
  action: r.action, target: r.target, before: r.before, after: r.after,
});

export interface AuditFilter { limit: number; tenant?: string | undefined; actor?: string | undefined; action?: string | undefined }

// A change concerns a tenant when its entry is keyed to the tenant (by id: flagmeter.audit_tenant_id
// decides, when it is written), or when it is a deletion of a tenant of that slug, which outlives it.
// Entries of an earlier tenant that had the slug were deleted with it: a new tenant never sees them.
export async function listAudit(pool: Pool, f: AuditFilter): Promise<AuditView[]> {
  const { rows } = await pool.query(
    `select * from report.audit_log
     where ($2::text is null or tenant = $2::text or (tenant is null and target = 'tenant:' || $2::text and action = 'tenant.delete'))
       and ($3::text is null or key_id = $3::text or person_name = $3::text or actor_name = $3::text)
       and ($4::text is null or action = $4::text or action like $4::text || '.%')
     order by id desc limit $1::int`,
    [f.limit, f.tenant ?? null, f.actor ?? null, f.action ?? null]);
  return rows.map(toAuditView);
}
