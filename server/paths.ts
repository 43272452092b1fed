// Where the project's files are (package.json, sql/, web/dist), found by walking up from this
// module to the folder holding package.json: the same code then works run as TypeScript from
// server/ and bundled into dist/flagmeter.mjs, which the container image runs.
import { existsSync } from 'node:fs';
import path from 'node:path';

function findRoot(from: string): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'package.json'))) return dir;
    if (dir === path.dirname(dir)) throw new Error(`no package.json above ${from}: FlagMeter's files must stay next to it`);
  }
}

export const projectRoot = findRoot(import.meta.dirname);
