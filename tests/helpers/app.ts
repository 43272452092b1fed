// Starts a real FlagMeter (HTTP server + batch writer) on a test database, on a free port.
import { loadConfig } from '../../server/config.ts';
import { startFlagMeter, type FlagMeter, type Role } from '../../server/runtime.ts';
import { silentLog } from './db.ts';

export async function startTestApp(databaseUrl: string, env: Record<string, string> = {}, role: Role = 'serve'): Promise<FlagMeter> {
  const config = loadConfig({
    DATABASE_URL: databaseUrl, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent', FLAGMETER_DEMO: 'false',
    TENANT_CACHE_TTL_MS: '0', USAGE_CACHE_TTL_MS: '0', FLAGMETER_AUTH: 'false', ...env,
  });
  return startFlagMeter(config, role, silentLog);
}

export async function post(base: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: any; headers: Headers }> {
  const res = await fetch(`${base}/api/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined, headers: res.headers };
}

export async function get(base: string, path: string): Promise<{ status: number; body: any }> {
  const res = await fetch(`${base}${path}`);
  return { status: res.status, body: await res.json() };
}
