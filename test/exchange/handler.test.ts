import { PutSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
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

describe('exchange handler, over HTTP against the Zoho sandbox', () => {
  let harness: HandlerHarness;
  let handler: LambdaHandler;
  const invoke = (event: unknown) => handler(event, lambdaContext('exchange'));
  const withClient = (code: string) => ({
    code,
    client_id: CLIENT.clientId,
    client_secret: CLIENT.clientSecret,
  });

  beforeEach(async () => {
    harness = await HandlerHarness.start();
    handler = await harness.importHandler('exchange');
  });

  afterEach(async () => {
    await harness.stop();
  });

  it('stores both secrets, marks the connection connected, and returns no token', async () => {
    const code = harness.sandbox.issueGrantCode({ clientId: CLIENT.clientId, scope: 'ZohoCRM.modules.ALL' });

    const result = (await invoke({
      code: `  ${code}\n`,
      client_id: CLIENT.clientId,
      client_secret: CLIENT.clientSecret,
    })) as Record<string, string>;

    expect(result).toEqual({
      status: 'connected',
      api_domain: harness.sandbox.url,
      scope: 'ZohoCRM.modules.ALL',
      expires_at: expect.any(String),
    });
    expect(result.expires_at).toBe(new Date(NOW + 3600_000).toISOString());

    const credentials = harness.credentials();
    expect(Object.keys(credentials).sort()).toEqual(
      [
        'accounts_url',
        'api_domain',
        'client_id',
        'client_secret',
        'connected_at',
        'refresh_token',
        'scope',
      ].sort(),
    );
    expect(credentials).toMatchObject({
      client_id: CLIENT.clientId,
      client_secret: CLIENT.clientSecret,
      accounts_url: harness.sandbox.url,
      scope: 'ZohoCRM.modules.ALL',
    });
    expect(harness.sandbox.isRefreshTokenActive(credentials.refresh_token as string)).toBe(true);

    const accessToken = harness.accessToken();
    expect(Object.keys(accessToken).sort()).toEqual([
      'access_token',
      'api_domain',
      'connection_state',
      'expires_at',
      'refreshed_at',
      'token_type',
    ]);
    expect(accessToken.connection_state).toBe('connected');
    expect(await harness.state()).toMatchObject({
      state: 'connected',
      stateReason: 'connected',
      stateSince: credentials.connected_at,
      connectedAt: credentials.connected_at,
      expiresAt: result.expires_at,
    });
    expect(accessToken.token_type).toBe('Bearer');
    expect(accessToken.expires_at).toBe(result.expires_at);
    expect(harness.sandbox.isAccessTokenValid(accessToken.access_token as string)).toBe(true);

    // The template owns the recurring schedule: an exchange never switches it.
    expect(harness.scheduler.calls.update + harness.scheduler.calls.create).toBe(0);

    const everything = JSON.stringify(result) + harness.output.join('');
    for (const secret of [...harness.knownSecrets(), code]) expect(everything).not.toContain(secret);
  });

  it('uses the client id and secret the operator put into the credentials secret', async () => {
    harness.secrets.create(CREDENTIALS_SECRET, {
      client_id: CLIENT.clientId,
      client_secret: CLIENT.clientSecret,
    });
    const code = harness.sandbox.issueGrantCode({ clientId: CLIENT.clientId });

    const result = await invoke({ code });

    expect(result).toMatchObject({ status: 'connected' });
    expect(result).not.toHaveProperty('scope');
    expect(harness.credentials()).not.toHaveProperty('scope');
  });

  it('refuses a code that cannot be a grant code before calling Zoho', async () => {
    const error = await captureRejection(invoke({ code: CLIENT.clientId }));

    expect(error.name).toBe('InvalidEventError');
    expect(harness.sandbox.stats.tokenRequests).toBe(0);
  });

  it('asks for the client when none is given or stored, before calling Zoho', async () => {
    const code = harness.sandbox.issueGrantCode({ clientId: CLIENT.clientId });

    const error = await captureRejection(invoke({ code }));

    expect(error.name).toBe('NotConnectedError');
    expect(error.message).toContain(CREDENTIALS_SECRET);
    expect(harness.sandbox.stats.tokenRequests).toBe(0);
  });

  it('keeps the working connection when the same code is exchanged again', async () => {
    const code = harness.sandbox.issueGrantCode({ clientId: CLIENT.clientId });
    await invoke(withClient(code));
    const connected = {
      credentials: harness.secrets.valueOf(CREDENTIALS_SECRET),
      token: harness.secrets.valueOf(ACCESS_TOKEN_SECRET),
    };

    const error = await captureRejection(invoke(withClient(code)));

    expect(error.name).toBe('InvalidGrantCodeError');
    expect(error.message).toMatch(/single-use/i);
    expect(harness.secrets.valueOf(CREDENTIALS_SECRET)).toBe(connected.credentials);
    expect(harness.secrets.valueOf(ACCESS_TOKEN_SECRET)).toBe(connected.token);
    expect(harness.scheduler.get(SCHEDULE_NAME)?.State).toBe('ENABLED');
  });

  it('puts both secrets back and revokes the new refresh token when storing fails after Zoho answered', async () => {
    await invoke(withClient(harness.sandbox.issueGrantCode({ clientId: CLIENT.clientId })));
    const connected = {
      credentials: harness.secrets.valueOf(CREDENTIALS_SECRET),
      token: harness.secrets.valueOf(ACCESS_TOKEN_SECRET),
    };
    const workingRefreshToken = harness.credentials().refresh_token as string;
    harness.secrets.mock
      .on(PutSecretValueCommand, { SecretId: ACCESS_TOKEN_SECRET })
      .rejects(Object.assign(new Error('denied'), { name: 'AccessDeniedException' }));

    const error = await captureRejection(
      invoke(withClient(harness.sandbox.issueGrantCode({ clientId: CLIENT.clientId }))),
    );

    expect(error.name).toBe('ConfigError');
    expect(error.message).toMatch(/credentials were put back as they were/);
    expect(error.message).toMatch(/revoked at Zoho/);
    expect(harness.secrets.valueOf(CREDENTIALS_SECRET)).toBe(connected.credentials);
    expect(harness.secrets.valueOf(ACCESS_TOKEN_SECRET)).toBe(connected.token);
    expect(harness.sandbox.isRefreshTokenActive(workingRefreshToken)).toBe(true);
    const revoked = harness.sandbox.requests().filter((request) => request.path === '/oauth/v2/token/revoke');
    expect(revoked).toHaveLength(1);
    expect(revoked[0]?.body.token).not.toBe(workingRefreshToken);
    expect(harness.sandbox.isRefreshTokenActive(revoked[0]?.body.token ?? '')).toBe(false);
  });

  it('keeps the new refresh token valid when the credentials cannot be put back, so the connection still works', async () => {
    // The credentials write succeeds, the access-token write is denied, and putting the credentials back is throttled.
    harness.secrets.beforePut((input, nth) => {
      if (input.SecretId === ACCESS_TOKEN_SECRET)
        throw Object.assign(new Error('denied'), { name: 'AccessDeniedException' });
      if (nth > 1) throw Object.assign(new Error('slow down'), { name: 'ThrottlingException' });
    });

    const error = await captureRejection(
      invoke(withClient(harness.sandbox.issueGrantCode({ clientId: CLIENT.clientId }))),
    );

    expect(error.name).toBe('ConfigError');
    expect(error.message).toMatch(/could not be put back \(ThrottlingException\)/);
    expect(error.message).toMatch(/kept valid/);
    const stored = harness.credentials().refresh_token as string;
    expect(harness.sandbox.isRefreshTokenActive(stored)).toBe(true);
    expect(harness.sandbox.requests().some((request) => request.path === '/oauth/v2/token/revoke')).toBe(
      false,
    );
    expect(harness.output.join('')).toContain('Could not put the credentials back after a failed exchange');
  });

  it('uses the client given in the event over the one stored', async () => {
    harness.secrets.create(CREDENTIALS_SECRET, {
      client_id: '1000.OLDCLIENT',
      client_secret: 'oldsecret0123456789abcdef',
    });

    await invoke(withClient(harness.sandbox.issueGrantCode({ clientId: CLIENT.clientId })));

    expect(harness.credentials()).toMatchObject({
      client_id: CLIENT.clientId,
      client_secret: CLIENT.clientSecret,
    });
  });

  it('reports a wrong client secret as InvalidClientError and stores nothing', async () => {
    const code = harness.sandbox.issueGrantCode({ clientId: CLIENT.clientId });

    const error = await captureRejection(
      invoke({
        code,
        client_id: CLIENT.clientId,
        client_secret: 'ffffffffffffffffffffffffffffffffffffffffff',
      }),
    );

    expect(error.name).toBe('InvalidClientError');
    expect(harness.credentials()).toEqual({});
    expect(harness.accessToken()).toEqual({});
  });

  it('reports Zoho throttling as ZohoRateLimitedError', async () => {
    harness.sandbox.injectFaults('rate-limit');
    const code = harness.sandbox.issueGrantCode({ clientId: CLIENT.clientId });

    const error = await captureRejection(invoke(withClient(code)));

    expect(error.name).toBe('ZohoRateLimitedError');
    expect(error.message).toMatch(/10 minutes/);
    expect(harness.accessToken()).toEqual({});
  });

  it('gives up on an unreachable Zoho after bounded retries, storing nothing', async () => {
    harness.sandbox.setOutage('server-error');
    const code = harness.sandbox.issueGrantCode({ clientId: CLIENT.clientId });

    const error = await captureRejection(invoke(withClient(code)));

    expect(error.name).toBe('ZohoUnavailableError');
    expect(harness.sandbox.stats.tokenRequests).toBe(3);
    expect(harness.credentials()).toEqual({});
    expect(harness.accessToken()).toEqual({});
  });

  it('leaves a malformed credentials secret untouched and says how to fix it', async () => {
    harness.secrets.create(CREDENTIALS_SECRET, 'not json');
    const code = harness.sandbox.issueGrantCode({ clientId: CLIENT.clientId });

    const error = await captureRejection(invoke(withClient(code)));

    expect(error.name).toBe('ConfigError');
    expect(error.message).toContain(CREDENTIALS_SECRET);
    expect(harness.secrets.valueOf(CREDENTIALS_SECRET)).toBe('not json');
    expect(harness.sandbox.stats.tokenRequests).toBe(0);
  });

  it('fails its cold start with a ConfigError naming a missing variable', async () => {
    harness.secrets.create(CREDENTIALS_SECRET, {});
    process.env.REFRESH_SCHEDULE_NAME = '';

    const error = await captureRejection(harness.importHandler('exchange'));

    expect(error.name).toBe('ConfigError');
    expect(error.message).toContain('REFRESH_SCHEDULE_NAME');
  });

  it('keeps the event out of the logs even when POWERTOOLS_LOGGER_LOG_EVENT asks for it', async () => {
    vi.stubEnv('POWERTOOLS_LOGGER_LOG_EVENT', 'true');
    handler = await harness.importHandler('exchange');
    const code = harness.sandbox.issueGrantCode({ clientId: CLIENT.clientId });

    await invoke(withClient(code));
    await captureRejection(
      invoke({ code: `${code}!`, client_id: CLIENT.clientId, client_secret: CLIENT.clientSecret }),
    );

    const everything = harness.output.join('');
    expect(everything).toContain('Connected to Zoho');
    for (const secret of [...harness.knownSecrets(), code]) expect(everything).not.toContain(secret);
  });

  it('writes structured logs and metrics for each invocation, with no secret in them', async () => {
    const code = harness.sandbox.issueGrantCode({ clientId: CLIENT.clientId });
    await invoke(withClient(code));
    await captureRejection(invoke(withClient(code)));

    const lines = harness.output
      .join('')
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines.some((line) => line.message === 'Connected to Zoho')).toBe(true);
    expect(lines.some((line) => line.message === 'Exchange failed')).toBe(true);
    expect(lines.some((line) => line.message === 'Zoho accounts call')).toBe(true);
    const metrics = lines.filter((line) => '_aws' in line);
    expect(metrics.some((line) => line.ExchangeSucceeded === 1)).toBe(true);
    expect(metrics.some((line) => line.ExchangeFailed === 1)).toBe(true);
    const everything = harness.output.join('');
    for (const secret of [...harness.knownSecrets(), code]) expect(everything).not.toContain(secret);
  });
});
