// Shapes of the API's answers (server/db/*.ts), as the dashboard reads them.

export interface TenantUsage {
  tenant: string;
  tenantName: string;
  totalTokens: number;
  monthlyQuota: number;
  quotaPercent: number;
  eventCount: number;
  periodStart: string;
  periodEnd: string;
  billingDay: number;
  timezone: string;
}

export interface FeatureUsage { feature: string; tokens: number; eventCount: number; percent: number }

export interface TenantDetail extends TenantUsage { features: FeatureUsage[] }

export type Bucket = 'hour' | 'day';

export interface UsageSeries {
  tenant: string;
  bucket: Bucket;
  timezone: string;
  periodStart: string;
  periodEnd: string;
  quota: number;
  points: { t: string; tokens: number; cumulative: number }[];
}

export interface Alert {
  id: string | number;
  tenant: string;
  threshold: number;
  periodStart: string;
  usedTokens: number;
  quota: number;
  percent: number;
  /** skipped: no Slack webhook configured for the tenant. */
  status: 'pending' | 'delivered' | 'failed' | 'skipped';
  attempts: number;
  lastError: string | null;
  createdAt: string;
  deliveredAt: string | null;
}
