import { describe, expect, it } from 'vitest';
import { AWS_CALL_TARGETS, countCallsPerRefresh } from '../../scripts/bench/calls-per-refresh.js';

describe('calls per run, counted by the bench against the sandbox and in-memory AWS', () => {
  it('makes one Zoho call per refresh, none for a skipped run, and writes the secret once per scheduled refresh', async () => {
    const counts = await countCallsPerRefresh();

    const refreshed = counts.filter((count) => count.outcome.startsWith('refreshed'));
    const skipped = counts.filter(
      (count) => count.outcome === 'skipped' || count.outcome === 'not-connected',
    );
    expect(refreshed.length).toBeGreaterThanOrEqual(4);
    expect(skipped.length).toBeGreaterThanOrEqual(3);
    for (const count of refreshed) expect(count.zohoRequests).toBe(1);
    for (const count of skipped) {
      expect(count.zohoRequests).toBe(0);
      expect(count.awsCalls.PutSecretValue).toBeUndefined();
    }
  });

  it('holds a scheduled refresh to 2 Secrets Manager and 2 DynamoDB calls, a forced one to 6 AWS calls', async () => {
    const counts = await countCallsPerRefresh();

    const scheduled = counts.filter((count) => count.kind === 'scheduled refresh');
    const forced = counts.filter((count) => count.kind === 'forced refresh');
    expect(AWS_CALL_TARGETS['scheduled refresh']).toBe(4);
    expect(AWS_CALL_TARGETS['forced refresh']).toBe(6);
    expect(scheduled.length).toBeGreaterThanOrEqual(2);
    expect(forced.length).toBeGreaterThanOrEqual(2);
    for (const count of scheduled) {
      expect(count.awsCalls).toEqual({ GetSecretValue: 1, PutSecretValue: 1, UpdateItem: 1, PutItem: 1 });
      expect(count.keeperAwsCalls).toBe(4);
    }
    for (const count of forced) expect(count.keeperAwsCalls).toBeLessThanOrEqual(6);
  });

  it('counts the operator events: exchange, status and disconnect within their targets', async () => {
    const counts = await countCallsPerRefresh();

    for (const kind of ['exchange', 'status', 'disconnect'] as const) {
      const runs = counts.filter((count) => count.kind === kind);
      const target = AWS_CALL_TARGETS[kind] ?? 0;
      expect(runs.length).toBeGreaterThanOrEqual(1);
      for (const count of runs) expect(count.keeperAwsCalls).toBeLessThanOrEqual(target);
    }
    expect(AWS_CALL_TARGETS).toMatchObject({ exchange: 7, status: 4, disconnect: 6 });
    const reconnect = counts.find((count) => count.step.startsWith('reconnect'));
    expect(reconnect?.keeperAwsCalls).toBe(5);
    const status = counts.find((count) => count.kind === 'status');
    expect(status?.zohoRequests).toBe(0);
    expect(status?.awsCalls.PutSecretValue).toBeUndefined();
  });
});
