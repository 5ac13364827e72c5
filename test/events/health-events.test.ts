import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  CLIENT,
  captureRejection,
  HandlerHarness,
  type LambdaHandler,
  lambdaContext,
  NOW,
} from '../support/handler-harness.js';

/**
 * The deployed functions put their health events with the real EventBridge client, on the wire, to a
 * stand-in EventBridge on 127.0.0.1: what a rule on the bus would receive.
 */
describe('health events, end to end through the functions', () => {
  let harness: HandlerHarness;
  let exchange: LambdaHandler;
  let refresh: LambdaHandler;
  const connect = () =>
    exchange(
      {
        code: harness.sandbox.issueGrantCode({ clientId: CLIENT.clientId }),
        client_id: CLIENT.clientId,
        client_secret: CLIENT.clientSecret,
      },
      lambdaContext('exchange'),
    );
  const run = (event: unknown = {}) =>
    refresh(event, lambdaContext('refresh')) as Promise<Record<string, unknown>>;
  const minutesLater = (minutes: number) => vi.setSystemTime(Date.now() + minutes * 60_000);

  beforeEach(async () => {
    harness = await HandlerHarness.start();
    exchange = await harness.importHandler('exchange');
    refresh = await harness.importHandler('refresh');
  });

  afterEach(async () => {
    await harness.stop();
  });

  it('a connect, a failing refresh, its recovery and a revoked token publish connected -> failing -> connected -> needs-reconnect, once each', async () => {
    await connect();
    minutesLater(50);
    harness.sandbox.setOutage('server-error');
    for (let attempt = 0; attempt < 3; attempt += 1) {
      expect((await captureRejection(run())).name).toBe('ZohoUnavailableError');
      minutesLater(1);
    }
    harness.sandbox.setOutage(undefined);
    expect((await run()).refreshed).toBe(true);
    minutesLater(50);
    harness.sandbox.revokeRefreshToken(String(harness.credentials().refresh_token));
    expect((await captureRejection(run())).name).toBe('RefreshTokenRevokedError');
    expect((await captureRejection(run({ force: true }))).name).toBe('RefreshTokenRevokedError');

    const at = (minutes: number) => new Date(NOW + minutes * 60_000).toISOString();
    expect(harness.eventBridge.details()).toEqual([
      event('not-connected', 'connected', 'connected', at(0)),
      event('connected', 'failing', 'ZohoUnavailableError', at(50)),
      event('failing', 'connected', 'refreshed', at(53)),
      event('connected', 'needs-reconnect', 'RefreshTokenRevokedError', at(103)),
    ]);
    for (const request of harness.eventBridge.received) {
      expect(request.headers['x-amz-target']).toBe('AWSEvents.PutEvents');
      expect(request.body).toMatchObject({
        Entries: [{ Source: 'zoho-token-keeper', DetailType: 'Zoho Connection State Change' }],
      });
      const wire = JSON.stringify(request.body);
      for (const secret of harness.knownSecrets()) expect(wire).not.toContain(secret);
    }
  });

  it('a disconnect publishes not-connected; a lost event is counted and fails nothing', async () => {
    await connect();
    harness.eventBridge.answer = {
      status: 200,
      body: { FailedEntryCount: 1, Entries: [{ ErrorCode: 'InternalFailure', ErrorMessage: 'try again' }] },
    };

    const result = await exchange({ disconnect: true }, lambdaContext('exchange'));

    expect(result).toMatchObject({ status: 'disconnected' });
    expect(harness.eventBridge.details().map((detail) => detail.state)).toEqual([
      'connected',
      'not-connected',
    ]);
    const metrics = harness.output
      .join('')
      .split('\n')
      .filter((line) => line.includes('"_aws"'));
    expect(metrics.some((line) => line.includes('"HealthEventNotPublished":1'))).toBe(true);
  });
});

function event(previousState: string, state: string, reason: string, at: string): Record<string, unknown> {
  return { connectionName: 'test', state, previousState, reason, at, dataCentre: 'custom' };
}
