// Demo data for `npm start`: the seed POC's three tenants and some usage spread over the current
// billing period, so the API and dashboard have something to show. Only into an empty database.
import { randomUUID } from 'node:crypto';
import { countTenants, ensureTenants } from './tenants.ts';
import { insertEvents, type EventRow } from './events.ts';
import type { Pool } from './pool.ts';
import type { Logger } from '../log.ts';

const demoTenants = [
  { slug: 'acme-corp', name: 'Acme Corp', share: 0.82 },
  { slug: 'globex-inc', name: 'Globex Inc', share: 0.45 },
  { slug: 'initech-llc', name: 'Initech LLC', share: 0.12 },
];
const features = ['gpt-4o', 'gpt-4o-mini', 'claude-sonnet', 'text-embedding-3'];
const QUOTA = 1_000_000;
const EVENTS_PER_TENANT = 400;

/** Seeds an empty database; returns the slug of a demo tenant when it did, for the demo keys. */
export async function seedDemo(pool: Pool, log: Logger): Promise<string | undefined> {
  if ((await countTenants(pool)) > 0) return undefined;
  await ensureTenants(pool, demoTenants.map(({ slug, name }) => ({ slug, name, monthlyQuota: QUOTA })));
  const { rows } = await pool.query<{ id: number; slug: string; period_start: Date }>(
    `select t.id, t.slug, p.period_start from flagmeter.tenants t
     cross join lateral flagmeter.billing_period(t.billing_day, t.timezone, now()) p`);
  const now = Date.now();
  const events: EventRow[] = [];
  for (const t of rows) {
    const share = demoTenants.find((d) => d.slug === t.slug)!.share;
    const span = now - t.period_start.getTime();
    const perEvent = Math.floor((QUOTA * share) / EVENTS_PER_TENANT);
    for (let i = 0; i < EVENTS_PER_TENANT; i++) {
      events.push({
        id: randomUUID(), tenantId: t.id, feature: features[i % features.length]!, tokens: perEvent,
        occurredAt: new Date(t.period_start.getTime() + Math.floor((span * (i + 0.5)) / EVENTS_PER_TENANT)).toISOString(),
        key: null, user: `user-${i % 17}`,
      });
    }
  }
  await insertEvents(pool, events);
  log.info({ tenants: demoTenants.map((t) => t.slug) }, 'seeded demo tenants and usage');
  return demoTenants[0]!.slug;
}
