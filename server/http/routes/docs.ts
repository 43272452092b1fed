// GET /api/openapi.json and a readable /docs page rendered from it (no client-side code).
import { Router } from 'express';
import { openApiDocument } from '../openapi.ts';
import type { RouteDoc } from '../route-doc.ts';
import { securityHeaders } from '../security-headers.ts';
import { escapeHtml as escape } from '../../core/html.ts';

function docsPage(routeDocs: RouteDoc[], doc: ReturnType<typeof openApiDocument>): string {
  const ops = routeDocs.map((r) => {
    const op = doc.paths[r.path]![r.method] as { requestBody?: { content: Record<string, { schema: unknown }> }; parameters?: { name: string; in: string; required: boolean }[]; responses: Record<string, { description: string }> };
    const params = op.parameters?.map((p) => `<code>${escape(p.name)}</code> (${p.in}${p.required ? ', required' : ''})`).join(', ');
    const body = op.requestBody ? `<details><summary>Request body</summary><pre>${escape(JSON.stringify(op.requestBody.content['application/json']!.schema, null, 2))}</pre></details>` : '';
    // every status the operation documents, the shared ones (401, 415, 503, …) included
    const responses = Object.entries(op.responses).map(([s, d]) => `<li><code>${s}</code> ${escape(d.description)}</li>`).join('');
    return `<section id="${r.method}-${escape(r.path)}"><h2><span class="m ${r.method}">${r.method.toUpperCase()}</span> <code>${escape(r.path)}</code></h2>
      <p>${escape(r.summary)}</p><p class="scope">${r.scope ? `Scope: <code>${r.scope}</code>` : 'Public'}${params ? ` · Parameters: ${params}` : ''}</p>${body}<ul>${responses}</ul></section>`;
  }).join('\n');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>FlagMeter API</title><style>
body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#1f2937}
h1{margin-bottom:0}section{border-top:1px solid #e5e7eb;padding:.5rem 0}h2{font-size:1.05rem;margin:.6rem 0 .2rem}
.m{display:inline-block;min-width:4.2rem;text-align:center;border-radius:4px;color:#fff;font-size:.8rem;padding:.1rem .3rem}
.get{background:#2563eb}.post{background:#059669}.put,.patch{background:#d97706}.delete{background:#dc2626}
.scope{color:#6b7280;margin:.2rem 0}pre{background:#f3f4f6;padding:.6rem;overflow:auto;font-size:.8rem}code{font-size:.9em}
</style></head><body><h1>${escape(doc.info.title)} <small>${escape(doc.info.version)}</small></h1>
<p>${escape(doc.info.description)} The machine-readable document: <a href="/api/openapi.json">/api/openapi.json</a> (OpenAPI 3.1).</p>
${ops}</body></html>`;
}

export function docsRouter(routeDocs: RouteDoc[], version: string): Router {
  const router = Router();
  const doc = openApiDocument(routeDocs, version);
  const page = docsPage(routeDocs, doc);
  router.get('/api/openapi.json', (_req, res) => { res.json(doc); });
  router.get('/docs', securityHeaders, (_req, res) => { res.type('html').send(page); });
  return router;
}
