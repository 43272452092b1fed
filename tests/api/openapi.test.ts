// The OpenAPI document validates and lists exactly the routes Express serves.
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { validate } from '@readme/openapi-parser';
import { startTestApp } from '../helpers/app.ts';
import { createTestDb, type TestDb } from '../helpers/db.ts';
import type { FlagMeter } from '../../server/runtime.ts';

let db: TestDb;
let app: FlagMeter;
beforeAll(async () => {
  db = await createTestDb();
  app = await startTestApp(db.url);
});
afterAll(async () => {
  await app.stop();
  await db.drop();
});

/** Every [METHOD path] Express has a route for, walking nested routers and their mount paths. */
function expressRoutes(stack: any[], prefix = ''): string[] {
  return stack.flatMap((layer) => {
    if (layer.route) {
      return Object.keys(layer.route.methods).filter((m) => m !== '_all').map((m) => `${m.toUpperCase()} ${prefix}${layer.route.path}`);
    }
    const mount = typeof layer.rawPath === 'string' && layer.rawPath !== '/' ? layer.rawPath : '';
    return layer.handle?.stack ? expressRoutes(layer.handle.stack, prefix + mount) : [];
  });
}

test('the document is valid OpenAPI 3.1', async () => {
  const doc = await (await fetch(`${app.url}/api/openapi.json`)).json();
  expect(doc.openapi).toBe('3.1.0');
  const result = await validate(structuredClone(doc));
  expect(result.valid ? [] : result.errors).toEqual([]);
});

test('it lists every route the app serves, and no other', async () => {
  const doc = await (await fetch(`${app.url}/api/openapi.json`)).json();
  const documented = Object.entries(doc.paths).flatMap(([path, ops]) =>
    Object.keys(ops as object).map((m) => `${m.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`)).sort();
  // the two HTML pages (the dashboard and /docs) are not part of the API
  const pages = new Set(['GET /docs', 'GET /,/index.html']);
  const served = [...new Set(expressRoutes((app.app as any).router.stack))].filter((r) => !pages.has(r)).sort();
  expect(served).toEqual(documented);
  expect(served.length).toBeGreaterThan(15);
});

test('/docs renders every operation', async () => {
  const res = await fetch(`${app.url}/docs`);
  expect(res.headers.get('content-type')).toMatch(/text\/html/);
  expect(res.headers.get('content-security-policy')).toContain("default-src 'self'");
  const html = await res.text();
  expect(html).toContain('/api/events');
  expect(html).toContain('/api/tenants/{tenant}/webhook');
});
