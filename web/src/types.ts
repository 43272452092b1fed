// Shapes of the API's answers: the server's own types, so the two cannot drift apart. Type-only
// imports: nothing of the server ends up in the bundle.
import type { AlertView } from '../../server/db/alerts.ts';
import type { FeatureUsage, Usage } from '../../server/db/tenants.ts';

export type { Bucket, UsageSeries } from '../../server/db/series.ts';
export type { FeatureUsage };
export type TenantUsage = Usage;
export type Alert = AlertView;
export interface TenantDetail extends TenantUsage { features: FeatureUsage[] }
