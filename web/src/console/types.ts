// The answers of the admin API: the server's own types (type-only imports, nothing of the server
// reaches the bundle).
export type { TenantSettings, AuditView } from '../../../server/db/admin.ts';
export type { KeyView } from '../../../server/db/keys.ts';
export type { PersonView } from '../../../server/db/people.ts';
export type { DeliveryView, EndpointView, EventType } from '../../../server/db/webhooks.ts';
export interface WebhookTest { delivered: boolean; status: number | null; error: string | null; ms: number }
export interface Invitation { token: string; url: string; expiresAt: string; scopes: string[]; tenant: string | null; name: string | null }
