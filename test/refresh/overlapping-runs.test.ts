import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  EncryptionFailure,
  PutSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { followUpScheduleName } from '../../functions/lib/schedule/refresh-schedule.js';
import type { RefreshOutcome } from '../../functions/refresh/refresh-access-token.js';
import { FORCED_REFRESHES_PER_DAY } from '../../functions/refresh/refresh-policy.js';
import { ConnectionRig, RIG } from '../support/connection-rig.js';

/** Hundreds of runs against dynalite: minutes of room on a busy machine, never a budget that is measured. */
const LONG_RUN_TIMEOUT_MS = 300_000;

/**
 * Things overlap in production: a refresh waiting on Zoho while an operator reconnects or
 * disconnects, two operators connecting at once, many consumers forcing a refresh at once in separate
 * containers, an administrator restoring a version in the console, a store that refuses writes. These
 * drive the real use cases and stores against each other, with the state table in dynalite.
 */
describe('overlapping runs, connects and disconnects', () => {
  let rig: ConnectionRig;

  beforeEach(async () => {
    rig = await ConnectionRig.create();
    await rig.container().exchange(rig.issueGrantCode());
  });

  afterEach(() => rig.restore());

  async function settle<T>(promise: Promise<T>): Promise<{ value?: T; error?: Error }> {
    try {
      return { value: await promise };
    } catch (error) {
      return { error: error as Error };
    }
  }

  /** Lets an operator's change wait for the lease until the test opens the gate. */
  function gateOperatorWaits(): { waiting: Promise<void>; open: () => void } {
    let waiting!: () => void;
    let open!: () => void;
    const waitingPromise = new Promise<void>((resolve) => (waiting = resolve));
    const gate = new Promise<void>((resolve) => (open = resolve));
    rig.operatorSleep = async (ms) => {
      waiting();
      await gate;
      rig.nowMs += ms;
    };
    return { waiting: waitingPromise, open };
  }

  describe('one writer at a time', () => {
    it('a reconnect waits for a scheduled refresh that is waiting on Zoho, then replaces its refresh token', async () => {
      rig.advanceMinutes(50);
      const oldRefreshToken = String(rig.credentials().refresh_token);
      const held = rig.holdNextAnswer();
      const run = settle(rig.container().refresh(false));
      await held.answered;
      const gate = gateOperatorWaits();

      const reconnect = settle(rig.container().exchange(rig.issueGrantCode(), false));
      await gate.waiting;
      held.release();
      const outcome = await run;
      gate.open();

      expect(outcome.value).toMatchObject({ refreshed: true, connectionState: 'connected' });
      expect((await reconnect).value?.previous_refresh_token).toBe('revoked');
      expect(rig.sandbox.isRefreshTokenActive(oldRefreshToken)).toBe(false);
      expect(rig.storedTokenWorks()).toBe(true);
      expect(await rig.state()).toMatchObject({
        state: 'connected',
        connectedAt: rig.credentials().connected_at,
      });
    });

    it('a disconnect waits for a forced refresh that is waiting on Zoho, and nothing of the old connection comes back', async () => {
      rig.advanceMinutes(20);
      const held = rig.holdNextAnswer();
      const run = settle(rig.container().refresh(true));
      await held.answered;
      const gate = gateOperatorWaits();

      const disconnected = settle(rig.container().disconnect());
      await gate.waiting;
      held.release();
      expect((await run).value?.refreshed).toBe(true);
      gate.open();

      expect((await disconnected).value).toEqual({ status: 'disconnected', refresh_token: 'revoked' });
      expect(rig.record().token).toBeUndefined();
      expect(rig.record().state).toBe('not-connected');
      expect(Object.keys(rig.credentials()).sort()).toEqual(['accounts_url', 'client_id', 'client_secret']);
      expect(await rig.container().refresh(false)).toMatchObject({
        refreshed: false,
        connectionState: 'not-connected',
      });
    });

    it.each(['first', 'second'] as const)(
      'two connects at once leave an active refresh token and a valid access token minted from it (the %s one slow at Zoho)',
      async (slow) => {
        const [codeA, codeB] = [rig.issueGrantCode(), rig.issueGrantCode()];
        const held = rig.holdNextAnswer();
        const gate = gateOperatorWaits();
        const first = settle(rig.container().exchange(slow === 'first' ? codeA : codeB, false));
        await held.answered;

        const second = settle(rig.container().exchange(slow === 'first' ? codeB : codeA, false));
        await gate.waiting;
        held.release();
        await first;
        gate.open();
        const results = [await first, await second];

        expect(results.map((result) => result.value?.status)).toEqual(['connected', 'connected']);
        const refreshToken = String(rig.credentials().refresh_token);
        expect(rig.sandbox.isRefreshTokenActive(refreshToken)).toBe(true);
        expect(rig.storedTokenWorks()).toBe(true);
        // The later connect replaced the earlier one's refresh token and revoked it.
        expect(results[1]?.value?.previous_refresh_token).toBe('revoked');
        const refreshed = await rig
          .container()
          .refresh(true)
          .catch((error: Error) => error);
        expect(refreshed).toMatchObject({ refreshed: false, reason: 'recently-refreshed' });
      },
    );

    it('a connect that cannot get the lease in time changes nothing and leaves the grant code unused', async () => {
      rig.advanceMinutes(20);
      const held = rig.holdNextAnswer();
      void settle(rig.container().refresh(true));
      await held.answered;
      const code = rig.issueGrantCode();
      const credentials = rig.credentials();

      const busy = await settle(rig.container().exchange(code, false));

      expect(busy.error?.name).toBe('ConnectionBusyError');
      expect(busy.error?.message).toMatch(/grant code was not used/);
      expect(rig.credentials()).toEqual(credentials);
      held.release();
      rig.advanceMinutes(2);
      rig.operatorSleep = async (ms) => {
        rig.nowMs += ms;
      };
      expect((await rig.container().exchange(code, false)).status).toBe('connected');
    });

    it.each([0, 1, 5])(
      '12 forced refreshes in 12 containers make one Zoho call and leave no lease (reserved concurrency %i)',
      async (concurrency) => {
        rig.advanceMinutes(20);
        const before = rig.sandbox.stats.refreshes;
        const containers = Array.from({ length: 12 }, () => rig.container());

        const outcomes = await runWithConcurrency(
          containers.map((container) => () => container.refresh(true)),
          concurrency,
        );

        expect(rig.sandbox.stats.refreshes - before).toBe(1);
        expect(outcomes.filter((outcome) => outcome.refreshed)).toHaveLength(1);
        for (const outcome of outcomes) {
          expect(['forced', 'recently-refreshed', 'in-progress']).toContain(outcome.reason);
        }
        expect(rig.storedTokenWorks()).toBe(true);
        expect(await rig.leaseHolder()).toBeUndefined();
      },
    );

    it('a forced run makes no Zoho call while another container holds the lease', async () => {
      rig.advanceMinutes(20);
      const held = rig.holdNextAnswer();
      const first = settle(rig.container().refresh(true));
      await held.answered;

      const second = await rig.container().refresh(true);

      expect(second).toMatchObject({ refreshed: false, reason: 'in-progress' });
      expect(rig.sandbox.stats.refreshes).toBe(1);
      held.release();
      expect((await first).value?.refreshed).toBe(true);
    });

    it('a scheduled run that meets a lease arms a follow-up for when it lapses, in case its holder died', async () => {
      rig.advanceMinutes(50);
      const held = rig.holdNextAnswer();
      void settle(rig.container().refresh(true));
      await held.answered;

      const scheduled = await rig.container().refresh(false);

      expect(scheduled).toMatchObject({ refreshed: false, reason: 'in-progress' });
      expect(scheduled.followUpAt).toBe(new Date(rig.nowMs + 60_000).toISOString());
      const followUp = rig.scheduler.get(followUpScheduleName(RIG.schedule));
      expect(followUp?.ScheduleExpression).toBe(`at(${scheduled.followUpAt?.slice(0, 19)})`);
      held.release();
    });

    it('a lease left by a run that died is taken over once it lapses', async () => {
      rig.advanceMinutes(20);
      const held = rig.holdNextAnswer();
      void settle(rig.container().refresh(true));
      await held.answered;
      // The holder never comes back (timed out); its lease lapses after a minute.
      rig.advanceMinutes(2);

      const outcome = await rig.container().refresh(true);

      expect(outcome.refreshed).toBe(true);
      expect(rig.storedTokenWorks()).toBe(true);
    });

    it('a forced run that stops early gives the lease back at once, so the next one is not held up', async () => {
      rig.advanceMinutes(20);

      const mismatch = await settle(
        rig.container({ accountsUrl: 'https://accounts.zoho.com' }).refresh(true),
      );
      const next = await rig.container().refresh(true);

      expect(mismatch.error?.name).toBe('ConfigError');
      expect(next).toMatchObject({ refreshed: true, reason: 'forced' });
    });
  });

  describe('costs', () => {
    function countCalls(client: DynamoDBClient): { total: number } {
      const counter = { total: 0 };
      client.middlewareStack.add(
        (next) => async (args) => {
          counter.total += 1;
          return next(args);
        },
        { step: 'initialize', name: 'countCalls' },
      );
      return counter;
    }

    it('a scheduled refresh: 1 Zoho call, 2 Secrets Manager and 2 DynamoDB calls; a forced one at most one more of each', async () => {
      rig.advanceMinutes(50);
      const scheduledRun = rig.container();
      const scheduledDynamo = countCalls(scheduledRun.dynamo);
      const start = { ...rig.secrets.calls, zoho: rig.sandbox.stats.tokenRequests };
      await scheduledRun.refresh(false);
      const scheduled = {
        zoho: rig.sandbox.stats.tokenRequests - start.zoho,
        secretsManager: rig.secrets.calls.get + rig.secrets.calls.put - start.get - start.put,
        dynamo: scheduledDynamo.total,
      };
      rig.advanceMinutes(20);
      const forcedRun = rig.container();
      const forcedDynamo = countCalls(forcedRun.dynamo);
      const middle = { ...rig.secrets.calls, zoho: rig.sandbox.stats.tokenRequests };
      await forcedRun.refresh(true);
      const forced = {
        zoho: rig.sandbox.stats.tokenRequests - middle.zoho,
        secretsManager: rig.secrets.calls.get + rig.secrets.calls.put - middle.get - middle.put,
        dynamo: forcedDynamo.total,
      };

      expect(scheduled).toEqual({ zoho: 1, secretsManager: 2, dynamo: 2 });
      expect(forced.zoho).toBe(1);
      expect(forced.secretsManager).toBeLessThanOrEqual(3);
      expect(forced.dynamo).toBeLessThanOrEqual(3);
      expect(rig.scheduler.calls.update).toBe(0);
    });
  });

  describe('an administrator in the console', () => {
    it('restoring the previous version of the access-token secret: the next scheduled and the next forced refresh store a valid token', async () => {
      rig.advanceMinutes(50);
      await rig.container().refresh(false);
      rig.advanceMinutes(3);
      await rig.secrets.restorePreviousVersion(RIG.accessTokenSecret);
      // The restored token is the connect's: revoked by nothing, but about to expire.
      rig.advanceMinutes(1);

      const scheduled = await rig.container().refresh(false);
      expect(scheduled).toMatchObject({ refreshed: true, reason: 'secret-replaced' });
      expect(rig.storedTokenWorks()).toBe(true);

      rig.advanceMinutes(1);
      await rig.secrets.restorePreviousVersion(RIG.accessTokenSecret);
      const forced = await rig.container().refresh(true);
      expect(forced).toMatchObject({ refreshed: true, reason: 'secret-replaced' });
      expect(rig.storedTokenWorks()).toBe(true);
    });

    it('saving the secret by hand: the next scheduled and the next forced refresh store a valid token', async () => {
      const saveByHand = () =>
        new SecretsManagerClient({ region: 'eu-west-1' }).send(
          new PutSecretValueCommand({
            SecretId: RIG.accessTokenSecret,
            SecretString: JSON.stringify({ access_token: 'pasted-by-hand' }),
          }),
        );
      rig.advanceMinutes(2);
      await saveByHand();

      expect(await rig.container().refresh(false)).toMatchObject({
        refreshed: true,
        reason: 'secret-replaced',
      });
      expect(rig.storedTokenWorks()).toBe(true);

      rig.advanceMinutes(2);
      await saveByHand();
      expect(await rig.container().refresh(true)).toMatchObject({
        refreshed: true,
        reason: 'secret-replaced',
      });
      expect(rig.storedTokenWorks()).toBe(true);
    });

    it('a disconnect after a restore stores its result and revokes the live refresh token', async () => {
      rig.advanceMinutes(50);
      await rig.container().refresh(false);
      await rig.secrets.restorePreviousVersion(RIG.accessTokenSecret);
      const refreshToken = String(rig.credentials().refresh_token);

      const result = await rig.container().disconnect();

      expect(result).toEqual({ status: 'disconnected', refresh_token: 'revoked' });
      expect(rig.sandbox.isRefreshTokenActive(refreshToken)).toBe(false);
      expect(rig.record()).toMatchObject({ state: 'not-connected', token: undefined });
      expect(await rig.state()).toMatchObject({ state: 'not-connected', stateReason: 'disconnected' });
    });
  });

  describe('health of the connection', () => {
    it('a connect, a failing refresh, its recovery and a revoked token change state connected -> failing -> connected -> needs-reconnect, once each', async () => {
      rig.advanceMinutes(50);
      rig.sandbox.setOutage('server-error');
      for (let minute = 0; minute < 5; minute += 1) {
        expect((await settle(rig.container().refresh(false))).error?.name).toBe('ZohoUnavailableError');
        rig.advanceMinutes(1);
      }
      rig.sandbox.setOutage(undefined);
      expect((await rig.container().refresh(false)).refreshed).toBe(true);
      rig.advanceMinutes(50);
      rig.sandbox.revokeRefreshToken(String(rig.credentials().refresh_token));
      expect((await settle(rig.container().refresh(false))).error?.name).toBe('RefreshTokenRevokedError');
      expect((await settle(rig.container().refresh(true))).error?.name).toBe('RefreshTokenRevokedError');

      expect(
        rig.stateChanges.map((change) => `${change.previousState} -> ${change.state} (${change.reason})`),
      ).toEqual([
        'not-connected -> connected (connected)',
        'connected -> failing (ZohoUnavailableError)',
        'failing -> connected (refreshed)',
        'connected -> needs-reconnect (RefreshTokenRevokedError)',
      ]);
    });

    it(
      'a 3-hour outage writes no version of the access-token secret, and the token is back within 2 minutes of recovery',
      async () => {
        rig.advanceMinutes(50);
        const versions = rig.secrets.versionCount(RIG.accessTokenSecret);
        rig.sandbox.setOutage('server-error');
        const outageEnds = rig.nowMs + 3 * 60 * 60_000;
        let runs = 0;
        const container = rig.container();
        // Every run, scheduled or follow-up, fails; the follow-ups come every minute.
        while (rig.nowMs < outageEnds) {
          await settle(container.refresh(false));
          runs += 1;
          rig.advanceMinutes(1);
        }
        rig.sandbox.setOutage(undefined);
        const recoveredAt = rig.nowMs;
        let refreshedAt: number | undefined;
        while (refreshedAt === undefined) {
          if ((await settle(container.refresh(false))).value?.refreshed) refreshedAt = rig.nowMs;
          else rig.advanceMinutes(1);
        }

        expect(runs).toBe(180);
        expect(rig.secrets.versionCount(RIG.accessTokenSecret) - versions).toBe(1);
        expect(refreshedAt - recoveredAt).toBeLessThanOrEqual(2 * 60_000);
        expect(rig.storedTokenWorks()).toBe(true);
      },
      LONG_RUN_TIMEOUT_MS,
    );

    it('after "revoked": later runs anywhere read no secret and make no Zoho call', async () => {
      rig.advanceMinutes(50);
      rig.sandbox.revokeRefreshToken(String(rig.credentials().refresh_token));
      expect((await settle(rig.container().refresh(false))).error?.name).toBe('RefreshTokenRevokedError');
      const requests = rig.sandbox.stats.tokenRequests;
      const reads = rig.secrets.calls.get;

      const scheduled = await rig.container().refresh(false);
      const forced = await settle(rig.container().refresh(true));

      expect(scheduled).toMatchObject({ refreshed: false, connectionState: 'needs-reconnect' });
      expect(forced.error?.name).toBe('RefreshTokenRevokedError');
      expect(forced.error?.message).toMatch(/grant code/);
      expect(rig.sandbox.stats.tokenRequests).toBe(requests);
      expect(rig.secrets.calls.get - reads).toBe(0);
      expect(rig.record().state).toBe('needs-reconnect');
    });

    it('after an outage: forced runs in other containers are held back until the follow-up, which recovers', async () => {
      rig.advanceMinutes(50);
      rig.sandbox.setOutage('server-error');
      expect((await settle(rig.container().refresh(false))).error?.name).toBe('ZohoUnavailableError');
      const requests = rig.sandbox.stats.tokenRequests;

      const forced = await settle(rig.container().refresh(true));

      expect(forced.error?.name).toBe('ZohoUnavailableError');
      expect(forced.error?.message).toMatch(/next try/);
      expect(rig.sandbox.stats.tokenRequests).toBe(requests);
      const retryAfter = (await rig.state())?.retryAfter;
      const followUp = rig.scheduler.get(followUpScheduleName(RIG.schedule));
      expect(followUp?.ScheduleExpression).toBe(`at(${retryAfter?.slice(0, 19)})`);

      rig.sandbox.setOutage(undefined);
      rig.advanceMinutes(1);
      expect((await rig.container().refresh(false)).refreshed).toBe(true);
      expect((await rig.state())?.retryAfter).toBeUndefined();
    });

    it('a token Zoho minted but the store refused: no later try than the stored token allows, and forced runs make no call meanwhile', async () => {
      rig.advanceMinutes(50);
      const refusal = new EncryptionFailure({ message: 'KMS key is disabled', $metadata: {} });
      rig.secrets.mock.on(PutSecretValueCommand).rejects(refusal);
      const requests = rig.sandbox.stats.tokenRequests;

      const scheduled = await settle(rig.container().refresh(false));
      const forced = await Promise.all(
        Array.from({ length: 12 }, () => settle(rig.container().refresh(true))),
      );

      expect(scheduled.error?.name).toBe('ConfigError');
      // Each forced run found the lease taken or the failure recorded: none called Zoho.
      for (const outcome of forced) {
        if (outcome.error) expect(outcome.error.message).toMatch(/could not use AWS.*next try/);
        else expect(outcome.value?.reason).toBe('in-progress');
      }
      expect(rig.sandbox.stats.tokenRequests - requests).toBe(1);
      // The stored token expires in 10 minutes: the next try comes 5 minutes before that, not 10 minutes on.
      const followUp = rig.scheduler.get(followUpScheduleName(RIG.schedule))?.ScheduleExpression ?? '';
      const followUpAt = Date.parse(`${/^at\((.+)\)$/.exec(followUp)?.[1]}Z`);
      expect(followUpAt - rig.nowMs).toBe(5 * 60_000);
    });
  });

  describe('the write budget', () => {
    it(
      'a consumer forcing a refresh every 10 minutes for 24 hours: forced refreshes stop at their share, every scheduled refresh succeeds',
      async () => {
        const start = rig.nowMs;
        const refused: string[] = [];
        let scheduledFailures = 0;
        let forcedWrites = 0;
        const [scheduler, consumer] = [rig.container(), rig.container()];
        for (let minute = 1; minute <= 24 * 60; minute += 1) {
          rig.nowMs = start + minute * 60_000;
          if (minute % 50 === 0) {
            const scheduled = await settle(scheduler.refresh(false));
            if (scheduled.error) scheduledFailures += 1;
          }
          if (minute % 10 === 5) {
            const forced = await settle(consumer.refresh(true));
            if (forced.value?.refreshed) forcedWrites += 1;
            if (forced.error) refused.push(forced.error.name);
          }
        }

        expect(scheduledFailures).toBe(0);
        expect(forcedWrites).toBe(FORCED_REFRESHES_PER_DAY);
        expect(new Set(refused)).toEqual(new Set(['RefreshBudgetExhaustedError']));
        expect(rig.secrets.versionsWithin24Hours(RIG.accessTokenSecret)).toBeLessThanOrEqual(72);
        expect(rig.storedTokenWorks()).toBe(true);
        const error = (await settle(rig.container().refresh(true))).error;
        expect(error?.message).toMatch(/data centre|scope|organisation/);
      },
      LONG_RUN_TIMEOUT_MS,
    );
  });

  describe('reconnect', () => {
    it('revokes the refresh token it replaced, only once the new one is stored', async () => {
      const oldRefreshToken = String(rig.credentials().refresh_token);

      const result = await rig.container().exchange(rig.issueGrantCode(), false);

      expect(result.previous_refresh_token).toBe('revoked');
      expect(rig.sandbox.isRefreshTokenActive(oldRefreshToken)).toBe(false);
      expect(rig.sandbox.isRefreshTokenActive(String(rig.credentials().refresh_token))).toBe(true);
    });

    it('after a move to another data centre, revokes the replaced refresh token at the accounts server that issued it', async () => {
      rig.secrets.create(RIG.credentialsSecret, {
        ...rig.credentials(),
        accounts_url: 'https://accounts.zoho.eu',
      });

      const result = await rig.container().exchange(rig.issueGrantCode(), false);

      expect(result.previous_refresh_token).toBe('revoked');
      const revocations = rig.zohoRequests.filter((request) => request.path.endsWith('/revoke'));
      expect(revocations.map((request) => request.origin)).toEqual(['https://accounts.zoho.eu']);
    });

    it('keeps the replaced refresh token when the new one could not be stored', async () => {
      const oldRefreshToken = String(rig.credentials().refresh_token);
      const refusal = new EncryptionFailure({ message: 'KMS key is disabled', $metadata: {} });
      rig.secrets.mock.on(PutSecretValueCommand).rejects(refusal);

      const failed = await settle(rig.container().exchange(rig.issueGrantCode(), false));

      expect(failed.error?.name).toBe('ConfigError');
      expect(rig.sandbox.isRefreshTokenActive(oldRefreshToken)).toBe(true);
      expect(rig.credentials().refresh_token).toBe(oldRefreshToken);
    });
  });

  describe('upgrade from 0.2.0', () => {
    it('builds the state from the secrets written by 0.2.0 and drops its old fields at the next write', async () => {
      const token = rig.record().token;
      rig.secrets.create(RIG.accessTokenSecret, {
        ...token,
        connection_state: 'connected',
        state_since: rig.credentials().connected_at,
        connected_at: rig.credentials().connected_at,
        claimed_until: '2026-12-01T08:01:00.000Z',
        claimed_by: 'a-run-of-0.2.0',
      });
      // The same secrets next to a new, empty table.
      await rig.useNewStateTable();
      rig.advanceMinutes(50);

      const outcome = await rig.container().refresh(false);

      expect(outcome).toMatchObject({ refreshed: true, connectionState: 'connected' });
      expect(Object.keys(rig.secrets.jsonOf(RIG.accessTokenSecret)).sort()).toEqual([
        'access_token',
        'api_domain',
        'connection_state',
        'expires_at',
        'refreshed_at',
        'token_type',
      ]);
      expect(await rig.state()).toMatchObject({
        state: 'connected',
        connectedAt: rig.credentials().connected_at,
      });
    });
  });
});

/** Runs the tasks with at most `limit` in flight (0: no limit), as Lambda's reserved concurrency would. */
async function runWithConcurrency(
  tasks: readonly (() => Promise<RefreshOutcome>)[],
  limit: number,
): Promise<RefreshOutcome[]> {
  if (limit === 0) return Promise.all(tasks.map((task) => task()));
  const results: RefreshOutcome[] = [];
  const queue = [...tasks];
  await Promise.all(
    Array.from({ length: Math.min(limit, queue.length) }, async () => {
      for (let task = queue.shift(); task; task = queue.shift()) results.push(await task());
    }),
  );
  return results;
}
