// The audit log for an admin, filtered by tenant, actor and action.
import { request } from './http.ts';
import type { AuditView } from './types.ts';

export function fetchAudit(filter: Record<string, string>, limit = 200): Promise<AuditView[]> {
  const q = new URLSearchParams(Object.entries(filter).filter(([, v]) => v));
  q.set('limit', String(limit));
  return request<{ entries: AuditView[] }>(`/api/audit?${q}`).then((r) => r.entries);
}
