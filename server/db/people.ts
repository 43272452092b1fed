// People, their sessions and invitations. Passwords and tokens never reach this module in clear:
// only argon2id hashes (passwords) and SHA-256 hashes (tokens) are written.
import type pg from 'pg';
import type { Pool } from './pool.ts';
import type { Scope } from '../auth/keys.ts';

type Db = Pool | pg.ClientBase;

export interface PersonView {
  name: string; scopes: Scope[]; tenant: string | null; createdAt: string; passwordChangedAt: string; disabledAt: string | null;
}

export interface PersonRecord extends PersonView { id: number; passwordHash: string }

const columns = `p.id, p.name, p.password_hash, p.scopes, t.slug, p.created_at, p.password_changed_at, p.disabled_at`;
const from = `flagmeter.people p left join flagmeter.tenants t on t.id = p.tenant_id`;
const toRecord = (r: Record<string, any>): PersonRecord => ({
  id: r.id, name: r.name, passwordHash: r.password_hash, scopes: r.scopes, tenant: r.slug,
  createdAt: r.created_at.toISOString(), passwordChangedAt: r.password_changed_at.toISOString(), disabledAt: r.disabled_at?.toISOString() ?? null,
});
/** What lists, answers and the audit log show: never the hash. */
export const toView = ({ id: _id, passwordHash: _hash, ...view }: PersonRecord): PersonView => view;

export async function findPerson(db: Db, name: string, lock = false): Promise<PersonRecord | undefined> {
  const { rows: [r] } = await db.query(`select ${columns} from ${from} where p.name = $1::text${lock ? ' for update of p' : ''}`, [name]);
  return r && toRecord(r);
}

export async function listPeople(db: Db): Promise<PersonView[]> {
  const { rows } = await db.query(`select ${columns} from ${from} order by p.name`);
  return rows.map((r) => toView(toRecord(r)));
}

export async function insertPerson(db: Db, p: { name: string; passwordHash: string; scopes: Scope[]; tenantId: number | null }): Promise<PersonRecord> {
  await db.query(`insert into flagmeter.people (name, password_hash, scopes, tenant_id) values ($1::text, $2::text, $3::text[], $4::bigint)`,
    [p.name, p.passwordHash, p.scopes, p.tenantId]);
  return (await findPerson(db, p.name))!;
}

/** Applies the fields that are present; disabling also ends every session of the person. */
export async function updatePerson(db: Db, id: number, change: { scopes?: Scope[]; disabled?: boolean }): Promise<void> {
  await db.query(
    `update flagmeter.people set
       scopes = coalesce($2::text[], scopes),
       disabled_at = case when $3::boolean is null then disabled_at when $3::boolean then coalesce(disabled_at, now()) else null end
     where id = $1::bigint`,
    [id, change.scopes ?? null, change.disabled ?? null]);
  if (change.disabled) await revokeSessions(db, id);
}

export async function setPassword(db: Db, id: number, passwordHash: string): Promise<void> {
  await db.query(`update flagmeter.people set password_hash = $2::text, password_changed_at = now() where id = $1::bigint`, [id, passwordHash]);
}

/** Ends the person's sessions, all of them or all but one; returns how many ended. */
export async function revokeSessions(db: Db, personId: number, except: number | null = null): Promise<number> {
  const { rowCount } = await db.query(
    `update flagmeter.sessions set revoked_at = now()
     where person_id = $1::bigint and revoked_at is null and id is distinct from $2::bigint`, [personId, except]);
  return rowCount ?? 0;
}

export async function createSession(db: Db, s: { hash: Buffer; personId: number; maxHours: number; address: string | undefined }): Promise<number> {
  const { rows: [r] } = await db.query<{ id: number }>(
    `insert into flagmeter.sessions (token_hash, person_id, expires_at, address)
     values ($1::bytea, $2::bigint, now() + make_interval(hours => $3::int), $4::text) returning id`,
    [s.hash, s.personId, s.maxHours, s.address ?? null]);
  return r!.id;
}

export interface SessionRecord { sessionId: number; stale: boolean; personId: number; name: string; scopes: Scope[]; tenant: string | null }

/** A live session (s) of an enabled person (p): not revoked, not past its end, not idle longer than $2 minutes. */
const LIVE = `s.revoked_at is null and s.expires_at > now()
       and s.last_seen_at > now() - make_interval(mins => $2::int) and p.disabled_at is null`;

/** The live session with this token hash: not revoked, not idle too long, not past its end, its person enabled. */
export async function resolveSession(db: Db, hash: Buffer, idleMinutes: number): Promise<SessionRecord | undefined> {
  const { rows: [r] } = await db.query({
    name: 'resolve_session',
    text: `select s.id, s.last_seen_at < now() - interval '1 minute' as stale, p.id as person_id, p.name, p.scopes, t.slug
     from flagmeter.sessions s join flagmeter.people p on p.id = s.person_id left join flagmeter.tenants t on t.id = p.tenant_id
     where s.token_hash = $1::bytea and ${LIVE}`,
    values: [hash, idleMinutes],
  });
  return r && { sessionId: r.id, stale: r.stale, personId: r.person_id, name: r.name, scopes: r.scopes, tenant: r.slug };
}

