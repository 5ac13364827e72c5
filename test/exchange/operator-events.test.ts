import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ConnectionStatus, DisconnectResult } from '../../functions/lib/connection-status.js';
import { followUpScheduleName } from '../../functions/lib/schedule/refresh-schedule.js';
import {
  ACCESS_TOKEN_SECRET,
  CLIENT,
  CREDENTIALS_SECRET,
  captureRejection,
  HandlerHarness,
  type LambdaHandler,
  lambdaContext,
  SCHEDULE_NAME,
} from '../support/handler-harness.js';

/** The operator's `status` and `disconnect`, answered by the exchange function from inside AWS. */
describe('exchange handler: {"status": true} and {"disconnect": true}', () => {
  let harness: HandlerHarness;
  let handler: LambdaHandler;
  const invoke = (event: unknown) => handler(event, lambdaContext('exchange'));
  const status = () => invoke({ status: true }) as Promise<ConnectionStatus>;
  const connect = (withClient = true) => {
    const code = harness.sandbox.issueGrantCode({ clientId: CLIENT.clientId, scope: 'ZohoCRM.modules.ALL' });
    return invoke(
      withClient ? { code, client_id: CLIENT.clientId, client_secret: CLIENT.clientSecret } : { code },
    );
  };

  beforeEach(async () => {
    harness = await HandlerHarness.start();
    handler = await harness.importHandler('exchange');
  });

  afterEach(async () => {
    await harness.stop();
  });

  it('reports a fresh deployment as not connected, with the schedule the template created', async () => {
    expect(await status()).toEqual({
      connection_state: 'not-connected',
      client_stored: false,
      accounts_url: harness.sandbox.url,
      schedule_name: SCHEDULE_NAME,
      schedule_state: 'ENABLED',
      schedule_expression: 'rate(50 minutes)',
      token_versions_24h: 0,
      forced_refreshes_24h: 0,
    });
  });

  it('reports a connection with its non-secret fields only', async () => {
    await connect();

    const answer = await status();

    expect(answer).toMatchObject({
      connection_state: 'connected',
      client_stored: true,
      client_id: CLIENT.clientId,
      accounts_url: harness.sandbox.url,
      api_domain: harness.sandbox.url,
      scope: 'ZohoCRM.modules.ALL',
      schedule_state: 'ENABLED',
    });
    expect(answer.expires_at).toBe(harness.accessToken().expires_at);
    expect(answer.connected_at).toBe(harness.credentials().connected_at);
    const everything = JSON.stringify(answer) + harness.output.join('');
    for (const secret of harness.knownSecrets()) expect(everything).not.toContain(secret);
  });

  it('disconnects from AWS: revokes at Zoho, clears the tokens, keeps the client, leaves the schedule on', async () => {
    await connect();
    const refreshToken = String(harness.credentials().refresh_token);
    const accessToken = String(harness.accessToken().access_token);

    const result = (await invoke({ disconnect: true })) as DisconnectResult;

    expect(result).toEqual({ status: 'disconnected', refresh_token: 'revoked' });
    expect(harness.sandbox.isRefreshTokenActive(refreshToken)).toBe(false);
    expect(harness.sandbox.isAccessTokenValid(accessToken)).toBe(false);
    expect(Object.keys(harness.credentials()).sort()).toEqual(['accounts_url', 'client_id', 'client_secret']);
    expect(harness.accessToken()).not.toHaveProperty('access_token');
    expect(await status()).toMatchObject({
      connection_state: 'not-connected',
      state_reason: 'disconnected',
      client_stored: true,
      schedule_state: 'ENABLED',
    });
    expect(harness.scheduler.get(followUpScheduleName(SCHEDULE_NAME))).toBeUndefined();
    const everything = JSON.stringify(result) + harness.output.join('');
    for (const secret of [refreshToken, accessToken, CLIENT.clientSecret])
      expect(everything).not.toContain(secret);

    // A reconnect then needs only a grant code.
    expect(await connect(false)).toMatchObject({ status: 'connected' });
    expect(await status()).toMatchObject({ connection_state: 'connected' });
  });

  it('changes nothing when Zoho cannot be reached to revoke, so the connection keeps working', async () => {
    await connect();
    const before = {
      credentials: harness.secrets.valueOf(CREDENTIALS_SECRET),
      token: harness.secrets.valueOf(ACCESS_TOKEN_SECRET),
    };
    harness.sandbox.setOutage('server-error');

    const error = await captureRejection(invoke({ disconnect: true }));

    expect(error.name).toBe('ZohoUnavailableError');
    expect(harness.secrets.valueOf(CREDENTIALS_SECRET)).toBe(before.credentials);
    expect(harness.secrets.valueOf(ACCESS_TOKEN_SECRET)).toBe(before.token);
  });

  it('disconnects a connection whose refresh token Zoho no longer knows', async () => {
    await connect();
    harness.sandbox.revokeRefreshToken(String(harness.credentials().refresh_token));

    expect(await invoke({ disconnect: true })).toEqual({
      status: 'disconnected',
      refresh_token: 'already-invalid',
    });
    expect(await invoke({ disconnect: true })).toEqual({
      status: 'disconnected',
      refresh_token: 'none-stored',
    });
  });

  it('never lets a status answer carry a secret even when the secrets are read by the function', async () => {
    await connect();
    let reads = 0;
    harness.secrets.mock.on(GetSecretValueCommand).callsFake((input: { SecretId: string }) => {
      reads += 1;
      return { SecretString: harness.secrets.valueOf(input.SecretId), VersionId: 'current' };
    });

    const answer = await status();

    // The credentials, for their non-secret fields; the state comes from the table.
    expect(reads).toBe(1);
    expect(Object.keys(answer)).not.toContain('client_secret');
    expect(Object.keys(answer)).not.toContain('refresh_token');
    expect(Object.keys(answer)).not.toContain('access_token');
  });
});
