import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { followUpScheduleName } from '../../functions/lib/schedule/refresh-schedule.js';
import {
  ACCESS_TOKEN_SECRET,
  CLIENT,
  CREDENTIALS_SECRET,
  captureRejection,
  HandlerHarness,
  type LambdaHandler,
  lambdaContext,
  NOW,
  SCHEDULE_NAME,
} from '../support/handler-harness.js';

const FOLLOW_UP = followUpScheduleName(SCHEDULE_NAME);

/** When the pending one-time follow-up run will fire (its at() expression is in UTC). */
function followUpTime(harness: HandlerHarness): number {
  const expression = harness.scheduler.get(FOLLOW_UP)?.ScheduleExpression ?? '';
  return Date.parse(`${/^at\((.*)\)$/.exec(expression)?.[1]}Z`);
}

describe('refresh handler, over HTTP against the Zoho sandbox', () => {
  let harness: HandlerHarness;
  let refresh: LambdaHandler;
  const invoke = (event: unknown = {}) =>
    refresh(event, lambdaContext('refresh')) as Promise<Record<string, unknown>>;

  beforeEach(async () => {
    harness = await HandlerHarness.start();
    const exchange = await harness.importHandler('exchange');
    const code = harness.sandbox.issueGrantCode({ clientId: CLIENT.clientId });
    await exchange(
      { code, client_id: CLIENT.clientId, client_secret: CLIENT.clientSecret },
      lambdaContext('exchange'),
    );
    refresh = await harness.importHandler('refresh');
  });

  afterEach(async () => {
    await harness.stop();
  });

  it('replaces a token minted 50 minutes ago and keeps the refresh token', async () => {
    await harness.ageStoredToken(50);
    const credentialsBefore = harness.secrets.valueOf(CREDENTIALS_SECRET);
    const oldToken = harness.accessToken().access_token as string;

    const result = await invoke({});

    expect(result).toEqual({
      refreshed: true,
      expires_at: harness.accessToken().expires_at,
      connection_state: 'connected',
      reason: 'due',
    });
    const stored = harness.accessToken();
    expect(stored.access_token).not.toBe(oldToken);
    expect(harness.sandbox.isAccessTokenValid(stored.access_token as string)).toBe(true);
    expect(Date.parse(stored.expires_at as string) - Date.parse(stored.refreshed_at as string)).toBe(
      3600_000,
    );
    expect(harness.secrets.valueOf(CREDENTIALS_SECRET)).toBe(credentialsBefore);
    expect(harness.sandbox.stats.refreshes).toBe(1);
    const everything = JSON.stringify(result) + harness.output.join('');
    for (const secret of [...harness.knownSecrets(), oldToken]) expect(everything).not.toContain(secret);
  });

  it('makes one call to Zoho however many duplicate or concurrent runs arrive', async () => {
    await harness.ageStoredToken(50);

    const versionsBefore = harness.secrets.versionCount(ACCESS_TOKEN_SECRET);
    const concurrent = await Promise.all([invoke({}), invoke({}), invoke({ force: true }), invoke({})]);
    const duplicate = await invoke({});
    const forcedAgain = await invoke({ force: true });

    expect(harness.sandbox.stats.refreshes).toBe(1);
    expect(concurrent.every((result) => result.refreshed === true)).toBe(true);
    const skipped = {
      refreshed: false,
      expires_at: concurrent[0]?.expires_at,
      connection_state: 'connected',
      reason: 'recently-refreshed',
    };
    expect(duplicate).toEqual(skipped);
    expect(forcedAgain).toEqual(skipped);
    expect(harness.secrets.versionCount(ACCESS_TOKEN_SECRET) - versionsBefore).toBe(1);
  });

  it('honours a forced refresh once the token is 10 minutes old', async () => {
    expect((await invoke({ force: true })).refreshed).toBe(false);
    await harness.ageStoredToken(10);
    expect((await invoke({ force: true })).refreshed).toBe(true);
    expect(harness.sandbox.stats.refreshes).toBe(1);
  });

  it('never switches the recurring schedule, whatever a run finds', async () => {
    await harness.ageStoredToken(20);
    await invoke({});
    await harness.ageStoredToken(20);
    await invoke({ force: true });
    harness.sandbox.revokeRefreshToken(harness.credentials().refresh_token as string);
    await harness.ageStoredToken(50);
    await captureRejection(invoke({}));

    expect(harness.scheduler.calls.update).toBe(0);
    expect(harness.scheduler.get(SCHEDULE_NAME)?.State).toBe('ENABLED');
  });

  it('arms a one-time follow-up when a skipped run leaves the token to a schedule that would come too late', async () => {
    await harness.ageStoredToken(7);

    const result = await invoke({});

    expect(result.refreshed).toBe(false);
    const followUp = harness.scheduler.get(FOLLOW_UP);
    expect(followUp?.ScheduleExpression).toMatch(/^at\(/);
    expect(followUp?.Target?.Input).toBe('{}');
    expect(followUp?.ActionAfterCompletion).toBe('DELETE');
  });

  it('on a revoked refresh token: fails with RefreshTokenRevokedError, stores needs-reconnect, cancels any follow-up, keeps the token', async () => {
    await harness.ageStoredToken(50);
    const credentials = harness.secrets.valueOf(CREDENTIALS_SECRET);
    const token = harness.accessToken().access_token;
    harness.sandbox.revokeRefreshToken(harness.credentials().refresh_token as string);
    harness.sandbox.setOutage('server-error');
    await captureRejection(invoke({}));
    expect(harness.scheduler.get(FOLLOW_UP)).toBeDefined();
    harness.sandbox.setOutage(undefined);

    const error = await captureRejection(invoke({}));

    expect(error.name).toBe('RefreshTokenRevokedError');
    expect(error.message).toMatch(/grant code/i);
    // Consumers read the new state next to the token; the table says why and since when.
    expect(harness.accessToken()).toMatchObject({ access_token: token, connection_state: 'needs-reconnect' });
    expect(await harness.state()).toMatchObject({
      state: 'needs-reconnect',
      stateReason: 'RefreshTokenRevokedError',
      stateSince: new Date(NOW).toISOString(),
    });
    expect(harness.scheduler.get(SCHEDULE_NAME)?.State).toBe('ENABLED');
    expect(harness.scheduler.get(FOLLOW_UP)).toBeUndefined();
    expect(harness.secrets.valueOf(CREDENTIALS_SECRET)).toBe(credentials);
    // The schedule's later runs are quiet and read no secret: the table says it all.
    const reads = harness.secrets.calls.get;
    expect(await invoke({})).toMatchObject({ refreshed: false, connection_state: 'needs-reconnect' });
    expect(harness.secrets.calls.get - reads).toBe(0);
  });

  it('on an outage: keeps the current token, retries a minute later, and recovers', async () => {
    await harness.ageStoredToken(50);
    const storedToken = harness.secrets.valueOf(ACCESS_TOKEN_SECRET);
    harness.sandbox.setOutage('server-error');

    const error = await captureRejection(invoke({}));

    expect(error.name).toBe('ZohoUnavailableError');
    // A failing run writes no version of the secret: the table records the failure.
    expect(harness.secrets.valueOf(ACCESS_TOKEN_SECRET)).toBe(storedToken);
    expect(await harness.state()).toMatchObject({
      state: 'failing',
      lastFailureError: 'ZohoUnavailableError',
      retryAfter: new Date(NOW + 60_000).toISOString(),
    });
    expect(followUpTime(harness)).toBe(NOW + 60_000);

    harness.sandbox.setOutage(undefined);
    expect((await invoke({})).refreshed).toBe(true);
  });

  it('on an outage: holds back forced runs until the next try, so consumers cannot multiply calls to Zoho', async () => {
    await harness.ageStoredToken(50);
    harness.sandbox.setOutage('server-error');
    expect((await captureRejection(invoke({}))).name).toBe('ZohoUnavailableError');
    const requests = harness.sandbox.stats.tokenRequests;

    const forced = await captureRejection(invoke({ force: true }));

    expect(forced.name).toBe('ZohoUnavailableError');
    expect(forced.message).toMatch(/next try/);
    expect(harness.sandbox.stats.tokenRequests).toBe(requests);
    // A scheduled or follow-up run is never held back: it is what tries again.
    harness.sandbox.setOutage(undefined);
    expect((await invoke({})).refreshed).toBe(true);
  });

  it('on Zoho throttling with a token that outlives the block: waits 10 minutes without calling Zoho again', async () => {
    await harness.ageStoredToken(20);
    harness.sandbox.injectFaults('rate-limit');

    expect((await captureRejection(invoke({ force: true }))).name).toBe('ZohoRateLimitedError');
    const requests = harness.sandbox.stats.tokenRequests;
    const again = await captureRejection(invoke({ force: true }));

    expect(again.name).toBe('ZohoRateLimitedError');
    expect(harness.sandbox.stats.tokenRequests).toBe(requests);
    expect(followUpTime(harness)).toBe(NOW + 10 * 60_000);
  });

  it('on Zoho throttling with a token about to expire: tries again every minute', async () => {
    await harness.ageStoredToken(50);
    harness.sandbox.injectFaults('rate-limit');

    expect((await captureRejection(invoke({}))).name).toBe('ZohoRateLimitedError');

    expect(followUpTime(harness)).toBe(NOW + 60_000);
  });

  it('never calls Zoho again with a refresh token it found revoked, however many forced runs arrive', async () => {
    await harness.ageStoredToken(50);
    harness.sandbox.revokeRefreshToken(harness.credentials().refresh_token as string);
    expect((await captureRejection(invoke({}))).name).toBe('RefreshTokenRevokedError');
    const requests = harness.sandbox.stats.tokenRequests;

    const forced: Error[] = [];
    for (let run = 0; run < 3; run += 1) forced.push(await captureRejection(invoke({ force: true })));

    expect(forced.map((error) => error.name)).toEqual(Array(3).fill('RefreshTokenRevokedError'));
    expect(harness.sandbox.stats.tokenRequests).toBe(requests);
  });

  it('reports changed client credentials as InvalidClientError and changes nothing', async () => {
    await harness.ageStoredToken(50);
    const credentials = {
      ...harness.credentials(),
      client_secret: 'ffffffffffffffffffffffffffffffffffffffffff',
    };
    harness.secrets.create(CREDENTIALS_SECRET, credentials);
    const storedToken = harness.accessToken().access_token;

    const error = await captureRejection(invoke({}));

    expect(error.name).toBe('InvalidClientError');
    expect(harness.accessToken().access_token).toBe(storedToken);
    // Zoho will not accept this client a minute from now either: the next try is 10 minutes on, unless
    // the stored token needs replacing before then (here it expires in 10 minutes: 5 minutes on).
    expect(await harness.state()).toMatchObject({
      state: 'failing',
      lastFailureError: 'InvalidClientError',
      retryAfter: new Date(NOW + 5 * 60_000).toISOString(),
    });
  });

  it('before any exchange: a scheduled run returns quietly, reading the secrets once to build the state, a forced one reports NotConnectedError', async () => {
    harness.secrets.create(CREDENTIALS_SECRET, {
      client_id: CLIENT.clientId,
      client_secret: CLIENT.clientSecret,
    });
    harness.secrets.create(ACCESS_TOKEN_SECRET, {});
    await harness.clearState();
    const reads = harness.secrets.calls.get;
    const requests = harness.sandbox.stats.tokenRequests;

    const scheduled = await invoke({});
    const readsOfScheduled = harness.secrets.calls.get - reads;
    const error = await captureRejection(invoke({ force: true }));

    expect(scheduled).toEqual({
      refreshed: false,
      connection_state: 'not-connected',
      reason: 'not-connected',
    });
    // The first run builds the table's state from the two secrets; later runs read no secret.
    expect(readsOfScheduled).toBe(2);
    const readsBefore = harness.secrets.calls.get;
    await invoke({});
    expect(harness.secrets.calls.get).toBe(readsBefore);
    expect(error.name).toBe('NotConnectedError');
    expect(error.message).toMatch(/exchange/);
    expect(harness.sandbox.stats.tokenRequests).toBe(requests);
    const failedRuns = harness.output
      .join('')
      .split('\n')
      .filter((line) => line.includes('"RefreshFailed":1'));
    expect(failedRuns).toHaveLength(1);
  });

  it('refuses an event of the wrong shape', async () => {
    expect((await captureRejection(invoke({ force: 'yes' }))).name).toBe('InvalidEventError');
  });

  it('replaces whatever was saved into the access-token secret by hand with a valid token', async () => {
    harness.secrets.create(ACCESS_TOKEN_SECRET, '[1,2,3]');

    const result = await invoke({});

    expect(result).toMatchObject({ refreshed: true, reason: 'secret-replaced' });
    expect(harness.sandbox.isAccessTokenValid(String(harness.accessToken().access_token))).toBe(true);
  });

  it('replaces a malformed access-token secret even when the state must be built from the secrets', async () => {
    harness.secrets.create(ACCESS_TOKEN_SECRET, '[1,2,3]');
    await harness.clearState();

    const result = await invoke({});

    expect(result).toMatchObject({ refreshed: true, reason: 'no-token' });
    expect(harness.sandbox.isAccessTokenValid(String(harness.accessToken().access_token))).toBe(true);
  });

  it('reports a credentials secret it cannot read as ConfigError, naming the secret, and writes nothing', async () => {
    harness.secrets.create(CREDENTIALS_SECRET, '[1,2,3]');
    const accessToken = harness.secrets.valueOf(ACCESS_TOKEN_SECRET);
    await harness.clearState();

    const error = await captureRejection(invoke({}));

    expect(error.name).toBe('ConfigError');
    expect(error.message).toContain(CREDENTIALS_SECRET);
    expect(harness.secrets.valueOf(ACCESS_TOKEN_SECRET)).toBe(accessToken);
  });

  it('publishes the outcome, the minutes of token life left and the Zoho latency', async () => {
    await harness.ageStoredToken(50);
    await invoke({});
    await invoke({});

    const metrics = harness.output
      .join('')
      .split('\n')
      .filter((line) => line.includes('"_aws"'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(metrics.some((line) => line.RefreshSucceeded === 1 && Number(line.TokenMinutesLeft) > 59)).toBe(
      true,
    );
    expect(metrics.some((line) => line.RefreshSkipped === 1)).toBe(true);
    expect(metrics.some((line) => typeof line.ZohoLatency === 'number')).toBe(true);
    expect(metrics.every((line) => line.service === 'test')).toBe(true);
  });
});
