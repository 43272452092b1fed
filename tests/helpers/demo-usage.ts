// Realistic, repeatable usage for the dashboard tests and their screenshots: a few tenants with
// names, and events spread over the days of the current period posted through the API.
import type { Pool } from '../../server/db/pool.ts';
import { post } from './app.ts';
import { addTenants } from './db.ts';
import { mulberry32 } from '../../loadtest/lib/prng.ts';

export const demoTenants = [
  { slug: 'acme-corp', name: 'Acme Corp', quota: 2_000_000, share: 0.62 },
  { slug: 'globex-inc', name: 'Globex Inc', quota: 5_000_000, share: 0.38 },
  { slug: 'initech-llc', name: 'Initech LLC', quota: 500_000, share: 0.12 },
  { slug: 'umbrella-health', name: 'Umbrella Health', quota: 1_000_000, share: 1.07 },
  { slug: 'hooli', name: 'Hooli', quota: 250_000, share: 0.71 },
  { slug: 'stark-industries', name: 'Stark Industries', quota: 10_000_000, share: 0.87 },
];
const features = [['gpt-4o', 0.46], ['claude-sonnet', 0.28], ['gpt-4o-mini', 0.18], ['text-embedding-3', 0.08]] as const;

export async function addDemoTenants(pool: Pool): Promise<void> {
  await addTenants(pool, demoTenants.map(({ slug, quota }) => ({ slug, quota })));
  await pool.query(
    'update flagmeter.tenants t set name = n.name from unnest($1::text[], $2::text[]) as n(slug, name) where t.slug = n.slug',
    [demoTenants.map((t) => t.slug), demoTenants.map((t) => t.name)]);
}


/** Posts each tenant's `share` of its quota, spread over the hours elapsed in its current period. */
export async function postDemoUsage(base: string, periodStart: Record<string, string>): Promise<void> {
  const rnd = mulberry32(42);
  const now = Date.now() - 60_000;
  for (const t of demoTenants) {
    const start = Date.parse(periodStart[t.slug]!);
    const hours = Math.max(1, Math.floor((now - start) / 3_600_000));
    const slots = Math.min(hours, 600);
    // busier on some days than others, so the bars have a shape
    const weights = Array.from({ length: slots }, (_, i) => 0.4 + rnd() + (Math.floor((i * hours) / slots / 24) % 7 < 5 ? 0.6 : 0));
    const total = weights.reduce((a, b) => a + b, 0);
    const events = [];
    for (let i = 0; i < slots; i++) {
      const at = start + ((i + rnd()) / slots) * (now - start);
      for (const [feature, part] of features) {
        const tokens = Math.round((t.quota * t.share * part * weights[i]!) / total);
        if (tokens > 0) events.push({ tenant: t.slug, feature, tokens, timestamp: new Date(at).toISOString() });
      }
    }
    for (let i = 0; i < events.length; i += 1000) {
      const r = await post(base, events.slice(i, i + 1000));
      if (r.status !== 201) throw new Error(`seeding ${t.slug}: ${r.status} ${JSON.stringify(r.body)}`);
    }
  }
}
