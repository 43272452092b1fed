// No Docker engine runs here: check what can be checked of the deploy files without one.
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, test } from '@jest/globals';
import { parse } from 'yaml';
import { configKeys } from '../../server/config.ts';

const read = (file: string) => readFileSync(new URL(`../../${file}`, import.meta.url), 'utf8');
const documented = () => new Set([...read('.env.example').matchAll(/^([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1]));

const CORE = ['postgres', 'valkey', 'migrate', 'app', 'worker'];
const OBSERVABILITY = ['prometheus', 'grafana'];
/** One-shot services: no health check, and not part of the steady-state memory budget. */
const ONE_SHOT = ['migrate', 'k6'];
/** Our image: its HEALTHCHECK covers the services built from it. */
const BUILT = ['migrate', 'app', 'worker'];
// Coolify generates these itself (SERVICE_FQDN_*, SERVICE_PASSWORD_*, ...)
const coolifyMagic = (name: string) => name.startsWith('SERVICE_');

interface Service {
  image?: string; build?: unknown; command?: string[]; profiles?: string[]; mem_limit?: string;
  environment?: Record<string, string>; volumes?: string[];
  healthcheck?: { test?: string[]; disable?: boolean };
  depends_on?: Record<string, { condition: string }>;
}

/** '4608m', '1g' → MiB */
const mib = (limit: string) => {
  const m = /^(\d+)([mg])$/.exec(limit);
  if (!m) throw new Error(`unexpected mem_limit ${limit}`);
  return Number(m[1]) * (m[2] === 'g' ? 1024 : 1);
};

describe.each(['compose.yml', 'coolify.yaml'])('%s', (file) => {
  const text = read(file);
  const doc = parse(text, { merge: true }) as { services: Record<string, Service> };
  const services = doc.services;

  test('parses, runs PostgreSQL 18, migrates before the app starts', () => {
    expect(services.postgres!.image).toMatch(/^postgres:18/);
    expect(services.postgres!.healthcheck!.test!.join(' ')).toContain('pg_isready');
    expect(services.migrate!.command).toEqual(['migrate']);
    expect(services.app!.depends_on!.migrate!.condition).toBe('service_completed_successfully');
    expect(services.migrate!.depends_on!.postgres!.condition).toBe('service_healthy');
    expect(services.worker!.command).toEqual(['worker']);
    expect(services.worker!.depends_on!.migrate!.condition).toBe('service_completed_successfully');
  });

  test('has Valkey (append-only), Prometheus and Grafana', () => {
    expect(Object.keys(services).filter((n) => n !== 'k6').sort()).toEqual([...CORE, ...OBSERVABILITY].sort());
    const valkey = services.valkey!;
    expect(valkey.image).toMatch(/^valkey\/valkey:/);
    expect(valkey.command!.join(' ')).toMatch(/--appendonly yes/);
    expect(valkey.command!.join(' ')).toMatch(/--appendfsync everysec/);
    expect(services.prometheus!.volumes).toContain('./ops/prometheus.yml:/etc/prometheus/prometheus.yml:ro');
    expect(services.grafana!.volumes!.some((v) => v.startsWith('./ops/grafana/provisioning:'))).toBe(true);
  });

  test('tunes PostgreSQL with the mounted ops/postgresql.conf', () => {
    const pg = services.postgres!;
    expect(pg.command).toEqual(['postgres', '-c', 'config_file=/etc/postgresql/postgresql.conf']);
    expect(pg.volumes).toContain('./ops/postgresql.conf:/etc/postgresql/postgresql.conf:ro');
  });

  test('every bind-mounted file exists in the repository', () => {
    const mounts = Object.values(services).flatMap((s) => s.volumes ?? []).filter((v) => v.startsWith('./'));
    expect(mounts.length).toBeGreaterThan(0);
    expect(mounts.map((v) => v.split(':')[0]!).filter((p) => !existsSync(new URL(`../../${p}`, import.meta.url)))).toEqual([]);
  });

  test('every long-running service has a health check; the one-shot migrate has none', () => {
    const missing = Object.entries(services).filter(([name, s]) => !ONE_SHOT.includes(name)
      && !(s.healthcheck?.test && !s.healthcheck.disable) && !(BUILT.includes(name) && s.build && !s.healthcheck));
    expect(missing.map(([name]) => name)).toEqual([]);
    expect(services.migrate!.healthcheck).toEqual({ disable: true });
    // app and worker rely on the image's HEALTHCHECK: it must know the worker's port
    expect(read('Dockerfile')).toMatch(/HEALTHCHECK[\s\S]*METRICS_PORT/);
  });

  test('every service has a memory limit, and together they fit a CAX21 (8 GB)', () => {
    expect(Object.entries(services).filter(([, s]) => !s.mem_limit).map(([n]) => n)).toEqual([]);
    // migrate exits before the app starts; the rest runs at once
    const total = Object.entries(services).filter(([n]) => !ONE_SHOT.includes(n)).reduce((sum, [, s]) => sum + mib(s.mem_limit!), 0);
    expect(total).toBeLessThanOrEqual(7.25 * 1024);
  });

  test('the environment variables it uses are documented in .env.example, and the app reads those it is given', () => {
    const docs = documented();
    const interpolated = [...text.matchAll(/\$\{([A-Z][A-Z0-9_]*)/g)].map((m) => m[1]!).filter((n) => !coolifyMagic(n));
    expect([...new Set(interpolated)].filter((n) => !docs.has(n))).toEqual([]);
    const given = BUILT.flatMap((n) => Object.keys(services[n]!.environment ?? {})).filter((n) => !coolifyMagic(n));
    expect([...new Set(given)].filter((n) => !(configKeys as readonly string[]).includes(n))).toEqual([]);
  });
});

test('compose.yml puts Prometheus and Grafana in the observability profile, the core stack in none', () => {
  const { services } = parse(read('compose.yml'), { merge: true }) as { services: Record<string, Service> };
  for (const name of OBSERVABILITY) expect(services[name]!.profiles).toEqual(['observability']);
  for (const name of CORE) expect(services[name]!.profiles).toBeUndefined();
  expect(services.k6!.profiles).toEqual(['loadtest']);
  expect(services.k6!.volumes).toContain('./loadtest/k6:/scripts:ro');
});

test('Prometheus scrapes the app on its API port and the worker on METRICS_PORT', () => {
  const prom = parse(read('ops/prometheus.yml')) as { scrape_configs: { job_name: string; metrics_path?: string; dns_sd_configs?: { names: string[]; port: number }[] }[] };
  const targets = prom.scrape_configs.flatMap((j) => (j.dns_sd_configs ?? []).flatMap((d) => d.names.map((n) => `${n}:${d.port}${j.metrics_path ?? '/metrics'}`)));
  expect(targets).toEqual(expect.arrayContaining(['app:3000/metrics', 'worker:9464/metrics']));
});

test('Grafana is provisioned with the Prometheus datasource and the FlagMeter dashboard', () => {
  const ds = parse(read('ops/grafana/provisioning/datasources/prometheus.yml')) as { datasources: { uid: string; url: string }[] };
  expect(ds.datasources[0]).toMatchObject({ uid: 'prometheus', url: 'http://prometheus:9090' });
  const provider = parse(read('ops/grafana/provisioning/dashboards/flagmeter.yml')) as { providers: { options: { path: string } }[] };
  expect(provider.providers[0]!.options.path).toBe('/etc/grafana/dashboards');

  const dashboard = JSON.parse(read('ops/grafana/dashboards/flagmeter.json')) as { panels: { title: string; datasource: { uid: string }; targets: { expr: string }[] }[] };
  expect(dashboard.panels.every((p) => p.datasource.uid === 'prometheus')).toBe(true);
  const exprs = dashboard.panels.flatMap((p) => p.targets.map((t) => t.expr)).join('\n');
  for (const series of [
    'flagmeter_events_ingested_total', 'flagmeter_batch_size_events', 'flagmeter_batch_flush_duration_seconds',
    'flagmeter_http_request_duration_seconds_bucket', 'flagmeter_buffer_events', 'flagmeter_pgboss_queue_depth',
    'flagmeter_alerts_sent_total', 'flagmeter_alerts_failed_total', 'process_resident_memory_bytes', 'nodejs_eventloop_lag_p99_seconds',
    'flagmeter_usage_cache_reads_total',
  ]) expect(exprs).toContain(series);
  for (const q of ['0.5', '0.95', '0.99']) expect(exprs).toContain(`histogram_quantile(${q}, sum by (le, route)`);
});

test('ops/postgresql.conf keeps commits durable and sets the CAX21 tuning', () => {
  const settings = Object.fromEntries([...read('ops/postgresql.conf').matchAll(/^(\w+)\s*=\s*(.+?)\s*$/gm)].map((m) => [m[1], m[2]!.replace(/^'|'$/g, '')]));
  expect(settings).toMatchObject({ synchronous_commit: 'on', fsync: 'on', full_page_writes: 'on', io_method: 'worker', listen_addresses: '*' });
  for (const key of [
    'shared_buffers', 'effective_cache_size', 'work_mem', 'maintenance_work_mem', 'max_wal_size', 'min_wal_size',
    'checkpoint_timeout', 'checkpoint_completion_target', 'wal_compression', 'max_connections',
    'autovacuum_vacuum_insert_scale_factor', 'autovacuum_vacuum_scale_factor',
  ]) expect(settings).toHaveProperty(key);
});

test('.env.example documents every variable the app reads', () => {
  const docs = documented();
  expect(configKeys.filter((k) => !docs.has(k))).toEqual([]);
});

test('the Dockerfile runs as a non-root user with a health check on /api/health', () => {
  const dockerfile = read('Dockerfile');
  expect(dockerfile).toMatch(/^FROM node:24/m);
  expect(dockerfile).toMatch(/^USER node$/m);
  expect(dockerfile).toMatch(/HEALTHCHECK[\s\S]*\/api\/health/);
});

test('the image runs the server bundle its build stage makes (tests/ops/bundle.test.ts runs that bundle)', () => {
  const dockerfile = read('Dockerfile');
  expect(dockerfile).toMatch(/^RUN .*node scripts\/build-server\.ts/m);
  expect(dockerfile).toMatch(/^COPY --from=build \/app\/dist \.\/dist$/m);
  expect(dockerfile).toMatch(/^ENTRYPOINT \["node", "dist\/flagmeter\.mjs"\]$/m);
});
