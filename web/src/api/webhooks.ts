// Generic webhook endpoints for an admin: list, register (the signing secret comes back this once),
// change, rotate the secret, delete; an endpoint's delivery log and resending one.
import { request } from './http.ts';
import type { DeliveryView, EndpointCreated, EndpointView, EventType, SecretRotated } from './types.ts';

const endpointPath = (id: number) => `/api/webhooks/${id}`;

export const fetchEndpoints = () => request<{ endpoints: EndpointView[] }>('/api/webhooks').then((r) => r.endpoints);
export const createEndpoint = (body: { url: string | undefined; eventTypes: EventType[]; tenant?: string; description?: string }) =>
  request<EndpointCreated>('/api/webhooks', { method: 'POST', body });
export const changeEndpoint = (id: number, body: { eventTypes?: EventType[]; enabled?: boolean }) =>
  request<EndpointView>(endpointPath(id), { method: 'PATCH', body });
export const rotateSecret = (id: number) => request<SecretRotated>(`${endpointPath(id)}/rotate-secret`, { method: 'POST', body: {} });
export const deleteEndpoint = (id: number) => request<unknown>(endpointPath(id), { method: 'DELETE' });
export const fetchDeliveries = (id: number, limit = 50) =>
  request<{ deliveries: DeliveryView[] }>(`${endpointPath(id)}/deliveries?limit=${limit}`).then((r) => r.deliveries);
export const resend = (id: number, delivery: number) => request<DeliveryView>(`${endpointPath(id)}/deliveries/${delivery}/resend`, { method: 'POST' });
