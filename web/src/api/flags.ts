// The flag API as the flags page uses it: the same key and error handling as api.ts, plus writes.
import { ApiError } from './http.ts';
import { apiKey, authHeaders, isKeyRefusal, refused } from '../session.ts';

export type Strategy = 'boolean' | 'percentage' | 'targeting';
export interface QuotaRule { atPercent: number; serve: boolean | string; feature?: string }
export interface FlagInput {
  tenant?: string; env: string; key: string; description: string; enabled: boolean; strategy: Strategy;
  percentage?: number; allow: string[]; deny: string[]; group?: string; type: 'boolean' | 'string';
  onValue?: string; offValue?: string; quotaRules: QuotaRule[];
}
export interface FlagItem {
  tenant: string | null; env: string; key: string; description: string; enabled: boolean; strategy: Strategy;
  percentage: number | null; allow: string[]; deny: string[]; group: string | null; type: 'boolean' | 'string';
  onValue: string | null; offValue: string | null; quotaRules: QuotaRule[]; version: number; updatedAt: string;
  inherited: boolean; summary: string; evaluations24h: number; byValue24h: Record<string, number>;
  lastEvaluatedAt: string | null; stale: boolean; activeQuotaRule: (QuotaRule & { percent: number }) | null;
}
export interface FlagList { items: FlagItem[]; total: number; canWrite: boolean }
export interface Environment { name: string; position: number; flags: number }
export interface AuditItem { id: number; at: string; keyId: string | null; keyName: string | null; action: string; target: string; before: any; after: any }
export interface PromoteItem { key: string; before: FlagItem | null; after: FlagItem | null }
export interface PromoteResult { dryRun: boolean; created: PromoteItem[]; updated: PromoteItem[]; unchanged: string[]; conflicting: PromoteItem[]; skipped: string[] }
export interface PromoteInput { tenant: string; from: string; to: string; dryRun: boolean; conflictPolicy: 'skip' | 'overwrite' | 'fail' }

async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
  const key = apiKey.peek();
  let res: Response;
  try {
    res = await fetch(path, {
      method, cache: 'no-store',
      headers: { accept: 'application/json', ...authHeaders(key), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, 'network', 'Cannot reach the FlagMeter API.');
  }
  const data = await res.json().catch(() => undefined);
  if (!res.ok) {
    const error = data?.error;
    if (isKeyRefusal(res.status, error?.code) && method === 'GET') refused(key, error?.message ?? 'The API key was refused.', res.status);
    const detail = error?.details?.map((d: { field: string; message: string }) => `${d.field}: ${d.message}`).join('; ');
    throw new ApiError(res.status, error?.code ?? 'http_error', detail || error?.message || `The API answered ${res.status}.`);
  }
  return data as T;
}

const q = (params: Record<string, string | number | undefined>) =>
  new URLSearchParams(Object.entries(params).filter(([, v]) => v !== undefined).map(([k, v]) => [k, String(v)])).toString();

export const fetchEnvironments = () => request<{ environments: Environment[] }>('GET', '/api/environments').then((r) => r.environments);
export const fetchFlags = (tenant: string, env: string) => request<FlagList>('GET', `/api/features?${q({ tenant, env, pageSize: 500 })}`);
export const saveFlag = (flag: FlagInput) => request<FlagItem>('POST', '/api/features', flag);
export const deleteFlag = (tenant: string, env: string, key: string) => request<unknown>('DELETE', `/api/features?${q({ tenant, env, key })}`);
export const promote = (p: PromoteInput) => request<PromoteResult>('POST', '/api/features/promote', p);
export const fetchHistory = (tenant: string, env: string, key: string) =>
  request<{ items: AuditItem[] }>('GET', `/api/audit-logs?${q({ tenant, env, key, pageSize: 50 })}`).then((r) => r.items);

/** A flag as the upsert wants it, from what the list shows (its own copy when it was inherited). */
export function toInput(f: FlagItem, tenant: string): FlagInput {
  return {
    tenant, env: f.env, key: f.key, description: f.description, enabled: f.enabled, strategy: f.strategy,
    ...(f.percentage === null ? {} : { percentage: f.percentage }), allow: f.allow, deny: f.deny,
    ...(f.group === null ? {} : { group: f.group }), type: f.type,
    ...(f.type === 'string' ? { onValue: f.onValue ?? '', offValue: f.offValue ?? '' } : {}), quotaRules: f.quotaRules,
  };
}
