import { EncryptionFailure, PutSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { followUpScheduleName } from '../../functions/lib/schedule/refresh-schedule.js';
import type { RefreshOutcome } from '../../functions/refresh/refresh-access-token.js';
import { ConnectionRig, RIG } from '../support/connection-rig.js';

/**
 * Things overlap in production: a refresh waiting on Zoho while an operator reconnects or
 * disconnects, many consumers forcing a refresh at once in separate containers, a store that
 * refuses writes. These drive the real use cases and store against each other.
 */
describe('overlapping runs, reconnects and disconnects', () => {
  let rig: ConnectionRig;

  beforeEach(async () => {
    rig = new ConnectionRig();
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

  it('a reconnect while a scheduled refresh waits on Zoho wins: the older run does not overwrite it', async () => {
    rig.advanceMinutes(50);
    const oldRefreshToken = rig.credentials().refresh_token;
    const held = rig.holdNextAnswer();
    const run = settle(rig.container().refresh(false));
    await held.answered;

    const reconnect = await rig.container().exchange(rig.issueGrantCode(), false);
    held.release();
    const outcome = await run;

    expect(outcome.value).toMatchObject({
      refreshed: false,
      reason: 'superseded',
      connectionState: 'connected',
    });
    expect(reconnect.previous_refresh_token).toBe('revoked');
    expect(rig.credentials().refresh_token).not.toBe(oldRefreshToken);
    expect(rig.storedTokenWorks()).toBe(true);
    expect(rig.record().fields.connected_at).toBe(rig.credentials().connected_at);
  });

  it('a disconnect while a forced refresh waits on Zoho wins: nothing of the old connection comes back', async () => {
    rig.advanceMinutes(20);
    const held = rig.holdNextAnswer();
    const run = settle(rig.container().refresh(true));
    await held.answered;

    const disconnected = await rig.container().disconnect();
    held.release();
    const outcome = await run;

    expect(disconnected).toEqual({ status: 'disconnected', refresh_token: 'revoked' });
    expect(outcome.error?.name).toBe('NotConnectedError');
    expect(rig.record().state).toBe('not-connected');
    expect(rig.record().token).toBeUndefined();
    expect(Object.keys(rig.credentials()).sort()).toEqual(['accounts_url', 'client_id', 'client_secret']);
    expect(rig.scheduler.get(RIG.schedule)?.State).toBe('ENABLED');
    // The schedule's next run finds nothing to do and says so quietly.
    expect(await rig.container().refresh(false)).toMatchObject({
      refreshed: false,
      connectionState: 'not-connected',
    });
  });

  it('a run that heard "revoked" for the old refresh token cannot undo a reconnect that came meanwhile', async () => {
    rig.advanceMinutes(50);
    rig.sandbox.revokeRefreshToken(String(rig.credentials().refresh_token));
    const held = rig.holdNextAnswer();
    const run = settle(rig.container().refresh(false));
    await held.answered;

    await rig.container().exchange(rig.issueGrantCode(), false);
    held.release();
    const outcome = await run;

    expect(outcome.value).toMatchObject({
      refreshed: false,
      reason: 'superseded',
      connectionState: 'connected',
    });
    expect(rig.record().state).toBe('connected');
    expect(rig.storedTokenWorks()).toBe(true);
  });

  it.each([0, 1, 5])(
    '12 forced refreshes in 12 containers make one Zoho call (reserved concurrency %i)',
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
      const stored = rig.record().token?.expires_at;
      for (const outcome of outcomes)
        expect(outcome.expiresAt === stored || outcome.reason === 'in-progress').toBe(true);
      expect(rig.storedTokenWorks()).toBe(true);
      expect(rig.record().fields.claimed_until).toBeUndefined();
    },
  );

  it('a forced run makes no Zoho call while another container holds the claim, until the claim lapses', async () => {
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

  it('a scheduled run that meets a claim arms a follow-up for when the claim lapses, in case its holder died', async () => {
    rig.advanceMinutes(50);
    const held = rig.holdNextAnswer();
    void settle(rig.container().refresh(true));
    await held.answered;

    const scheduled = await rig.container().refresh(false);

    expect(scheduled).toMatchObject({ refreshed: false, reason: 'in-progress' });
    expect(scheduled.followUpAt).toBe(rig.record().fields.claimed_until);
    const followUp = rig.scheduler.get(followUpScheduleName(RIG.schedule));
    expect(followUp?.ScheduleExpression).toBe(`at(${scheduled.followUpAt?.slice(0, 19)})`);
    held.release();
  });

  it('a claim left by a run that died is taken over once it lapses', async () => {
    rig.advanceMinutes(20);
    const held = rig.holdNextAnswer();
    void settle(rig.container().refresh(true));
    await held.answered;
    // The holder never comes back (timed out); its claim lapses after a minute.
    rig.advanceMinutes(2);

    const outcome = await rig.container().refresh(true);

    expect(outcome.refreshed).toBe(true);
    expect(rig.storedTokenWorks()).toBe(true);
  });

  it('costs at most 3 AWS calls per scheduled refresh and 4 per forced refresh', async () => {
    rig.advanceMinutes(50);
    const start = { ...rig.secrets.calls };
    await rig.container().refresh(false);
    const scheduled = { get: rig.secrets.calls.get - start.get, put: rig.secrets.calls.put - start.put };
    rig.advanceMinutes(20);
    const middle = { ...rig.secrets.calls };
    await rig.container().refresh(true);
    const forced = { get: rig.secrets.calls.get - middle.get, put: rig.secrets.calls.put - middle.put };

    expect(scheduled).toEqual({ get: 2, put: 1 });
    expect(forced).toEqual({ get: 2, put: 2 });
    expect(rig.scheduler.calls.update).toBe(0);
  });

  describe('what Zoho said is stored, so every container knows it', () => {
    it('after "revoked": needs-reconnect; later runs anywhere cost one read and make no Zoho call', async () => {
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
      expect(rig.secrets.calls.get - reads).toBe(2);
      expect(rig.record().fields).toMatchObject({
        connection_state: 'needs-reconnect',
        state_reason: 'refresh-token-revoked',
        last_failure_error: 'RefreshTokenRevokedError',
      });
      expect(rig.scheduler.get(RIG.schedule)?.State).toBe('ENABLED');
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
      const followUp = rig.scheduler.get(followUpScheduleName(RIG.schedule));
      expect(followUp?.ScheduleExpression).toBe(`at(${rig.record().fields.retry_after?.slice(0, 19)})`);

      rig.sandbox.setOutage(undefined);
      rig.advanceMinutes(1);
      expect((await rig.container().refresh(false)).refreshed).toBe(true);
      expect(rig.record().fields.retry_after).toBeUndefined();
    });

    it('a token Zoho minted but the store refused: the next try is 10 minutes on, and forced runs make no call meanwhile', async () => {
      rig.advanceMinutes(50);
      const refusal = new EncryptionFailure({ message: 'KMS key is disabled', $metadata: {} });
      rig.secrets.mock.on(PutSecretValueCommand).rejects(refusal);
      const requests = rig.sandbox.stats.tokenRequests;

      const scheduled = await settle(rig.container().refresh(false));
      const forced = await Promise.all(
        Array.from({ length: 12 }, () => settle(rig.container().refresh(true))),
      );

      expect(scheduled.error?.name).toBe('ConfigError');
      expect(forced.every((outcome) => outcome.error?.name === 'ConfigError')).toBe(true);
      // One token minted by the scheduled run; the forced runs could not take the claim, so made no call.
      expect(rig.sandbox.stats.tokenRequests - requests).toBe(1);
      const followUp = rig.scheduler.get(followUpScheduleName(RIG.schedule))?.ScheduleExpression ?? '';
      const followUpAt = Date.parse(`${/^at\((.+)\)$/.exec(followUp)?.[1]}Z`);
      expect(followUpAt - rig.nowMs).toBe(10 * 60_000);
    });
  });

  it('refuses to refresh with an accounts server other than the one the connection was made with', async () => {
    rig.advanceMinutes(50);
    const requests = rig.sandbox.stats.tokenRequests;

    const outcome = await settle(rig.container({ accountsUrl: 'https://accounts.zoho.com' }).refresh(false));

    expect(outcome.error?.name).toBe('ConfigError');
    expect(outcome.error?.message).toContain('https://accounts.zoho.com');
    expect(outcome.error?.message).toMatch(/dataCenter/);
    expect(rig.sandbox.stats.tokenRequests).toBe(requests);
  });

  describe('reconnect', () => {
    it('revokes the refresh token it replaced, only once the new one is stored', async () => {
      const oldRefreshToken = String(rig.credentials().refresh_token);

      const result = await rig.container().exchange(rig.issueGrantCode(), false);

      expect(result.previous_refresh_token).toBe('revoked');
      expect(rig.sandbox.isRefreshTokenActive(oldRefreshToken)).toBe(false);
      expect(rig.sandbox.isRefreshTokenActive(String(rig.credentials().refresh_token))).toBe(true);
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

    it('a refresh waits for a reconnect that stored its refresh token but not yet its access token, and completes one that stopped', async () => {
      rig.advanceMinutes(20);
      // A reconnect has written its credentials and is about to write the access token.
      rig.secrets.create(RIG.credentialsSecret, {
        ...rig.credentials(),
        connected_at: rig.now().toISOString(),
      });
      rig.advanceMinutes(1);

      const soon = await rig.container().refresh(true);
      rig.advanceMinutes(5);
      const later = await rig.container().refresh(true);

      expect(soon).toMatchObject({ refreshed: false, reason: 'in-progress' });
      expect(later.refreshed).toBe(true);
      expect(rig.record().fields.connected_at).toBe(rig.credentials().connected_at);
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
