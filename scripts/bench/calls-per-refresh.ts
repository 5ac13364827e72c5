import { USERS_PATH } from '../simulation/consumer-fleet.js';
import { KeeperWorld, type RunSource } from '../simulation/keeper-world.js';
import { MINUTE_MS, SECOND_MS, SimulatedClock } from '../simulation/simulated-clock.js';

export interface CallCount {
  readonly step: string;
  /** 'refreshed', 'skipped', 'connected', or the error's name. */
  readonly outcome: string;
  readonly zohoRequests: number;
  /** AWS calls by operation, e.g. GetSecretValue: 2. */
  readonly awsCalls: Readonly<Record<string, number>>;
}

interface CommandCall {
  readonly args: readonly [unknown, ...unknown[]];
  readonly thisValue: unknown;
}

/**
 * Runs the real use cases in-process against the Zoho sandbox and in-memory AWS, one situation at a
 * time on a simulated clock, and counts the calls each makes to Zoho's token endpoint and to AWS.
 */
export async function countCallsPerRefresh(): Promise<CallCount[]> {
  const clock = new SimulatedClock(Date.parse('2026-11-02T00:00:00.000Z'));
  const world = await KeeperWorld.start({ clock });
  const counts: CallCount[] = [];
  const measure = async (step: string, act: () => Promise<string>): Promise<void> => {
    const zohoBefore = world.sandbox.stats.tokenRequests;
    const awsBefore = awsCallsByOperation(world);
    const outcome = await act();
    counts.push({
      step,
      outcome,
      zohoRequests: world.sandbox.stats.tokenRequests - zohoBefore,
      awsCalls: difference(awsCallsByOperation(world), awsBefore),
    });
  };
  const refresh = (source: RunSource, force: boolean) => async () =>
    world.refresh(source, force).then(
      (outcome) => (outcome.refreshed ? 'refreshed' : 'skipped'),
      (error: unknown) => (error instanceof Error ? error.name : 'failed'),
    );

  try {
    await measure('exchange (connect)', async () => (await world.exchange()).status);
    clock.advanceTo(clock.nowMs() + 50 * MINUTE_MS);
    await measure('scheduled run, token 50 min old', refresh('schedule', false));
    clock.advanceTo(clock.nowMs() + 30 * SECOND_MS);
    await measure('duplicate delivery 30 s later', refresh('duplicate', false));
    clock.advanceTo(clock.nowMs() + 20 * MINUTE_MS);
    await measure('forced run {"force": true}, token 20 min old', refresh('direct', true));
    await measure('forced run again at once (token < 10 min old)', refresh('direct', true));

    clock.advanceTo(clock.nowMs() + 20 * MINUTE_MS);
    const reader = world.createReader('fleet');
    const held = await reader.getToken();
    world.sandbox.invalidateAccessToken(held.accessToken);
    await measure('consumer fetch: Zoho rejects a 20-min-old token, recover() forces a refresh', async () => {
      const response = await reader.fetch(USERS_PATH);
      await response.arrayBuffer();
      return response.status === 200 ? 'refreshed, retried call answered 200' : `HTTP ${response.status}`;
    });

    clock.advanceTo(clock.nowMs() + 45 * MINUTE_MS);
    world.sandbox.setOutage('server-error');
    await measure('scheduled run while Zoho answers 503 (arms a follow-up)', refresh('schedule', false));
    world.sandbox.setOutage(undefined);
    clock.advanceTo(clock.nowMs() + MINUTE_MS);
    // Scheduler deletes a one-time schedule that fired (ActionAfterCompletion DELETE): not the function's call.
    await world.completeFollowUp();
    await measure('follow-up run after Zoho recovered', refresh('follow-up', false));
  } finally {
    await world.close();
  }
  return counts;
}

function awsCallsByOperation(world: KeeperWorld): Map<string, number> {
  const calls: CommandCall[] = [
    ...(world.secrets.mock.calls() as CommandCall[]),
    ...(world.scheduler.mock.calls() as CommandCall[]),
    ...(world.lambda.calls() as CommandCall[]),
  ];
  const counts = new Map<string, number>();
  for (const call of calls) {
    const name = (call.args[0] as object).constructor.name.replace(/Command$/, '');
    const operation = world.isReaderClient(call.thisValue) ? `${name} (consumer)` : name;
    counts.set(operation, (counts.get(operation) ?? 0) + 1);
  }
  return counts;
}

function difference(after: Map<string, number>, before: Map<string, number>): Record<string, number> {
  const result: Record<string, number> = {};
  for (const [operation, count] of after) {
    const added = count - (before.get(operation) ?? 0);
    if (added > 0) result[operation] = added;
  }
  return result;
}
