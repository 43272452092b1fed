// Unleash OSS for `npm run bench:unleash`: installed once into loadtest/.unleash/ (npm, pinned),
// started as a child on its own database of the bench's PostgreSQL, seeded through its admin API
// with the flag set FlagMeter gets through its own API, and the requests both are loaded with.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { startChild, type Child } from './children.ts';
import { withDatabase } from './database.ts';
import type { Shot } from './ledger.ts';
import { RULES_FLAG, rulesContext } from './flags-rules-bench.ts';
import { UNLEASH_VERSION } from './unleash-options.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
export const unleashDir = path.resolve(here, '..', '.unleash');

export function installedVersion(dir = unleashDir): string | undefined {
  const file = path.join(dir, 'node_modules', 'unleash-server', 'package.json');
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version : undefined;
}

/** `npm install --no-save --prefix loadtest/.unleash unleash-server@<pinned>`, unless that version is there already. */
export async function ensureUnleash(say: (line: string) => void): Promise<void> {
  if (installedVersion() === UNLEASH_VERSION) return;
  say(`installing unleash-server@${UNLEASH_VERSION} into ${path.relative(process.cwd(), unleashDir)}/ (first use; about a minute)…`);
  const code = await new Promise<number | null>((resolve, reject) => {
    const npm = spawn('npm', ['install', '--no-save', '--no-audit', '--no-fund', '--prefix', unleashDir, `unleash-server@${UNLEASH_VERSION}`], { stdio: ['ignore', 'inherit', 'inherit'] });
    npm.once('error', reject);
    npm.once('exit', resolve);
  });
  if (code !== 0 || installedVersion() !== UNLEASH_VERSION) throw new Error(`npm install unleash-server@${UNLEASH_VERSION} failed (exit ${code})`);
}

export interface UnleashServer { child: Child; adminToken: string; clientToken: string; frontendToken: string; databaseUrl: string; drop(): Promise<void> }

/** A database `unleash_bench_<time>` beside the bench's own, and unleash-server's start() on it. */
export async function startUnleash(benchDatabaseUrl: string): Promise<UnleashServer> {
  const name = `unleash_bench_${Date.now()}`;
  const admin = new pg.Client(benchDatabaseUrl);
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const databaseUrl = withDatabase(benchDatabaseUrl, name);
  const secret = () => randomBytes(16).toString('hex');
  const tokens = { adminToken: `*:*.${secret()}`, clientToken: `*:development.${secret()}`, frontendToken: `*:development.${secret()}` };
  const child = await startChild(`Unleash ${UNLEASH_VERSION}`, 'loadtest/unleash-start.ts', [], {
    UNLEASH_DIR: unleashDir, DATABASE_URL: databaseUrl, LOG_LEVEL: 'warn',
    UNLEASH_ADMIN_TOKEN: tokens.adminToken, UNLEASH_CLIENT_TOKEN: tokens.clientToken, UNLEASH_FRONTEND_TOKEN: tokens.frontendToken,
  }, [], 'PORT', { healthPath: '/health', timeoutMs: 180_000 });
  return {
    child, databaseUrl, ...tokens,
    async drop() {
      const c = new pg.Client(benchDatabaseUrl);
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
    },
  };
}

/** The flag set both get: issue #22's reference flag, 9 flags on for everyone, 10 rollouts of 50% by user. */
export const FLAG_SET = [
  { key: 'bench-rules', kind: 'rules' as const },
  ...Array.from({ length: 9 }, (_, i) => ({ key: `bench-on-${i + 1}`, kind: 'on' as const })),
  ...Array.from({ length: 10 }, (_, i) => ({ key: `bench-rollout-${i + 1}`, kind: 'rollout' as const })),
];
export const FLAGMETER_ENV = 'prod';

/** FlagMeter: global flags (POST /api/features with the admin key), which every tenant inherits. */
export async function seedFlagMeter(port: number, apiKey: string): Promise<void> {
  for (const f of FLAG_SET) {
    const body = f.kind === 'rules' ? { ...RULES_FLAG } : f.kind === 'on' ? { strategy: 'boolean' } : { strategy: 'percentage', percentage: 50 };
    const res = await fetch(`http://127.0.0.1:${port}/api/features`, {
      method: 'POST', headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ env: FLAGMETER_ENV, key: f.key, enabled: true, ...body }),
    });
    if (res.status >= 300) throw new Error(`FlagMeter: could not create ${f.key}: ${res.status} ${await res.text()}`);
  }
}

const constraint = (contextName: string, operator: string, values: string[] | string) =>
  ({ contextName, operator, ...(Array.isArray(values) ? { values } : { value: values }), caseInsensitive: false, inverted: false });
const rollout = (key: string, percent: number, constraints: unknown[] = []) =>
  ({ name: 'flexibleRollout', constraints, parameters: { rollout: String(percent), stickiness: 'userId', groupId: key } });

