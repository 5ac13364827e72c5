import { describe, expect, it } from 'vitest';
import { runScenario, type ScenarioOptions } from '../../scripts/simulation/run-scenario.js';
import type { ScenarioFigures } from '../../scripts/simulation/scenario-figures.js';
import type { ScenarioName } from '../../scripts/simulation/scenarios.js';

/** Everything a run reports except how long the machine took to compute it. */
async function figuresOf(
  name: ScenarioName,
  options: ScenarioOptions,
): Promise<Omit<ScenarioFigures, 'elapsedMs'>> {
  const { elapsedMs: _elapsed, ...figures } = await runScenario(name, options);
  return figures;
}

describe('a simulation seed replays the same run', () => {
  it('gives the same figures twice for two days of frequent faults: time-outs, resets and lost answers', async () => {
    const options = { days: 2, seed: 20261130, transientFaultRate: 0.3 };

    const first = await figuresOf('transient-faults', options);
    const second = await figuresOf('transient-faults', options);

    expect(Object.keys(first.zoho.injectedFaults)).toEqual(
      expect.arrayContaining(['hang', 'lost-answer', 'reset', 'server-error']),
    );
    expect(second).toEqual(first);
  });

  it('gives the same figures twice for bursts of concurrent forced refreshes', async () => {
    const options = { days: 2, seed: 20261130 };

    const first = await figuresOf('forced-refresh-burst', options);
    const second = await figuresOf('forced-refresh-burst', options);

    expect(first.bursts.length).toBeGreaterThan(0);
    expect(second).toEqual(first);
  });

  it.each(['burst-unreserved', 'reconnect-during-refresh'] as const)(
    'gives the same figures twice for %s, with runs in several containers at once',
    async (name) => {
      const options = { days: 2, seed: 20261130 };

      const first = await figuresOf(name, options);
      const second = await figuresOf(name, options);

      expect(second).toEqual(first);
    },
  );

  it('gives different figures for another seed, so the comparison above can fail', async () => {
    const options = { days: 1, transientFaultRate: 0.3 };

    const one = await figuresOf('transient-faults', { ...options, seed: 1 });
    const other = await figuresOf('transient-faults', { ...options, seed: 2 });

    expect(other.zoho).not.toEqual(one.zoho);
  });
});
