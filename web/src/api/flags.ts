// The flag API as the flags page uses it: environments, a tenant's flags, writes, promotion, a flag's history.
import { query, request } from './http.ts';
import type { Environment, FlagAuditItem, FlagInput, FlagItem, FlagList, PromoteInput, PromoteResult } from './types.ts';

export const fetchEnvironments = () => request<{ environments: Environment[] }>('/api/environments').then((r) => r.environments);
export const fetchFlags = (tenant: string, env: string) => request<FlagList>(`/api/features?${query({ tenant, env, pageSize: 500 })}`);
export const saveFlag = (flag: FlagInput) => request<FlagItem>('/api/features', { method: 'POST', body: flag });
export const deleteFlag = (tenant: string, env: string, key: string) => request<unknown>(`/api/features?${query({ tenant, env, key })}`, { method: 'DELETE' });
export const promote = (p: PromoteInput) => request<PromoteResult>('/api/features/promote', { method: 'POST', body: p });
export const fetchHistory = (tenant: string, env: string, key: string) =>
  request<{ items: FlagAuditItem[] }>(`/api/audit-logs?${query({ tenant, env, key, pageSize: 50 })}`).then((r) => r.items);

/** A flag as the upsert wants it, from what the list shows (its own copy when it was inherited). */
export function toInput(f: FlagItem, tenant: string): FlagInput {
  return {
    tenant, env: f.env, key: f.key, description: f.description, enabled: f.enabled, strategy: f.strategy,
    ...(f.percentage === null ? {} : { percentage: f.percentage }), allow: f.allow, deny: f.deny,
    ...(f.group === null ? {} : { group: f.group }), type: f.type,
    ...(f.type === 'string' ? { onValue: f.onValue ?? '', offValue: f.offValue ?? '' } : {}), quotaRules: f.quotaRules,
  };
}