/** Unleash: the same flags in project `default`, environment `development`, through the admin API. */
export async function seedUnleash(u: UnleashServer): Promise<void> {
  const call = async (method: string, p: string, body?: unknown, okStatuses: number[] = []) => {
    const res = await fetch(`http://127.0.0.1:${u.child.port}${p}`, {
      method, headers: { authorization: u.adminToken, 'content-type': 'application/json' }, ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    if (res.status >= 300 && !okStatuses.includes(res.status)) throw new Error(`Unleash: ${method} ${p} answered ${res.status} ${text.slice(0, 300)}`);
  };
  for (const name of ['plan', 'country', 'appVersion', 'email']) await call('POST', '/api/admin/context', { name, stickiness: false }, [409]);
  const project = '/api/admin/projects/default/features';
  for (const f of FLAG_SET) {
    await call('POST', project, { name: f.key, type: 'release' });
    const env = `${project}/${f.key}/environments/development`;
    if (f.kind === 'rules') {
      // Unleash 8 refuses environment (flag) variants ("use strategy variants"): each strategy gets the flag's three
      const variants = RULES_FLAG.variants.map((v) => ({
        name: v.name, weight: Math.round(v.weight * 10), weightType: 'variable', stickiness: 'default', payload: { type: 'string', value: v.value },
      }));
      for (const s of RULES_FLAG.strategies) {
        const country = s.constraints.find((c) => c.contextName === 'country')!;
        await call('POST', `${env}/strategies`, {
          ...rollout(f.key, s.rollout, [
            constraint('plan', 'IN', ['pro', 'team']), constraint('country', 'IN', 'values' in country ? country.values : []),
            constraint('appVersion', 'SEMVER_GTE', '2.0.0'), constraint('email', 'STR_ENDS_WITH', ['@acme.test']),
          ]),
          variants,
        });
      }
    } else {
      await call('POST', `${env}/strategies`, rollout(f.key, f.kind === 'on' ? 100 : 50));
    }
    await call('POST', `${env}/on`);
  }
}

const get = (p: string, authorization: string, extra = '') => Buffer.from(`GET ${p} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: ${authorization}\r\n${extra}\r\n`);
const post = (p: string, authorization: string, body: string) =>
  Buffer.from(`POST ${p} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: ${authorization}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);

/** A GET whose answer carries an ETag, and the same GET sent with it, checked to answer 304 before it is used. */
async function conditional(port: number, p: string, authorization: string, kind: string): Promise<Shot> {
  const res = await fetch(`http://127.0.0.1:${port}${p}`, { headers: { authorization } });
  const tag = res.headers.get('etag');
  const body = await res.text();
  if (res.status !== 200 || !tag) throw new Error(`${kind}: GET ${p} answered ${res.status} without an ETag: ${body.slice(0, 200)}`);
  const again = await fetch(`http://127.0.0.1:${port}${p}`, { headers: { authorization, 'if-none-match': tag } });
  await again.arrayBuffer();
  if (again.status !== 304) throw new Error(`${kind}: GET ${p} with If-None-Match ${tag} answered ${again.status}, not 304`);
  return { request: get(p, authorization, `If-None-Match: ${tag}\r\n`), kind, events: 0, tokens: 0, status: 304 };
}

export const flagMeterDefinitions304 = (port: number, tenant: string, apiKey: string) =>
  conditional(port, `/api/features?tenant=${encodeURIComponent(tenant)}&env=${FLAGMETER_ENV}`, `Bearer ${apiKey}`, 'flagmeter-definitions-304');

export const unleashDefinitions304 = (u: UnleashServer) => conditional(u.child.port, '/api/client/features', u.clientToken, 'unleash-client-features-304');

/** How many of the set's flags an answer names (a check that both servers hold the whole set). */
export async function countFlags(url: string, authorization: string, init: RequestInit = {}): Promise<number> {
  const res = await fetch(url, { ...init, headers: { authorization, 'content-type': 'application/json', ...init.headers } });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`${url} answered ${res.status}: ${text.slice(0, 200)}`);
  return FLAG_SET.filter((f) => text.includes(`"${f.key}"`)).length;
}

const CONTEXTS = 1000;

/** FlagMeter: every flag for a context, OFREP bulk, no ETag (each answer evaluated). */
export function flagMeterEvaluations(tenant: string, apiKey: string): Shot[] {
  return Array.from({ length: CONTEXTS }, (_, i) => ({
    request: post('/ofrep/v1/evaluate/flags', `Bearer ${apiKey}`, JSON.stringify({ context: { ...rulesContext(i), tenant, env: FLAGMETER_ENV } })),
    kind: 'flagmeter-ofrep-bulk', events: 0, tokens: 0,
  }));
}

/** Unleash: every enabled flag for the same contexts (userId for targetingKey), frontend API by POST. */
export function unleashEvaluations(u: UnleashServer): Shot[] {
  return Array.from({ length: CONTEXTS }, (_, i) => {
    const { targetingKey, ...properties } = rulesContext(i);
    return { request: post('/api/frontend', u.frontendToken, JSON.stringify({ context: { userId: targetingKey, properties } })), kind: 'unleash-frontend', events: 0, tokens: 0 };
  });
}
