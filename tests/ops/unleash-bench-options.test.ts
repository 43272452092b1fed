// npm run bench:unleash's arguments (the bench itself is never run by the tests: it starts Unleash).
import { describe, expect, it } from '@jest/globals';
import { parseUnleashOptions, UNLEASH_HELP, UNLEASH_VERSION } from '../../loadtest/lib/unleash-options.ts';
import { FLAG_SET } from '../../loadtest/lib/unleash.ts';

describe('bench:unleash options', () => {
  it('defaults to 10 s probes, two rounds, both steps', () => {
    expect(parseUnleashOptions([])).toEqual({ help: false, quick: false, stepSeconds: 10, rounds: 2, steps: ['definitions', 'evaluation'] });
  });

  it('--quick shortens probes, --duration wins over it, --rounds and --only are taken', () => {
    expect(parseUnleashOptions(['--quick']).stepSeconds).toBe(2);
    expect(parseUnleashOptions(['--quick', '--duration', '5']).stepSeconds).toBe(5);
    expect(parseUnleashOptions(['--rounds', '3', '--only', 'definitions'])).toMatchObject({ rounds: 3, steps: ['definitions'] });
    expect(parseUnleashOptions(['-h']).help).toBe(true);
  });

  it('refuses what it cannot run', () => {
    expect(() => parseUnleashOptions(['--rounds', '0'])).toThrow('--rounds must be a positive integer');
    expect(() => parseUnleashOptions(['--rounds', '1.5'])).toThrow('--rounds must be a positive integer');
    expect(() => parseUnleashOptions(['--duration', 'x'])).toThrow('--duration must be a positive number');
    expect(() => parseUnleashOptions(['--only', 'definitions,memory'])).toThrow('unknown step(s) memory');
    expect(() => parseUnleashOptions(['--nope'])).toThrow();
  });

  it('the help names the pinned version and every option it parses', () => {
    expect(UNLEASH_HELP).toContain(`unleash-server@${UNLEASH_VERSION}`);
    for (const flag of ['--quick', '--duration', '--rounds', '--only', '--help']) expect(UNLEASH_HELP).toContain(flag);
  });

  it("seeds 20 flags with distinct keys, issue #22's reference flag among them", () => {
    expect(FLAG_SET).toHaveLength(20);
    expect(new Set(FLAG_SET.map((f) => f.key)).size).toBe(20);
    expect(FLAG_SET.filter((f) => f.kind === 'rules')).toHaveLength(1);
  });
});
