// Shapes of the API's answers: the server's own types, so the two cannot drift apart. Type-only
// imports: nothing of the server ends up in the bundle.
import type { AlertView } from '../../../server/db/alerts.ts';
import type { FeatureUsage, Usage } from '../../../server/db/tenants.ts';

export type { Bucket, UsageSeries } from '../../../server/db/series.ts';
export type { FeatureUsage };
export type TenantUsage = Usage;
export type Alert = AlertView;
/** One limit of a tenant as the usage body shows it (flagmeter.tenant_limits_json): feature null is the quota. */
export interface LimitView { feature: string | null; limit: number; hard: boolean; used: number; reserved: number; remaining: number; overage: number; percent: number }
export interface TenantDetail extends TenantUsage { features: FeatureUsage[]; limits?: LimitView[] }
