// The console from a build of its own, for a browser test running alongside dashboard.browser.test.ts:
// that one rebuilds web/dist, which the server would otherwise serve from under our feet. The
// page's own requests (/, /assets/…) are answered from a temp dir; /api and /auth go to the real server.
// Used by openConsole (chromium.ts), not by tests directly.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { BrowserContext } from 'playwright-core';
import { buildWeb } from '../../scripts/build-web.ts';

const types: Record<string, string> = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.css': 'text/css', '.map': 'application/json' };

/** Builds the dashboard and serves it to `context` for `origin`; returns a cleanup. */
export async function serveOwnBuild(context: BrowserContext, origin: string): Promise<() => Promise<void>> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'flagmeter-web-'));
  await buildWeb(dir);
  await context.route((url) => url.origin === origin && !url.pathname.startsWith('/api/') && !url.pathname.startsWith('/auth/'), async (route) => {
    const { pathname } = new URL(route.request().url());
    const file = path.join(dir, pathname === '/' ? 'index.html' : path.normalize(pathname));
    if (!file.startsWith(dir)) return route.fulfill({ status: 404 });
    try {
      await route.fulfill({ body: await readFile(file), contentType: types[path.extname(file)] ?? 'application/octet-stream' });
    } catch {
      await route.fulfill({ status: 404 });
    }
  });
  return () => rm(dir, { recursive: true, force: true });
}
