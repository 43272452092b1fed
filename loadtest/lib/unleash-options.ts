// `npm run bench:unleash`'s options, apart from the script so a test can check them without starting anything.
import { parseArgs } from 'node:util';

export const UNLEASH_VERSION = '8.2.0';

export const UNLEASH_HELP = `Usage: npm run bench:unleash -- [options]

FlagMeter next to Unleash OSS ${UNLEASH_VERSION} on this machine, in the same run: an embedded PostgreSQL 18
(temp folder) holds a fresh database for each, both servers run as child processes with the same
20 flags (issue #22's reference flag among them), and the same open-model generator and client
measure each endpoint's highest rate at P99 ≤ 50 ms, the two servers alternating (A B A B):

  definitions 304   FlagMeter GET /api/features?tenant&env with If-None-Match
                    vs Unleash GET /api/client/features with If-None-Match (backend token)
  evaluation        FlagMeter OFREP bulk POST /ofrep/v1/evaluate/flags (every flag for a context)
                    vs Unleash POST /api/frontend (every enabled flag for a context, frontend token)

unleash-server@${UNLEASH_VERSION} is installed on first use into loadtest/.unleash/ (outside git; reused after).
Prints a Markdown table and writes loadtest/results/unleash-<time>.json.

  --quick            2 s probes instead of 10 s (development; rough numbers)
  --duration <s>     seconds per probe (overrides --quick)
  --rounds <n>       alternations of the two servers (default 2)
  --only <steps>     comma-separated subset of: definitions, evaluation (default both)
  -h, --help         this text
`;

export const UNLEASH_STEPS = ['definitions', 'evaluation'] as const;
export type UnleashStep = (typeof UNLEASH_STEPS)[number];

export interface UnleashOptions { help: boolean; quick: boolean; stepSeconds: number; rounds: number; steps: UnleashStep[] }

export function parseUnleashOptions(args: string[]): UnleashOptions {
  const { values } = parseArgs({
    args,
    options: {
      quick: { type: 'boolean', default: false },
      duration: { type: 'string' },
      rounds: { type: 'string', default: '2' },
      only: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const positive = (name: string, v: string, integer = false) => {
    const n = Number(v);
    if (!(n > 0) || (integer && !Number.isInteger(n))) throw new Error(`--${name} must be a positive ${integer ? 'integer' : 'number'} (got '${v}')`);
    return n;
  };
  const steps = values.only?.split(',').map((s) => s.trim()).filter(Boolean) ?? [...UNLEASH_STEPS];
  const unknown = steps.filter((s) => !(UNLEASH_STEPS as readonly string[]).includes(s));
  if (unknown.length) throw new Error(`--only: unknown step(s) ${unknown.join(', ')}; choose from ${UNLEASH_STEPS.join(', ')}`);
  return {
    help: values.help,
    quick: values.quick,
    stepSeconds: values.duration ? positive('duration', values.duration) : values.quick ? 2 : 10,
    rounds: positive('rounds', values.rounds, true),
    steps: steps as UnleashStep[],
  };
}
