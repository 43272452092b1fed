// CPU and memory of the processes under test, from /proc (Linux): CPU as utime+stime deltas over a
// step (100% = one core busy), RSS as the peak of VmRSS sampled every 200 ms.
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';

let ticksPerSecond: number | undefined;
function clockTicks(): number {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

function statFields(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // the command name may hold spaces and parentheses: fields start after the last ')'
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** CPU seconds a process has used so far (0 when it is gone); with reaped children's when asked. */
export function cpuSeconds(pid: number, withReapedChildren = false): number {
  const f = statFields(pid);
  if (!f) return 0;
  const own = Number(f[11]) + Number(f[12]);
  return (withReapedChildren ? own + Number(f[13]) + Number(f[14]) : own) / clockTicks();
}

/** CPU seconds a process has used so far in user space and in the kernel (its own, not its children's). */
export function cpuSplit(pid: number): { user: number; system: number } {
  const f = statFields(pid);
  return f ? { user: Number(f[11]) / clockTicks(), system: Number(f[12]) / clockTicks() } : { user: 0, system: 0 };
}

export function rssMb(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

/**
 * CPU seconds of a postmaster and all its backends, living or gone: an exited backend's time moves
 * into the postmaster's cutime/cstime when it is reaped, so the total never goes backwards.
 */
export function treeCpuSeconds(rootPid: number): number {
  let total = cpuSeconds(rootPid, true);
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const f = statFields(Number(name));
    if (f && Number(f[1]) === rootPid) total += (Number(f[11]) + Number(f[12])) / clockTicks();
  }
  return total;
}

export interface Usage { cpuPercent: number; rssPeakMb: number }
export interface StepUsage { server?: Usage; client: Usage; postgres?: { cpuPercent: number } }

/** Watches one step: the server child, this process (the client), and the Postgres processes. */
export class ProcSampler {
  private readonly serverPid: number | undefined;
  private readonly postmasterPid: number | undefined;
  private timer: NodeJS.Timeout | undefined;
  private startedAt = 0;
  private serverCpu0 = 0;
  private clientCpu0 = 0;
  private pgCpu0 = 0;
  private serverPeak = 0;
  private clientPeak = 0;

  constructor(serverPid: number | undefined, postmasterPid: number | undefined) {
    this.serverPid = serverPid;
    this.postmasterPid = postmasterPid;
  }

  start(): void {
    this.startedAt = performance.now();
    if (this.serverPid) this.serverCpu0 = cpuSeconds(this.serverPid);
    this.clientCpu0 = cpuSeconds(process.pid);
    if (this.postmasterPid) this.pgCpu0 = treeCpuSeconds(this.postmasterPid);
    this.sample();
    this.timer = setInterval(() => this.sample(), 200);
  }

  private sample(): void {
    if (this.serverPid) this.serverPeak = Math.max(this.serverPeak, rssMb(this.serverPid));
    this.clientPeak = Math.max(this.clientPeak, rssMb(process.pid));
  }

  stop(): StepUsage {
    clearInterval(this.timer);
    this.sample();
    const seconds = (performance.now() - this.startedAt) / 1000;
    const pct = (cpu: number) => Math.round((cpu / seconds) * 100);
    const usage: StepUsage = { client: { cpuPercent: pct(cpuSeconds(process.pid) - this.clientCpu0), rssPeakMb: Math.round(this.clientPeak) } };
    if (this.serverPid) usage.server = { cpuPercent: pct(cpuSeconds(this.serverPid) - this.serverCpu0), rssPeakMb: Math.round(this.serverPeak) };
    if (this.postmasterPid) {
      usage.postgres = { cpuPercent: pct(treeCpuSeconds(this.postmasterPid) - this.pgCpu0) };
    }
    return usage;
  }
}

/** Share of time some task waited for a CPU over the last 10 s (Linux PSI), when the kernel has it. */
export function cpuPressure(): number | undefined {
  try {
    const m = /some avg10=([\d.]+)/.exec(readFileSync('/proc/pressure/cpu', 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}
