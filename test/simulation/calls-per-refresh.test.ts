import { describe, expect, it } from 'vitest';
import { countCallsPerRefresh } from '../../scripts/bench/calls-per-refresh.js';

describe('calls per refresh, counted by the bench against the sandbox and in-memory AWS', () => {
  it('makes one Zoho call per refresh, none for a skipped run, and writes the secret once', async () => {
    const counts = await countCallsPerRefresh();

    const refreshed = counts.filter((count) => count.outcome.startsWith('refreshed'));
    const skipped = counts.filter((count) => count.outcome === 'skipped');
    expect(refreshed.length).toBeGreaterThanOrEqual(3);
    expect(skipped.length).toBeGreaterThanOrEqual(2);
    for (const count of refreshed) {
      expect(count.zohoRequests).toBe(1);
      expect(count.awsCalls.PutSecretValue).toBe(1);
    }
    for (const count of skipped) {
      expect(count.zohoRequests).toBe(0);
      expect(count.awsCalls.PutSecretValue).toBeUndefined();
    }
  });
});
