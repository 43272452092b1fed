// Serves the built dashboard (web/dist) at `/`. Asset names carry a content hash, so they are
// cached for a year; index.html is revalidated on every load so a deploy shows up at once.
import { existsSync } from 'node:fs';
import path from 'node:path';
import express, { Router } from 'express';
import { projectRoot } from '../paths.ts';

export const defaultWebDir = path.join(projectRoot, 'web', 'dist');

const notBuilt = `<!doctype html><meta charset="utf-8"><title>FlagMeter: dashboard not built</title>
<body style="font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:4rem auto;padding:0 1rem">
<h1>The dashboard is not built</h1>
<p>This FlagMeter serves its API, but <code>web/dist</code> is missing. Run <code>npm run build:web</code>
and reload this page. The API is described at <a href="/docs">/docs</a>.</p>`;

export function staticSite(dir: string = defaultWebDir): Router {
  const router = Router();
  const index = path.join(dir, 'index.html');

  router.use('/assets', express.static(path.join(dir, 'assets'), {
    index: false, immutable: true, maxAge: '1y', fallthrough: true,
  }));
  router.get(['/', '/index.html'], (_req, res, next) => {
    // checked per request so `npm run build:web` works without restarting the server
    if (!existsSync(index)) {
      res.status(503).set({ 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store', 'Retry-After': '10' }).send(notBuilt);
      return;
    }
    res.set('Cache-Control', 'no-cache');
    res.sendFile(index, { cacheControl: false }, (err) => { if (err) next(err); });
  });
  return router;
}
