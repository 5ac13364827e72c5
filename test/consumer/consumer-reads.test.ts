import { describe, expect, it } from 'vitest';
import {
  REFRESH_SCENARIOS,
  type RefreshScenario,
  simulateConsumerReads,
  TRAFFIC_PATTERNS,
  type TrafficPattern,
} from '../../scripts/consumer-reads.js';

const SIX_HOURS = 6 * 60 * 60_000;

function scenario(name: string): RefreshScenario {
  const found = REFRESH_SCENARIOS.find((candidate) => candidate.name.startsWith(name));
  if (!found) throw new Error(`no refresh scenario ${name}`);
  return found;
}

function traffic(name: string): TrafficPattern {
  const found = TRAFFIC_PATTERNS.find((candidate) => candidate.name === name);
  if (!found) throw new Error(`no traffic pattern ${name}`);
  return found;
}

describe('simulateConsumerReads', () => {
  it('shows the reader reading once per token where fixed TTLs read on every expiry of their cache', async () => {
    const [reader, ttl5, ttl300] = await simulateConsumerReads({
      traffic: traffic('Poisson 1/s'),
      refresh: scenario('on time'),
      durationMs: SIX_HOURS,
    });

    // Six hours of 50-minute refreshes: the exchange's token and seven more.
    expect(reader?.reads).toBeLessThanOrEqual(8);
    expect(ttl300?.reads).toBeGreaterThanOrEqual(6 * 12 - 1);
    expect(ttl5?.reads).toBeGreaterThan(3000);
    expect([reader, ttl5, ttl300].map((outcome) => outcome?.servedExpired)).toEqual([0, 0, 0]);
  });

  it('shows a 300 s cache serving an expired token while a valid one is stored, and the reader never', async () => {
    const [reader, , ttl300] = await simulateConsumerReads({
      traffic: traffic('Poisson 1/s'),
      refresh: scenario('9 min late'),
      durationMs: SIX_HOURS,
    });

    expect(reader?.servedExpired).toBe(0);
    expect(reader?.refused).toBe(0);
    expect(ttl300?.avoidable).toBeGreaterThan(0);
  });
});
