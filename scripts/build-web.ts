// Bundles the dashboard (web/) into web/dist: minified, content-hashed assets with source maps and
// an index.html that names them. Run directly (`node scripts/build-web.ts`) or call buildWeb().
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import * as esbuild from 'esbuild';
import { projectRoot as root } from '../server/paths.ts';

const webDir = path.join(root, 'web');
export const defaultOutDir = path.join(webDir, 'dist');
/** The whole page (html + js + css) over the wire, gzipped. */
export const BUDGET_GZIP_BYTES = 90 * 1024;

export interface WebBuild { outDir: string; files: string[]; bytes: number; gzipBytes: number }

const escapeAttr = (s: string) => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;');

export async function buildWeb(outDir: string = defaultOutDir): Promise<WebBuild> {
  await rm(outDir, { recursive: true, force: true });
  const assetsDir = path.join(outDir, 'assets');
  await mkdir(assetsDir, { recursive: true });
  const result = await esbuild.build({
    absWorkingDir: root,
    entryPoints: { app: path.join(webDir, 'src/main.tsx') },
    outdir: assetsDir,
    entryNames: '[name]-[hash]',
    assetNames: '[name]-[hash]',
    bundle: true,
    minify: true,
    sourcemap: 'linked',
    format: 'esm',
    target: ['es2022', 'chrome110', 'firefox110', 'safari16'],
    jsx: 'automatic',
    jsxImportSource: 'preact',
    define: { 'process.env.NODE_ENV': '"production"' },
    metafile: true,
    logLevel: 'silent',
  });
  const outputs = Object.keys(result.metafile.outputs).map((f) => path.resolve(root, f));
  const js = outputs.find((f) => f.endsWith('.js'));
  const css = outputs.find((f) => f.endsWith('.css'));
  if (!js || !css) throw new Error(`esbuild produced no ${js ? 'CSS' : 'JS'} bundle`);
  const href = (f: string) => escapeAttr(`/assets/${path.basename(f)}`);

  const template = await readFile(path.join(webDir, 'index.html'), 'utf8');
  const html = template
    .replace('<!-- styles -->', `<link rel="stylesheet" href="${href(css)}">`)
    .replace('<!-- scripts -->', `<script type="module" src="${href(js)}"></script>`);
  await writeFile(path.join(outDir, 'index.html'), html);

  let bytes = 0;
  let gzipBytes = 0;
  for (const f of [path.join(outDir, 'index.html'), js, css]) {
    const content = await readFile(f);
    bytes += content.length;
    gzipBytes += gzipSync(content, { level: 9 }).length;
  }
  const files = [path.join(outDir, 'index.html'), ...outputs];
  return { outDir, files: files.map((f) => path.relative(outDir, f)), bytes, gzipBytes };
}

if (import.meta.main) {
  const build = await buildWeb(process.argv[2] ? path.resolve(process.argv[2]) : undefined);
  const kb = (n: number) => `${(n / 1024).toFixed(1)} kB`;
  console.log(`web: ${build.files.join(', ')} → ${path.relative(process.cwd(), build.outDir) || '.'}`);
  console.log(`web: ${kb(build.bytes)} minified, ${kb(build.gzipBytes)} gzipped (budget ${kb(BUDGET_GZIP_BYTES)})`);
  if (build.gzipBytes > BUDGET_GZIP_BYTES) {
    console.error('web: over the gzipped size budget');
    process.exit(1);
  }
}
