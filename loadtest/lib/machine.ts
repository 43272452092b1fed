// What the numbers were measured on.
import os from 'node:os';
import { cpuPressure } from './proc.ts';

export interface Machine { cpu: string; cores: number; memoryGb: number; os: string; node: string; postgres: string; loadAverage: number[]; cpuPressure?: number }

export function describeMachine(postgres: string): Machine {
  const cpus = os.cpus();
  const pressure = cpuPressure();
  return {
    cpu: cpus[0]?.model.trim() ?? 'unknown',
    cores: os.availableParallelism(),
    memoryGb: Math.round(os.totalmem() / 2 ** 30 * 10) / 10,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    postgres,
    loadAverage: os.loadavg().map((n) => Math.round(n * 100) / 100),
    ...(pressure === undefined ? {} : { cpuPressure: pressure }),
  };
}

/** Other work on the machine skews every figure: say so rather than print numbers that look clean. */
export function busyWarning(m: Machine): string | undefined {
  const load = m.loadAverage[0] ?? 0;
  if (load < 0.5 * m.cores && (m.cpuPressure ?? 0) < 10) return undefined;
  return `WARNING: the machine was busy when the bench started (load ${load}${m.cpuPressure === undefined ? '' : `, CPU pressure ${m.cpuPressure}%`} on ${m.cores} cores): these numbers measure the neighbours too.`;
}
