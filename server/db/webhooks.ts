// Generic webhook endpoints, their delivery log, and what the delivery worker reads and records.
import type pg from 'pg';
import type { Pool } from './pool.ts';
import { isoUtc } from './alerts.ts';

type Db = Pool | pg.ClientBase;

export const EVENT_TYPES = ['quota.threshold_crossed', 'quota.exhausted', 'flag.changed', 'reservation.expired', 'tenant.created', 'tenant.deleted'] as const;
export type EventType = typeof EVENT_TYPES[number];

export interface EndpointView {
  id: number;
  /** Null: the installation's endpoint (every tenant's events). */
  tenant: string | null;
  url: string;
  description: string;
  eventTypes: EventType[];
  enabled: boolean;
  disabledReason: string | null;
  consecutiveFailures: number;
  /** Set while a rotated-out secret still signs too. */
  previousSecretExpiresAt: string | null;
  createdAt: string;
  updatedAt: string;
}

const endpointJson = (e: string) => `json_build_object(
  'id', ${e}.id, 'tenant', (select slug from flagmeter.tenants t where t.id = ${e}.tenant_id), 'url', ${e}.url,
  'description', ${e}.description, 'eventTypes', ${e}.event_types, 'enabled', ${e}.enabled, 'disabledReason', ${e}.disabled_reason,
  'consecutiveFailures', ${e}.consecutive_failures,
  'previousSecretExpiresAt', case when ${e}.previous_secret_expires_at > now() then ${isoUtc(`${e}.previous_secret_expires_at`)} end,
  'createdAt', ${isoUtc(`${e}.created_at`)}, 'updatedAt', ${isoUtc(`${e}.updated_at`)})`;

/** Endpoints of one tenant, of the installation (tenant null), or (all) every one. */
export async function listEndpoints(db: Db, filter: { tenant?: string | null; all?: boolean }): Promise<EndpointView[]> {
  const { rows } = await db.query<{ e: EndpointView }>(
    `select ${endpointJson('e')} as e from flagmeter.webhook_endpoints e
     where $1::boolean or e.tenant_id is not distinct from (select id from flagmeter.tenants where slug = $2::text)
     order by e.id`, [filter.all === true, filter.tenant ?? null]);
  return rows.map((r) => r.e);
}

export async function getEndpoint(db: Db, id: number, lock = false): Promise<EndpointView | undefined> {
  const { rows: [r] } = await db.query<{ e: EndpointView }>(
    `select ${endpointJson('e')} as e from flagmeter.webhook_endpoints e where e.id = $1::bigint${lock ? ' for update' : ''}`, [id]);
  return r?.e;
}

export async function insertEndpoint(client: pg.ClientBase, input: { tenantId: number | null; url: string; description: string; eventTypes: string[]; enabled: boolean; secret: string }): Promise<EndpointView> {
  const { rows: [r] } = await client.query<{ id: number }>(
    `insert into flagmeter.webhook_endpoints (tenant_id, url, description, event_types, enabled, secret)
     values ($1::bigint, $2::text, $3::text, $4::text[], $5::boolean, $6::text) returning id`,
    [input.tenantId, input.url, input.description, input.eventTypes, input.enabled, input.secret]);
  return (await getEndpoint(client, r!.id))!;
}

export async function updateEndpoint(client: pg.ClientBase, id: number, change: { url?: string; description?: string; eventTypes?: string[]; enabled?: boolean }): Promise<void> {
  // enabling again starts the failure count afresh and forgets why the worker disabled it
  await client.query(
    `update flagmeter.webhook_endpoints set
       url = coalesce($2::text, url), description = coalesce($3::text, description),
       event_types = coalesce($4::text[], event_types), enabled = coalesce($5::boolean, enabled),
       consecutive_failures = case when $5::boolean then 0 else consecutive_failures end,
       disabled_reason = case when $5::boolean is not null then null else disabled_reason end,
       updated_at = now()
     where id = $1::bigint`,
    [id, change.url ?? null, change.description ?? null, change.eventTypes ?? null, change.enabled ?? null]);
}

export async function deleteEndpoint(client: pg.ClientBase, id: number): Promise<void> {
  await client.query('delete from flagmeter.webhook_endpoints where id = $1::bigint', [id]);
}

/** A new secret; the current one keeps signing until `overlapSeconds` from now. */
export async function rotateSecret(client: pg.ClientBase, id: number, secret: string, overlapSeconds: number): Promise<void> {
  await client.query(
    `update flagmeter.webhook_endpoints set
       previous_secret = case when $3::integer > 0 then secret end,
       previous_secret_expires_at = case when $3::integer > 0 then now() + make_interval(secs => $3::integer) end,
       secret = $2::text, updated_at = now()
     where id = $1::bigint`, [id, secret, overlapSeconds]);
}

export type DeliveryStatus = 'pending' | 'delivered' | 'failed';
export interface DeliveryView {
  id: number; eventId: number; type: EventType; subject: string; status: DeliveryStatus; attempts: number;
  lastStatus: number | null; lastError: string | null; nextAttemptAt: string | null; lastAttemptAt: string | null;
  deliveredAt: string | null; createdAt: string;
}

const deliveryJson = (d: string, ev: string) => `json_build_object(
  'id', ${d}.id, 'eventId', ${d}.event_id, 'type', ${ev}.type, 'subject', ${d}.subject, 'status', ${d}.status, 'attempts', ${d}.attempts,
  'lastStatus', ${d}.last_status, 'lastError', ${d}.last_error,
  'nextAttemptAt', case when ${d}.status = 'pending' then ${isoUtc(`${d}.next_attempt_at`)} end,
  'lastAttemptAt', ${isoUtc(`${d}.last_attempt_at`)}, 'deliveredAt', ${isoUtc(`${d}.delivered_at`)}, 'createdAt', ${isoUtc(`${d}.created_at`)})`;

