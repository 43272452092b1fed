// A real FlagMeter for the SDK tests: its own database, keys on, an admin key, and an SDK key with
// ingest + evaluate; plus what a test reads back (tokens counted per tenant, straight from SQL).
import { startTestApp } from '../helpers/app.ts';
import { addTenants, createTestDb, type TestDb } from '../helpers/db.ts';
import type { FlagMeter as App } from '../../server/runtime.ts';

export interface SdkServer {
  db: TestDb;
  app: App;
  url: string;
  adminKey: string;
  /** ingest + evaluate, not bound to a tenant: what an operator's backend would use */
  key: string;
  admin(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }>;
  /** counted events of a tenant: how many rows, their token sum, and rows per idempotency key */
  counted(tenant: string): Promise<{ events: number; tokens: number; maxPerId: number }>;
  /** starts the app again on the same database and port (after app.stop()) */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export async function startSdkServer(tenants: { slug: string; quota?: number }[], env: Record<string, string> = {}): Promise<SdkServer> {
  const adminKey = `fm_live_sdkadmin0001_${'S'.repeat(32)}`;
  const db = await createTestDb();
  await addTenants(db.pool, tenants);
  const fullEnv = { FLAGMETER_AUTH: 'true', FLAGMETER_ADMIN_KEY: adminKey, ...env };
  let app = await startTestApp(db.url, fullEnv);
  const port = new URL(app.url).port;
  const admin = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${app.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${adminKey}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  };
  const made = await admin('POST', '/api/keys', { name: 'sdk', scopes: ['ingest', 'evaluate'] });
  if (made.status !== 201) throw new Error(`key: ${made.status} ${JSON.stringify(made.body)}`);
  const server: SdkServer = {
    db, app, url: app.url, adminKey, key: made.body.key, admin,
    async counted(tenant) {
      const { rows: [r] } = await db.pool.query(
        `select count(*)::int as events, coalesce(sum(e.tokens), 0)::int as tokens,
                coalesce(max(n), 0)::int as "maxPerId"
         from flagmeter.events e join flagmeter.tenants t on t.id = e.tenant_id
         left join (select idempotency_key, count(*) n from flagmeter.events group by 1) k on k.idempotency_key = e.idempotency_key
         where t.slug = $1::text`, [tenant]);
      return r;
    },
    async restart() {
      app = await startTestApp(db.url, { ...fullEnv, PORT: port });
      server.app = app;
    },
    async stop() {
      await app.stop().catch(() => {});
      await db.drop();
    },
  };
  return server;
}
