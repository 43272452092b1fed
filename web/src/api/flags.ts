// The flag API as the flags page uses it: environments, a tenant's flags, writes, promotion, import and export, a flag's history, the playground.
import { query, request } from './http.ts';
import type { EnvironmentList, FlagAuditItem, FlagInput, FlagItem, FlagList, FlagsImportInput, FlagsImportResult, PlaygroundInput, PlaygroundResult, PromoteInput, PromoteResult } from './types.ts';

export const fetchEnvironments = () => request<EnvironmentList>('/api/environments');
export const fetchFlags = (tenant: string, env: string) => request<FlagList>(`/api/features?${query({ tenant, env, pageSize: 500 })}`);
export const saveFlag = (flag: FlagInput) => request<FlagItem>('/api/features', { method: 'POST', body: flag });
/** Creates a flag and never replaces one: an existing key is refused (412 flag_exists). */
export const createFlag = (flag: FlagInput) => request<FlagItem>('/api/features', { method: 'POST', body: flag, headers: { 'if-none-match': '*' } });
/** How many flags a tenant sees in an environment (its own and the inherited global ones). */
export const countFlags = (tenant: string, env: string) => request<FlagList>(`/api/features?${query({ tenant, env, pageSize: 1 })}`).then((r) => r.total);
export const deleteFlag = (tenant: string, env: string, key: string) => request<unknown>(`/api/features?${query({ tenant, env, key })}`, { method: 'DELETE' });
export const promote = (p: PromoteInput) => request<PromoteResult>('/api/features/promote', { method: 'POST', body: p });
/** Every flag's value for a context, and why (not counted). */
/** A tenant's own flags and segments of one environment, as the document POST /api/flags/import takes. */
export const exportPath = (tenant: string, env: string) => `/api/flags/export?${query({ tenant, env })}`;
export const importFlags = (b: FlagsImportInput) => request<FlagsImportResult>('/api/flags/import', { method: 'POST', body: b });
export const playground = (p: PlaygroundInput) => request<PlaygroundResult>('/api/flags/playground', { method: 'POST', body: p });
export const fetchHistory = (tenant: string, env: string, key: string) =>
  request<{ items: FlagAuditItem[] }>(`/api/audit-logs?${query({ tenant, env, key, pageSize: 50 })}`).then((r) => r.items);

/**
 * A flag as the upsert wants it, from what the list shows (its own copy when it was inherited). A
 * flat rule goes as the flat fields the editor edits; a richer one (strategy custom: constraints,
 * segments, variants, parents) goes as it is, so toggling it never rewrites its rule.
 */
export function toInput(f: FlagItem, tenant: string): FlagInput {
  const common = { tenant, env: f.env, key: f.key, description: f.description, enabled: f.enabled, type: f.type, quotaRules: f.quotaRules };
  if (f.strategy === 'custom') {
    return { ...common, onValue: f.onValue ?? undefined, offValue: f.offValue ?? undefined, strategies: f.strategies, variants: f.variants, stickiness: f.stickiness, dependencies: f.dependencies };
  }
  return {
    ...common, strategy: f.strategy,
    ...(f.percentage === null ? {} : { percentage: f.percentage }), allow: f.allow, deny: f.deny,
    ...(f.group === null ? {} : { group: f.group }),
    ...(f.type === 'string' ? { onValue: f.onValue ?? '', offValue: f.offValue ?? '' } : {}),
  };
}