/** The delivery log of one endpoint, newest first. */
export async function listDeliveries(db: Db, endpointId: number, limit: number): Promise<DeliveryView[]> {
  const { rows } = await db.query<{ d: DeliveryView }>(
    `select ${deliveryJson('d', 'ev')} as d from flagmeter.webhook_deliveries d join flagmeter.webhook_events ev on ev.id = d.event_id
     where d.endpoint_id = $1::bigint order by d.id desc limit $2::integer`, [endpointId, limit]);
  return rows.map((r) => r.d);
}

/** Sends a delivery again: pending, due now, attempts counted afresh. */
export async function resendDelivery(client: pg.ClientBase, endpointId: number, deliveryId: number): Promise<DeliveryView | undefined> {
  const { rows: [r] } = await client.query<{ d: DeliveryView }>(
    `with d as (
       update flagmeter.webhook_deliveries set status = 'pending', attempts = 0, next_attempt_at = now(), last_error = null, last_status = null
       where id = $2::bigint and endpoint_id = $1::bigint returning *)
     select ${deliveryJson('d', 'ev')} as d from d join flagmeter.webhook_events ev on ev.id = d.event_id`, [endpointId, deliveryId]);
  return r?.d;
}

/** Endpoints with a delivery due (enabled ones only). */
export async function dueEndpoints(db: Db): Promise<number[]> {
  const { rows } = await db.query<{ id: number }>(
    `select e.id from flagmeter.webhook_endpoints e
     where e.enabled and exists (select 1 from flagmeter.webhook_deliveries d
                                 where d.endpoint_id = e.id and d.status = 'pending' and d.next_attempt_at <= now())`);
  return rows.map((r) => Number(r.id));
}

export interface EndpointForDelivery {
  id: number; tenant: string | null; url: string; enabled: boolean; secrets: string[]; consecutiveFailures: number;
}

/** Locks the endpoint for one delivery; undefined when another worker holds it (that one carries on) or it is gone. */
export async function lockEndpointForDelivery(client: pg.ClientBase, id: number): Promise<EndpointForDelivery | undefined> {
  const { rows: [r] } = await client.query(
    `select e.id, (select slug from flagmeter.tenants t where t.id = e.tenant_id) as tenant, e.url, e.enabled, e.secret,
       case when e.previous_secret_expires_at > now() then e.previous_secret end as previous_secret, e.consecutive_failures
     from flagmeter.webhook_endpoints e where e.id = $1::bigint for update skip locked`, [id]);
  return r && {
    id: Number(r.id), tenant: r.tenant, url: r.url, enabled: r.enabled,
    secrets: [r.secret, ...(r.previous_secret ? [r.previous_secret] : [])], consecutiveFailures: r.consecutive_failures,
  };
}

export interface DueDelivery { id: number; eventId: number; attempts: number; body: string }

/**
 * The endpoint's next due delivery: the oldest whose subject has no older one still pending, so
 * one flag's changes arrive in the order they were made, however retries fall.
 */
export async function nextDueDelivery(client: pg.ClientBase, endpointId: number): Promise<DueDelivery | undefined> {
  const { rows: [r] } = await client.query(
    `select d.id, d.event_id, d.attempts, ev.payload::text as body
     from flagmeter.webhook_deliveries d join flagmeter.webhook_events ev on ev.id = d.event_id
     where d.endpoint_id = $1::bigint and d.status = 'pending' and d.next_attempt_at <= now()
       and not exists (select 1 from flagmeter.webhook_deliveries o
                       where o.endpoint_id = d.endpoint_id and o.subject = d.subject and o.status = 'pending' and o.event_id < d.event_id)
     order by d.event_id limit 1`, [endpointId]);
  return r && { id: Number(r.id), eventId: Number(r.event_id), attempts: r.attempts, body: r.body };
}

export async function recordDeliveryAttempt(
  client: pg.ClientBase, d: { id: number; endpointId: number },
  state: { status: DeliveryStatus; httpStatus: number | null; error: string | null; nextAttemptAt?: Date },
): Promise<void> {
  await client.query(
    `update flagmeter.webhook_deliveries set status = $2::text, attempts = attempts + 1, last_attempt_at = now(),
       last_status = $3::integer, last_error = $4::text, next_attempt_at = coalesce($5::timestamptz, next_attempt_at),
       delivered_at = case when $2::text = 'delivered' then now() end
     where id = $1::bigint`, [d.id, state.status, state.httpStatus, state.error, state.nextAttemptAt ?? null]);
  await client.query(
    `update flagmeter.webhook_endpoints set consecutive_failures = case when $2::boolean then 0 else consecutive_failures + 1 end
     where id = $1::bigint`, [d.endpointId, state.status === 'delivered']);
}

/** Deletes events (and their delivery log) older than the retention whose deliveries are all done. */
export async function pruneWebhookEvents(db: Db, keepDays: number): Promise<number> {
  const { rowCount } = await db.query(
    `delete from flagmeter.webhook_events ev
     where ev.created_at < now() - make_interval(days => $1::integer)
       and not exists (select 1 from flagmeter.webhook_deliveries d where d.event_id = ev.id and d.status = 'pending')`, [keepDays]);
  return rowCount ?? 0;
}

/** Disables an endpoint (the worker, after repeated failures); its pending deliveries wait for it to be enabled again. */
export async function disableEndpoint(client: pg.ClientBase, id: number, reason: string): Promise<void> {
  await client.query(
    `update flagmeter.webhook_endpoints set enabled = false, disabled_reason = $2::text, updated_at = now() where id = $1::bigint`, [id, reason]);
}
