#!/usr/bin/env node
// `npx flagmeter <role>`: runs server/main.ts on Node 24 whatever `node` the shell finds. Plain
// JavaScript, so an older Node (the system's Node 20) can run this far: it then hands over to the
// Node 24 that the `node` devDependency installs in node_modules.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const main = path.join(root, 'server', 'main.ts');

if (Number(process.versions.node.split('.')[0]) >= 24) {
  await import(main);
} else {
  const node24 = path.join(root, 'node_modules', 'node', 'bin', 'node');
  if (!existsSync(node24)) {
    console.error(`flagmeter needs Node 24 (this is Node ${process.versions.node}): run npm install (it installs one in node_modules), or use Node 24.`);
    process.exit(2);
  }
  const child = spawn(node24, [main, ...process.argv.slice(2)], { stdio: 'inherit' });
  // Ctrl-C reaches the child from the terminal itself (same process group): passing SIGINT on as
  // well would be a second signal, which means "exit now". A SIGTERM (kill <pid>) is passed on.
  process.on('SIGINT', () => undefined);
  process.on('SIGTERM', () => child.kill('SIGTERM'));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
}
