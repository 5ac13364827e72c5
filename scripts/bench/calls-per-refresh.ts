import { USERS_PATH } from '../simulation/consumer-fleet.js';
import { KeeperWorld, type RunSource } from '../simulation/keeper-world.js';
import { MINUTE_MS, SECOND_MS, SimulatedClock } from '../simulation/simulated-clock.js';

/** Which function ran, and how: what a count is judged against. */
export type RunKind = 'exchange' | 'scheduled refresh' | 'forced refresh' | 'status' | 'disconnect' | 'other';

/** The most AWS calls the keeper's functions make per run of a kind (consumer calls apart). */
export const AWS_CALL_TARGETS: Readonly<Partial<Record<RunKind, number>>> = {
  // The lease taken (UpdateItem, which reads the state) and given back with the new state (PutItem);
  // the credentials read (GetSecretValue) and the new token written (PutSecretValue).
  'scheduled refresh': 4,
  // At most one more of each: the secret's version checked when a young token was rejected.
  'forced refresh': 6,
  // The lease taken and given back; the credentials read; both secrets written. The first connect of a
  // new table also reads both secrets to build the state it replaces (7); a reconnect makes 5.
  exchange: 7,
  // The state and the credentials read, both schedules described.
  status: 4,
  // An exchange's reads and writes, and the pending follow-up deleted.
  disconnect: 6,
};

export interface CallCount {
  readonly step: string;
  readonly kind: RunKind;
  /** 'refreshed', 'skipped', 'connected', or the error's name. */
  readonly outcome: string;
  readonly zohoRequests: number;
  /** AWS calls by operation, e.g. GetSecretValue: 2. */
  readonly awsCalls: Readonly<Record<string, number>>;
  /** AWS calls of the keeper's functions, consumer calls left out. */
  readonly keeperAwsCalls: number;
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
  const measure = async (step: string, kind: RunKind, act: () => Promise<string>): Promise<void> => {
    const zohoBefore = world.sandbox.stats.tokenRequests;
    const awsBefore = awsCallsByOperation(world);
    const outcome = await act();
    const awsCalls = difference(awsCallsByOperation(world), awsBefore);
    counts.push({
      step,
      kind,
      outcome,
      zohoRequests: world.sandbox.stats.tokenRequests - zohoBefore,
      awsCalls,
      keeperAwsCalls: Object.entries(awsCalls)
        .filter(([operation]) => !operation.endsWith('(consumer)'))
        .reduce((sum, [, calls]) => sum + calls, 0),
    });
  };
  const refresh = (source: RunSource, force: boolean) => async () =>
    world.refresh(source, force).then(
      (outcome) =>
        outcome.refreshed
          ? 'refreshed'
          : outcome.reason === 'recently-refreshed'
            ? 'skipped'
            : outcome.reason,
      (error: unknown) => (error instanceof Error ? error.name : 'failed'),
    );
  const failureName = (error: unknown) => (error instanceof Error ? error.name : 'failed');

  try {
    await measure('exchange (connect)', 'exchange', async () => (await world.exchange()).status);
    clock.advanceTo(clock.nowMs() + 50 * MINUTE_MS);
    await measure('scheduled run, token 50 min old', 'scheduled refresh', refresh('schedule', false));
    clock.advanceTo(clock.nowMs() + 30 * SECOND_MS);
    await measure('duplicate delivery 30 s later', 'other', refresh('duplicate', false));
    clock.advanceTo(clock.nowMs() + 20 * MINUTE_MS);
    await measure('forced run {"force": true}, token 20 min old', 'forced refresh', refresh('direct', true));
    await measure('forced run again at once (token < 10 min old)', 'other', refresh('direct', true));

    clock.advanceTo(clock.nowMs() + 20 * MINUTE_MS);
    const reader = world.createReader('fleet');
    const held = await reader.getToken();
    world.sandbox.invalidateAccessToken(held.accessToken);
    await measure(
      'consumer fetch: Zoho rejects a 20-min-old token, recover() forces a refresh',
      'forced refresh',
      async () => {
        const response = await reader.fetch(USERS_PATH);
        await response.arrayBuffer();
        return response.status === 200 ? 'refreshed, retried call answered 200' : `HTTP ${response.status}`;
      },
    );

    clock.advanceTo(clock.nowMs() + 45 * MINUTE_MS);
    world.sandbox.setOutage('server-error');
    await measure(
      'scheduled run while Zoho answers 503 (arms a follow-up)',
      'other',
      refresh('schedule', false),
    );
    world.sandbox.setOutage(undefined);
    clock.advanceTo(clock.nowMs() + MINUTE_MS);
    // Scheduler deletes a one-time schedule that fired (ActionAfterCompletion DELETE): not the function's call.
    await world.completeFollowUp();
    await measure('follow-up run after Zoho recovered', 'scheduled refresh', refresh('follow-up', false));

    await measure('status {"status": true}', 'status', async () => (await world.status()).connection_state);
    clock.advanceTo(clock.nowMs() + 5 * MINUTE_MS);
    await measure('reconnect: exchange replacing a refresh token (revokes it)', 'exchange', async () => {
      const result = await world.exchange({ withClient: false });
      return `${result.status}, previous ${result.previous_refresh_token ?? 'none'}`;
    });
    await measure('disconnect {"disconnect": true}', 'disconnect', () =>
      world.disconnect().then((result) => `${result.status}, ${result.refresh_token}`, failureName),
    );
    clock.advanceTo(clock.nowMs() + 50 * MINUTE_MS);
    await measure('scheduled run while not connected', 'other', refresh('schedule', false));
  } finally {
    await world.close();
  }
  return counts;
}

function awsCallsByOperation(world: KeeperWorld): Map<string, number> {
  const counts = new Map<string, number>();
  const add = (calls: readonly CommandCall[], byConsumer: (call: CommandCall) => boolean) => {
    for (const call of calls) {
      const name = (call.args[0] as object).constructor.name.replace(/Command$/, '');
      const operation = byConsumer(call) ? `${name} (consumer)` : name;
      counts.set(operation, (counts.get(operation) ?? 0) + 1);
    }
  };
  add(world.secrets.mock.calls() as CommandCall[], (call) => world.isReaderClient(call.thisValue));
  add(world.scheduler.mock.calls() as CommandCall[], () => false);
  // Only consumers invoke the refresh function here.
  add(world.lambda.calls() as CommandCall[], () => true);
  // The state table: the DynamoDB calls its methods stand for (the same in the DynamoDB store).
  for (const [operation, calls] of Object.entries(world.state.calls)) {
    if (calls > 0) counts.set(operation, (counts.get(operation) ?? 0) + calls);
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
