// Where a FlagMeter's usage reads were answered from (its flagmeter_usage_cache_reads_total counter):
// a cached-read figure means little without the share that never left the process.

export type CacheSources = Record<string, number>;

/** Reads by source (memory, valkey, postgres) since the server started, from its public /metrics. */
export async function cacheSources(port: number): Promise<CacheSources> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const sources: CacheSources = {};
  for (const m of text.matchAll(/^flagmeter_usage_cache_reads_total\{source="(\w+)"\} (\d+)$/gm)) sources[m[1]!] = Number(m[2]);
  return sources;
}

/** "97.1% memory, 2.8% valkey, 0.1% postgres" */
export function describeSources(s: CacheSources): string {
  const total = Object.values(s).reduce((a, b) => a + b, 0);
  if (!total) return 'no reads counted';
  return Object.entries(s).filter(([, n]) => n > 0).map(([k, n]) => `${((100 * n) / total).toFixed(1)}% ${k}`).join(', ');
}