/** Which of these sessions are still live (for open streams, which outlast their request's check). */
export async function liveSessions(db: Db, ids: number[], idleMinutes: number): Promise<Set<number>> {
  const { rows } = await db.query<{ id: number }>(
    `select s.id from flagmeter.sessions s join flagmeter.people p on p.id = s.person_id
     where s.id = any ($1::bigint[]) and ${LIVE}`, [ids, idleMinutes]);
  return new Set(rows.map((r) => Number(r.id)));
}

/** Keeps the idle clock to within a minute without a write on every request. */
export async function touchSession(db: Db, sessionId: number): Promise<void> {
  await db.query(`update flagmeter.sessions set last_seen_at = now() where id = $1::bigint`, [sessionId]);
}

export async function endSession(db: Db, sessionId: number): Promise<void> {
  await db.query(`update flagmeter.sessions set revoked_at = coalesce(revoked_at, now()) where id = $1::bigint`, [sessionId]);
}

export async function insertInvitation(db: Db, inv: {
  hash: Buffer; scopes: Scope[]; tenantId: number | null; name: string | null; ttlHours: number; byKey: number | null; byPerson: number | null;
}): Promise<{ id: number; expiresAt: string }> {
  const { rows: [r] } = await db.query<{ id: string; expires_at: Date }>(
    `insert into flagmeter.invitations (token_hash, scopes, tenant_id, name, expires_at, created_by_key, created_by_person)
     values ($1::bytea, $2::text[], $3::bigint, $4::text, now() + make_interval(hours => $5::int), $6::bigint, $7::bigint) returning id, expires_at`,
    [inv.hash, inv.scopes, inv.tenantId, inv.name, inv.ttlHours, inv.byKey, inv.byPerson]);
  return { id: Number(r!.id), expiresAt: r!.expires_at.toISOString() };
}

/** An invitation as the admin API lists it: never its token (only a hash of it is stored anyway). */
export interface InvitationView {
  id: number; scopes: Scope[]; tenant: string | null; name: string | null; createdAt: string; expiresAt: string;
  createdByKeyId: string | null; createdByKeyName: string | null; createdByPerson: string | null;
  status: 'pending' | 'used' | 'revoked' | 'expired';
}

const invitationSql = `
  select i.id, i.scopes, t.slug, i.name, i.created_at, i.expires_at, k.key_id, k.name as key_name, p.name as person_name,
    case when i.used_at is not null then 'used' when i.revoked_at is not null then 'revoked'
         when i.expires_at <= now() then 'expired' else 'pending' end as status
  from flagmeter.invitations i
  left join flagmeter.tenants t on t.id = i.tenant_id
  left join flagmeter.api_keys k on k.id = i.created_by_key
  left join flagmeter.people p on p.id = i.created_by_person`;
const toInvitation = (r: Record<string, any>): InvitationView => ({
  id: Number(r.id), scopes: r.scopes, tenant: r.slug, name: r.name, createdAt: r.created_at.toISOString(), expiresAt: r.expires_at.toISOString(),
  createdByKeyId: r.key_id, createdByKeyName: r.key_name, createdByPerson: r.person_name, status: r.status,
});

/** Invitations that can still be used (not used, not revoked, not expired), oldest first. */
export async function listPendingInvitations(db: Db): Promise<InvitationView[]> {
  const { rows } = await db.query(`${invitationSql}
    where i.used_at is null and i.revoked_at is null and i.expires_at > now() order by i.created_at, i.id`);
  return rows.map(toInvitation);
}

/** One invitation, locked until the transaction ends (undefined: no such id). */
export async function findInvitation(db: Db, id: number): Promise<InvitationView | undefined> {
  const { rows: [r] } = await db.query(`${invitationSql} where i.id = $1::bigint for update of i`, [id]);
  return r && toInvitation(r);
}

export async function revokeInvitation(db: Db, id: number): Promise<void> {
  await db.query(`update flagmeter.invitations set revoked_at = now() where id = $1::bigint and revoked_at is null`, [id]);
}

export interface InvitationRecord { id: number; scopes: Scope[]; tenantId: number | null; tenant: string | null; name: string | null }

/** Takes an unused, unexpired invitation (locked until the transaction ends), or undefined. */
export async function takeInvitation(db: Db, hash: Buffer): Promise<InvitationRecord | undefined> {
  const { rows: [r] } = await db.query(
    `select i.id, i.scopes, i.tenant_id, t.slug, i.name from flagmeter.invitations i left join flagmeter.tenants t on t.id = i.tenant_id
     where i.token_hash = $1::bytea and i.used_at is null and i.revoked_at is null and i.expires_at > now() for update of i`, [hash]);
  return r && { id: r.id, scopes: r.scopes, tenantId: r.tenant_id, tenant: r.slug, name: r.name };
}

export async function markInvitationUsed(db: Db, id: number, personId: number): Promise<void> {
  await db.query(`update flagmeter.invitations set used_at = now(), used_by = $2::bigint where id = $1::bigint`, [id, personId]);
}

/** Makes a person installation-wide again (no tenant). */
export async function unbindPerson(db: Db, id: number): Promise<void> {
  await db.query(`update flagmeter.people set tenant_id = null where id = $1::bigint`, [id]);
}
