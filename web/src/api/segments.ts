// The segment API (/api/segments): a tenant's segments and the global ones, each with the flags that use it.
import { query, request } from './http.ts';
import type { SegmentInput, SegmentList, SegmentWritten } from './types.ts';

export const fetchSegments = (tenant: string) => request<SegmentList>(`/api/segments?${query({ tenant })}`);
export const saveSegment = (s: SegmentInput) => request<SegmentWritten>('/api/segments', { method: 'POST', body: s });
/** tenant undefined: the global segment of that name (admin). */
export const deleteSegment = (tenant: string | undefined, name: string) => request<unknown>(`/api/segments?${query({ tenant, name })}`, { method: 'DELETE' });
