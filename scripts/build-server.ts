// Bundles the server (server/main.ts and everything it imports from server/) into one JavaScript
// file, dist/flagmeter.mjs, which the container image runs. npm packages stay external (they are
// installed next to it). Why: Node's TypeScript type stripping keeps its transpiler in memory, about
// 30 MB of every process's RSS (README, "Load tests"); the bundle needs none of it. Run directly
// (`node scripts/build-server.ts`) or call buildServer().
import path from 'node:path';
import * as esbuild from 'esbuild';
import { projectRoot as root } from '../server/paths.ts';

export const defaultOutFile = path.join(root, 'dist', 'flagmeter.mjs');

export async function buildServer(outfile: string = defaultOutFile): Promise<string> {
  await esbuild.build({
    absWorkingDir: root,
    entryPoints: [path.join(root, 'server', 'main.ts')],
    outfile,
    bundle: true,
    packages: 'external',
    platform: 'node',
    format: 'esm',
    target: 'node24',
    // readable stack traces without source maps: nothing is renamed or minified
    minify: false,
    logLevel: 'warning',
  });
  return outfile;
}

if (import.meta.main) {
  const out = await buildServer();
  console.log(`built ${path.relative(root, out)}`);
}
