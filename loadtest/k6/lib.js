// The request mix shared by every scenario: 80% POST /api/events (one event), 20% GET /api/usage/:tenant,
// spread over the tenants in TENANTS. Plain k6 JavaScript, no build step.
import http from 'k6/http';
import { check } from 'k6';

export const BASE_URL = (__ENV.BASE_URL || 'http://localhost:3000').replace(/\/$/, '');
export const TENANTS = (__ENV.TENANTS || 'acme-corp,globex-inc,initech-llc').split(',').map((t) => t.trim()).filter(Boolean);
const FEATURES = ['gpt-4o', 'gpt-4o-mini', 'claude-sonnet', 'text-embedding-3'];
// FlagMeter requires an API key (ingest + read scopes) unless FLAGMETER_AUTH=false.
const AUTH = __ENV.API_KEY ? { Authorization: `Bearer ${__ENV.API_KEY}` } : {};
const JSON_HEADERS = { headers: { 'Content-Type': 'application/json', ...AUTH } };

// The same budget for every scenario (issue 8): P99 ≤ 200 ms, fewer than 0.1% failed requests.
// A 503 (buffer full, Retry-After) counts as failed: it is backpressure, not success.
export const thresholds = {
  http_req_duration: ['p(99)<=200'],
  http_req_failed: ['rate<0.001'],
  checks: ['rate>0.999'],
};

const pick = (list) => list[Math.floor(Math.random() * list.length)];

export function postEvent() {
  const body = JSON.stringify({
    tenant: pick(TENANTS),
    feature: pick(FEATURES),
    tokens: 1 + Math.floor(Math.random() * 1000),
    user: `user-${Math.floor(Math.random() * 100)}`,
  });
  const res = http.post(`${BASE_URL}/api/events`, body, { ...JSON_HEADERS, tags: { name: 'POST /api/events' } });
  check(res, { 'event stored (201)': (r) => r.status === 201 });
}

export function getUsage() {
  const tenant = pick(TENANTS);
  const res = http.get(`${BASE_URL}/api/usage/${encodeURIComponent(tenant)}`, { headers: AUTH, tags: { name: 'GET /api/usage/:tenant' } });
  check(res, { 'usage read (200)': (r) => r.status === 200 });
}

/** One iteration: the 80/20 mix. */
export function mix() {
  if (Math.random() < 0.8) postEvent();
  else getUsage();
}

/** Fails fast when the API is not up or a tenant is missing, instead of reporting 100% errors. */
export function setup() {
  for (const tenant of TENANTS) {
    const res = http.get(`${BASE_URL}/api/usage/${encodeURIComponent(tenant)}`, { headers: AUTH });
    if (res.status === 401 || res.status === 403) throw new Error(`GET /api/usage/${tenant} answered ${res.status}: set API_KEY to a key with the ingest and read scopes`);
    if (res.status !== 200) throw new Error(`GET /api/usage/${tenant} answered ${res.status}: is FlagMeter up at ${BASE_URL} with that tenant?`);
  }
}
