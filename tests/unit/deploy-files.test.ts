// No Docker engine runs here: check what can be checked of the deploy files without one.
import { readFileSync } from 'node:fs';
import { describe, expect, test } from '@jest/globals';
import { parse } from 'yaml';
import { configKeys } from '../../server/config.ts';

const read = (file: string) => readFileSync(new URL(`../../${file}`, import.meta.url), 'utf8');

describe.each(['compose.yml', 'coolify.yaml'])('%s', (file) => {
  const doc = parse(read(file));
  test('parses, runs PostgreSQL 18, migrates before the app starts', () => {
    expect(doc.services.postgres.image).toMatch(/^postgres:18/);
    expect(doc.services.postgres.healthcheck.test.join(' ')).toContain('pg_isready');
    expect(doc.services.migrate.command).toEqual(['migrate']);
    expect(doc.services.app.depends_on.migrate.condition).toBe('service_completed_successfully');
    expect(doc.services.migrate.depends_on.postgres.condition).toBe('service_healthy');
    expect(doc.services.worker.command).toEqual(['worker']);
    expect(doc.services.worker.depends_on.migrate.condition).toBe('service_completed_successfully');
  });
});

test('.env.example documents every variable the app reads', () => {
  const documented = new Set([...read('.env.example').matchAll(/^([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1]));
  expect(configKeys.filter((k) => !documented.has(k))).toEqual([]);
});

test('the Dockerfile runs as a non-root user with a health check on /api/health', () => {
  const dockerfile = read('Dockerfile');
  expect(dockerfile).toMatch(/^FROM node:24/m);
  expect(dockerfile).toMatch(/^USER node$/m);
  expect(dockerfile).toMatch(/HEALTHCHECK[\s\S]*\/api\/health/);
});
