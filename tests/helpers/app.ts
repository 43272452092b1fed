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

/** Two servers on one database (replicas); the first is stopped again if the second cannot start. */
export async function startReplicaPair(databaseUrl: string, env: Record<string, string> = {}): Promise<[FlagMeter, FlagMeter]> {
  const a = await startTestApp(databaseUrl, env);
  const b = await startTestApp(databaseUrl, env).catch(async (err) => { await a.stop(); throw err; });
  return [a, b];
}

/** Whether every one of these servers reports Valkey up (its health check). */
export async function valkeyUp(apps: FlagMeter[]): Promise<boolean> {
  const stats = await Promise.all(apps.map((s) => fetch(`${s.url}/api/health`).then((r) => r.json())));
  return stats.every((s: any) => s.services.valkey === 'up');
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
