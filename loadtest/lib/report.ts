// The final Markdown table: each figure next to the ceiling it is compared with, measured in the same run.
import type { Machine } from './machine.ts';
import type { StepUsage } from './proc.ts';

export interface Row {
  step: string;
  figure: string;
  ceiling?: string;
  ratio?: number;
  p50?: number;
  p99?: number;
  /** dropped / non-2xx+errors */
  failures?: string;
  usage?: StepUsage;
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
export const rate = (n: number, unit = 'req/s') => `${fmt(n)} ${unit}`;
const ms = (n: number | undefined) => (n === undefined ? '' : n < 10 ? n.toFixed(2) : n.toFixed(1));
const pct = (n: number | undefined) => (n === undefined ? '' : `${n}%`);

export function table(rows: Row[]): string {
  const head = ['step', 'figure', 'ceiling (same run)', 'ratio', 'P50 ms', 'P99 ms', 'dropped / failed', 'server RSS peak', 'server CPU', 'Postgres CPU', 'client CPU'];
  const lines = [`| ${head.join(' | ')} |`, `| ${head.map(() => '---').join(' | ')} |`];
  for (const r of rows) {
    lines.push(`| ${[
      r.step, r.figure, r.ceiling ?? '', r.ratio === undefined ? '' : `${Math.round(r.ratio * 100)}%`,
      ms(r.p50), ms(r.p99), r.failures ?? '',
      r.usage?.server ? `${r.usage.server.rssPeakMb} MB` : '', pct(r.usage?.server?.cpuPercent),
      pct(r.usage?.postgres?.cpuPercent), pct(r.usage?.client.cpuPercent),
    ].join(' | ')} |`);
  }
  return lines.join('\n');
}

export function machineLine(m: Machine): string {
  const psi = m.cpuPressure === undefined ? '' : `, CPU pressure (PSI some avg10) ${m.cpuPressure}%`;
  return `${m.cpu}, ${m.cores} cores, ${m.memoryGb} GB, ${m.os}; Node ${m.node}; PostgreSQL ${m.postgres}; load average at start ${m.loadAverage.join(' ')}${psi}`;
}

export function method(o: { stepSeconds: number; p99Ms: number; maxInFlight: number; batchClients: string; tenants: number; mixRate: number; embedded: boolean; valkey: boolean; nodeFlags: string[]; entry: string }): string {
  const flags = o.nodeFlags.length ? ` ${o.nodeFlags.join(' ')}` : '';
  return [
    `- Client and servers on the same machine; FlagMeter (\`node${flags} ${o.entry} serve\`, LOG_LEVEL=warn, default config, API keys required: every request carries a Bearer key) and the no-op Express 5 app each run as their own child process.`,
    `- Open model (constant arrival rate, ${o.stepSeconds} s per probe): latency is measured from each request's scheduled send time; a request due while ${o.maxInFlight} are in flight is dropped and counted. A rate passes when P99 ≤ ${o.p99Ms} ms, nothing dropped, every answer 2xx. Rates double from 1,000 req/s until one fails, then bisect to ~5%; a failing probe is retried once. CPU figures are from the passing probe at the reported rate, RSS is the peak over the whole step.`,
    `- Ceilings: the no-op Express 5 app (express.json + 201) for request rates; FlagMeter's own insertEvents (one statement per 1,000 rows, rollup trigger included) called directly from 2 and 4 connections, best of both, for ingest.`,
    `- Mix: 80% single-event POST /api/events, 20% GET /api/usage/:tenant at ${o.mixRate} req/s (the seed POC's target rate). Batched ingest: closed loop (${o.batchClients}). ${o.tenants} tenants, random features and tokens.`,
    `- Usage reads: the FlagMeter for single, mix, reads and batch runs with USAGE_CACHE_TTL_MS=0, so every GET /api/usage/:tenant runs its SQL statement; reads-cached starts another with the default cache (1 s TTL, ${o.valkey ? 'in the Valkey given by --valkey-url, under a key prefix of its own deleted afterwards; once as configured by default, each process keeping a read 250 ms in memory in front of Valkey, once with USAGE_CACHE_LOCAL_MS=0 so every read asks Valkey' : 'in process memory: no --valkey-url given'}), cycling over the ${o.tenants} tenants; where the answers came from is the server's own flagmeter_usage_cache_reads_total over the step.`,
    `- Postgres: ${o.embedded ? 'embedded PostgreSQL 18 in a temp folder (shared_buffers=256MB, max_wal_size=2GB, fsync and synchronous_commit on)' : 'the server given by --database-url, in a fresh database'}. CPU is from /proc utime+stime over each step (100% = one core); RSS is the peak VmRSS of the server process.`,
    `- Data check: tokens and events acknowledged with a 2xx (plus those written by the SQL ceiling) must equal the sums in flagmeter.events and flagmeter.rollups.`,
  ].join('\n');
}
