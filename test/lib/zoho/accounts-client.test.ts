import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  ConfigError,
  InvalidClientError,
  InvalidGrantCodeError,
  RefreshTokenRevokedError,
  ZohoRateLimitedError,
  ZohoUnavailableError,
} from '../../../functions/lib/errors.js';
import {
  ZohoAccountsClient,
  type ZohoAccountsClientOptions,
  type ZohoCallObservation,
} from '../../../functions/lib/zoho/accounts-client.js';
import { inProcessFetch } from '../../sandbox/in-process-fetch.js';
import { type SandboxFault, ZohoSandbox } from '../../sandbox/zoho-sandbox.js';
import { ScriptedAnswersServer } from './scripted-answers-server.js';

const CLIENT = { clientId: '1000.CLIENTIDFORTESTS', clientSecret: 'client-secret-that-must-stay-hidden' };
const ARRIVAL = new Date('2026-11-30T08:00:00.000Z');
const HANG_TIMEOUT_MS = 200;

describe('ZohoAccountsClient', () => {
  let sandboxNow = ARRIVAL.getTime();
  let sandbox: ZohoSandbox;
  let scripted: ScriptedAnswersServer;
  let observations: ZohoCallObservation[];
  let sleeps: number[];

  beforeAll(async () => {
    // A hang is held until the client gives up (close() ends what is still held), so a time-out ends it.
    sandbox = await ZohoSandbox.start({ now: () => sandboxNow, hangMs: 60_000 });
    sandbox.registerClient(CLIENT);
    scripted = await ScriptedAnswersServer.start();
  });

  afterAll(async () => {
    await Promise.all([sandbox.close(), scripted.close()]);
  });

  beforeEach(() => {
    sandbox.setOutage(undefined);
    observations = [];
    sleeps = [];
  });

  function clientFor(
    accountsUrl: string,
    options: Partial<ZohoAccountsClientOptions> = {},
  ): ZohoAccountsClient {
    return new ZohoAccountsClient({
      accountsUrl,
      // Real HTTP on a busy machine can take a second; only the hang tests wait for a time-out.
      timeoutMs: 10_000,
      now: () => ARRIVAL,
      sleep: async (ms) => {
        sleeps.push(ms);
      },
      onCall: (observation) => observations.push(observation),
      ...options,
    });
  }

  const zoho = () => clientFor(sandbox.url);
  /** For hangs only: the server holds the request until the client gives up, so a short wait is safe. */
  const impatient = () => clientFor(sandbox.url, { timeoutMs: HANG_TIMEOUT_MS });
  const clientForFault = (fault: SandboxFault) => (fault === 'hang' ? impatient() : zoho());
  const grantCode = (scope?: string) => sandbox.issueGrantCode({ clientId: CLIENT.clientId, scope });
  const tokenRequestsDuring = async (action: () => Promise<unknown>): Promise<number> => {
    const before = sandbox.stats.tokenRequests;
    await action().catch(() => undefined);
    return sandbox.stats.tokenRequests - before;
  };

  async function connect(): Promise<string> {
    return (await zoho().exchangeGrantCode(CLIENT, grantCode())).refreshToken;
  }

  describe('exchangeGrantCode', () => {
    it('returns the tokens, api domain and scope, with the expiry counted from when the answer arrived', async () => {
      // Prepare: the clock reads ARRIVAL only once the answer is in
      let clock = new Date('2026-11-30T07:59:50.000Z');
      const client = clientFor(sandbox.url, {
        now: () => clock,
        fetch: async (input, init) => {
          const response = await fetch(input, init);
          clock = ARRIVAL;
          return response;
        },
      });

      // Act
      const exchange = await client.exchangeGrantCode(CLIENT, grantCode('ZohoCRM.modules.ALL'));

      // Assess
      expect(exchange).toEqual({
        accessToken: expect.stringMatching(/^1000\./),
        refreshToken: expect.stringMatching(/^1000\./),
        apiDomain: sandbox.url,
        tokenType: 'Bearer',
        scope: 'ZohoCRM.modules.ALL',
        receivedAt: ARRIVAL,
        expiresAt: new Date('2026-11-30T09:00:00.000Z'),
      });
      expect(sandbox.isAccessTokenValid(exchange.accessToken)).toBe(true);
    });

    it('leaves scope out when Zoho does not return one', async () => {
      const exchange = await zoho().exchangeGrantCode(CLIENT, grantCode());

      expect(exchange).not.toHaveProperty('scope');
    });

    it('sends the parameters in a url-encoded body, with nothing in the query string and no redirect_uri', async () => {
      const code = grantCode();

      await zoho().exchangeGrantCode(CLIENT, code);

      const [request] = sandbox.requests().slice(-1);
      expect(request).toEqual({
        method: 'POST',
        path: '/oauth/v2/token',
        query: '',
        contentType: 'application/x-www-form-urlencoded',
        body: {
          grant_type: 'authorization_code',
          client_id: CLIENT.clientId,
          client_secret: CLIENT.clientSecret,
          code,
        },
      });
    });

    it('fails with InvalidGrantCodeError, without retrying, when the code was already used', async () => {
      const code = grantCode();
      await zoho().exchangeGrantCode(CLIENT, code);

      const requests = await tokenRequestsDuring(async () => {
        await expect(zoho().exchangeGrantCode(CLIENT, code)).rejects.toThrow(InvalidGrantCodeError);
      });

      expect(requests).toBe(1);
      expect(observations.at(-1)).toMatchObject({ operation: 'exchange', attempt: 1, outcome: 'error' });
    });

    it('fails with InvalidGrantCodeError when the code expired', async () => {
      const code = grantCode();
      sandboxNow += 181_000;

      const failure = zoho().exchangeGrantCode(CLIENT, code);

      await expect(failure).rejects.toThrow(InvalidGrantCodeError);
      await expect(failure).rejects.toThrow(/single-use.*expire/);
    });

    it("names the data centre's API Console when the accounts server is one of Zoho's", async () => {
      // The client believes it talks to Europe; the request is routed to the sandbox.
      const client = clientFor('https://accounts.zoho.eu', {
        fetch: (input, init) => fetch(String(input).replace('https://accounts.zoho.eu', sandbox.url), init),
      });

      const failure = client.exchangeGrantCode(CLIENT, '1000.0123456789abcdef.0123456789abcdef');

      await expect(failure).rejects.toThrow(InvalidGrantCodeError);
      await expect(failure).rejects.toThrow('https://api-console.zoho.eu');
    });

    it('points at the accounts server when it is not a known data centre', async () => {
      await expect(zoho().exchangeGrantCode(CLIENT, '1000.00000000.00000000')).rejects.toThrow(
        `whose accounts server is ${sandbox.url}`,
      );
    });

    it.each([
      ['invalid_client', { ...CLIENT, clientId: '1000.UNKNOWN' }, /does not know this client id/],
      ['invalid_client_secret', { ...CLIENT, clientSecret: 'wrong-secret' }, /rejected the client secret/],
    ])(
      'fails with InvalidClientError on %s and says to check the data centre',
      async (_error, client, what) => {
        const failure = zoho().exchangeGrantCode(client, grantCode());

        await expect(failure).rejects.toThrow(InvalidClientError);
        await expect(failure).rejects.toThrow(what);
        await expect(failure).rejects.toThrow(/data centre where the Self Client was created/);
      },
    );

    it('fails when a success answer carries no refresh token, without retrying', async () => {
      scripted.script({ json: tokenAnswer({ refresh_token: undefined }) });

      const failure = clientFor(scripted.url).exchangeGrantCode(CLIENT, '1000.aaaa.bbbb');

      await expect(failure).rejects.toThrow(ZohoUnavailableError);
      await expect(failure).rejects.toThrow(/no refresh token/);
      expect(scripted.requestCount).toBe(1);
    });

    it('says the code may already be used when an earlier attempt lost its answer', async () => {
      // Prepare: the first attempt reaches Zoho, which spends the code, but its answer is lost on the way back
      let calls = 0;
      const client = clientFor(sandbox.url, {
        fetch: async (input, init) => {
          calls += 1;
          const response = await fetch(input, init);
          if (calls > 1) return response;
          await response.text();
          throw new TypeError('fetch failed', { cause: { code: 'ECONNRESET' } });
        },
      });

      // Act
      const failure = client.exchangeGrantCode(CLIENT, grantCode());

      // Assess
      await expect(failure).rejects.toThrow(InvalidGrantCodeError);
      await expect(failure).rejects.toThrow(/earlier attempt/);
      expect(calls).toBe(2);
    });
  });

  describe('refreshAccessToken', () => {
    it('returns a new access token and no refresh token', async () => {
      const refreshToken = await connect();

      const grant = await zoho().refreshAccessToken(CLIENT, refreshToken);

      expect(grant).toEqual({
        accessToken: expect.stringMatching(/^1000\./),
        apiDomain: sandbox.url,
        tokenType: 'Bearer',
        receivedAt: ARRIVAL,
        expiresAt: new Date(ARRIVAL.getTime() + 3600_000),
      });
      expect(sandbox.requests().at(-1)).toMatchObject({
        query: '',
        contentType: 'application/x-www-form-urlencoded',
        body: { grant_type: 'refresh_token', refresh_token: refreshToken },
      });
    });

    it('fails with RefreshTokenRevokedError, without retrying, when the refresh token was revoked', async () => {
      const refreshToken = await connect();
      sandbox.revokeRefreshToken(refreshToken);

      const requests = await tokenRequestsDuring(async () => {
        await expect(zoho().refreshAccessToken(CLIENT, refreshToken)).rejects.toThrow(
          RefreshTokenRevokedError,
        );
      });

      expect(requests).toBe(1);
    });

    it('fails with InvalidClientError on a wrong secret', async () => {
      const refreshToken = await connect();

      await expect(
        zoho().refreshAccessToken({ ...CLIENT, clientSecret: 'not-it' }, refreshToken),
      ).rejects.toThrow(InvalidClientError);
    });

    it("fails with ZohoRateLimitedError, without retrying, once Zoho's throttle is hit, and tells to wait 10 minutes", async () => {
      const refreshToken = await connect();
      for (let i = 0; i < 9; i += 1) await zoho().refreshAccessToken(CLIENT, refreshToken);

      const requests = await tokenRequestsDuring(async () => {
        const failure = zoho().refreshAccessToken(CLIENT, refreshToken);
        await expect(failure).rejects.toThrow(ZohoRateLimitedError);
        await expect(failure).rejects.toThrow(/wait 10 minutes/i);
      });

      expect(requests).toBe(1);
      expect(sandbox.stats.rateLimited).toBeGreaterThan(0);
    });

    it('treats the lower-case access_denied like the throttle', async () => {
      scripted.script({ json: { error: 'access_denied' } });

      await expect(clientFor(scripted.url).refreshAccessToken(CLIENT, '1000.aaaa.bbbb')).rejects.toThrow(
        ZohoRateLimitedError,
      );
      expect(scripted.requestCount).toBe(1);
    });

    it('reads the legacy answer whose expires_in is in milliseconds beside expires_in_sec', async () => {
      scripted.script({
        json: tokenAnswer({ refresh_token: undefined, expires_in: 3_600_000, expires_in_sec: 3600 }),
      });

      const grant = await clientFor(scripted.url).refreshAccessToken(CLIENT, '1000.aaaa.bbbb');

      expect(grant.expiresAt).toEqual(new Date(ARRIVAL.getTime() + 3600_000));
    });

    it.each([
      ['an http api_domain outside loopback', { api_domain: 'http://www.zohoapis.eu' }, /api_domain/],
      ['no api_domain', { api_domain: undefined }, /api_domain/],
      ['a zero expires_in', { expires_in: 0 }, /lifetime/],
      ['no expires_in', { expires_in: undefined }, /lifetime/],
    ])('refuses a success answer with %s, without retrying', async (_case, fields, problem) => {
      scripted.script({ json: tokenAnswer(fields) });

      const failure = clientFor(scripted.url).refreshAccessToken(CLIENT, '1000.aaaa.bbbb');

      await expect(failure).rejects.toThrow(ZohoUnavailableError);
      await expect(failure).rejects.toThrow(problem);
      expect(scripted.requestCount).toBe(1);
    });

    it('accepts an https api_domain and normalises it to an origin', async () => {
      scripted.script({ json: tokenAnswer({ api_domain: 'https://www.zohoapis.eu/' }) });

      const grant = await clientFor(scripted.url).refreshAccessToken(CLIENT, '1000.aaaa.bbbb');

      expect(grant.apiDomain).toBe('https://www.zohoapis.eu');
    });

    it('quotes an unknown Zoho error and does not retry it', async () => {
      scripted.script({ json: { error: 'invalid_redirect_uri' } });

      const failure = clientFor(scripted.url).refreshAccessToken(CLIENT, '1000.aaaa.bbbb');

      await expect(failure).rejects.toThrow(ZohoUnavailableError);
      await expect(failure).rejects.toThrow(/"invalid_redirect_uri".*Check the client id and secret/);
      expect(scripted.requestCount).toBe(1);
    });

    it('does not follow a redirect, so the secret is never sent elsewhere', async () => {
      scripted.script({ status: 302, headers: { location: `${sandbox.url}/oauth/v2/token` } });
      const before = sandbox.stats.tokenRequests;

      await expect(clientFor(scripted.url).refreshAccessToken(CLIENT, '1000.aaaa.bbbb')).rejects.toThrow(
        /redirect/,
      );
      expect(scripted.requestCount).toBe(1);
      expect(sandbox.stats.tokenRequests).toBe(before);
    });

    it('retries an HTTP 5xx even when its body is JSON with an error', async () => {
      scripted.script({ status: 502, json: { error: 'bad_gateway' } }, { json: tokenAnswer() });

      const grant = await clientFor(scripted.url).refreshAccessToken(CLIENT, '1000.aaaa.bbbb');

      expect(grant.accessToken).toBe('1000.scripted.access');
      expect(scripted.requestCount).toBe(2);
    });

    it('retries JSON that holds neither access_token nor error, then succeeds', async () => {
      scripted.script({ json: { status: 'odd' } }, { json: tokenAnswer() });

      const grant = await clientFor(scripted.url).refreshAccessToken(CLIENT, '1000.aaaa.bbbb');

      expect(grant.accessToken).toBe('1000.scripted.access');
      expect(scripted.requestCount).toBe(2);
    });
  });

  describe('transient failures', () => {
    it.each<SandboxFault>(['server-error', 'html', 'reset', 'hang'])(
      'succeeds despite one %s before the answer',
      async (fault) => {
        const refreshToken = await connect();
        observations = [];
        sandbox.injectFaults(fault);

        let grant: unknown;
        const requests = await tokenRequestsDuring(async () => {
          grant = await clientForFault(fault).refreshAccessToken(CLIENT, refreshToken);
        });

        expect(grant).toMatchObject({ accessToken: expect.any(String) });
        expect(requests).toBe(2);
        expect(observations.map((each) => [each.attempt, each.outcome])).toEqual([
          [1, 'retryable'],
          [2, 'ok'],
        ]);
        expect(sleeps).toHaveLength(1);
      },
    );

    it.each<[SandboxFault, RegExp]>([
      ['server-error', /HTTP 503/],
      ['html', /not a JSON object \(text\/html\)/],
      ['reset', /network error/],
      ['hang', new RegExp(`no answer within ${HANG_TIMEOUT_MS} ms`)],
    ])(
      'gives up after maxAttempts during a %s outage with ZohoUnavailableError',
      async (fault, lastProblem) => {
        const refreshToken = await connect();
        observations = [];
        sandbox.setOutage(fault);

        let failure: unknown;
        const requests = await tokenRequestsDuring(async () => {
          failure = await clientForFault(fault)
            .refreshAccessToken(CLIENT, refreshToken)
            .catch((error: unknown) => error);
        });

        expect(failure).toBeInstanceOf(ZohoUnavailableError);
        expect((failure as Error).message).toMatch(lastProblem);
        expect((failure as Error).message).toMatch(/after 3 attempts.*status\.zoho\.com/);
        expect((failure as Error).cause).toBeInstanceOf(Error);
        expect(requests).toBe(3);
        expect(observations.map((each) => each.outcome)).toEqual(['retryable', 'retryable', 'retryable']);
      },
    );

    it('honours maxAttempts and waits longer before each retry, half of each wait jittered', async () => {
      sandbox.setOutage('server-error');
      const client = (random: () => number) =>
        clientFor(sandbox.url, { maxAttempts: 4, backoffBaseMs: 100, random });

      const requests = await tokenRequestsDuring(() =>
        client(() => 0).refreshAccessToken(CLIENT, '1000.x.y'),
      );
      await client(() => 0.5)
        .refreshAccessToken(CLIENT, '1000.x.y')
        .catch(() => undefined);

      expect(requests).toBe(4);
      expect(sleeps).toEqual([50, 100, 200, 75, 150, 300]);
    });

    it('does not retry an injected Access Denied', async () => {
      sandbox.injectFaults('rate-limit');

      const requests = await tokenRequestsDuring(async () => {
        await expect(zoho().exchangeGrantCode(CLIENT, grantCode())).rejects.toThrow(ZohoRateLimitedError);
      });

      expect(requests).toBe(1);
    });

    it('times out each attempt even when the answer never comes', async () => {
      // Prepare: an in-process sandbox that never answers, and time-outs that pass the moment it holds a request
      const silent = ZohoSandbox.inProcess({ now: () => sandboxNow });
      silent.registerClient(CLIENT);
      silent.setOutage('hang');
      const timeouts = new Map<AbortSignal, AbortController>();
      const asked: number[] = [];
      const client = clientFor(silent.url, {
        timeoutMs: 1234,
        timeoutSignal: (ms) => {
          asked.push(ms);
          const controller = new AbortController();
          timeouts.set(controller.signal, controller);
          return controller.signal;
        },
        fetch: inProcessFetch(silent, {
          onHeld: (signal) => {
            if (signal) timeouts.get(signal)?.abort(new DOMException('timeout', 'TimeoutError'));
          },
        }),
      });

      // Act
      const failure = client.exchangeGrantCode(CLIENT, silent.issueGrantCode({ clientId: CLIENT.clientId }));

      // Assess
      await expect(failure).rejects.toThrow(ZohoUnavailableError);
      await expect(failure).rejects.toThrow(/after 3 attempts.*no answer within 1234 ms/);
      expect(asked).toEqual([1234, 1234, 1234]);
      expect(silent.stats.tokenRequests).toBe(3);
    });
  });

  describe('revokeRefreshToken', () => {
    it('revokes the refresh token with a url-encoded body', async () => {
      const refreshToken = await connect();

      const result = await zoho().revokeRefreshToken(refreshToken);

      expect(result).toEqual({ alreadyInvalid: false });
      expect(sandbox.isRefreshTokenActive(refreshToken)).toBe(false);
      expect(sandbox.requests().at(-1)).toEqual({
        method: 'POST',
        path: '/oauth/v2/token/revoke',
        query: '',
        contentType: 'application/x-www-form-urlencoded',
        body: { token: refreshToken },
      });
    });

    it('reports a token that was already invalid (HTTP 400), without retrying', async () => {
      const refreshToken = await connect();
      await zoho().revokeRefreshToken(refreshToken);

      let result: unknown;
      const requests = await tokenRequestsDuring(async () => {
        result = await zoho().revokeRefreshToken(refreshToken);
      });

      expect(result).toEqual({ alreadyInvalid: true });
      expect(requests).toBe(1);
    });

    it('retries a 5xx and then succeeds', async () => {
      const refreshToken = await connect();
      sandbox.injectFaults('server-error');

      await expect(zoho().revokeRefreshToken(refreshToken)).resolves.toEqual({ alreadyInvalid: false });
    });

    it('gives up with ZohoUnavailableError after bounded retries of network failures', async () => {
      const refreshToken = await connect();
      sandbox.setOutage('reset');

      const requests = await tokenRequestsDuring(async () => {
        await expect(zoho().revokeRefreshToken(refreshToken)).rejects.toThrow(ZohoUnavailableError);
      });

      expect(requests).toBe(3);
      expect(sandbox.isRefreshTokenActive(refreshToken)).toBe(true);
    });
  });

  describe('secrets never reach an error message', () => {
    it('keeps the code, the client secret and the tokens out of every failure', async () => {
      // Prepare: one failure of each kind, collected with the values that must not leak
      const refreshToken = await connect();
      const usedCode = grantCode();
      await zoho().exchangeGrantCode(CLIENT, usedCode);
      const revoked = await connect();
      sandbox.revokeRefreshToken(revoked);
      const secrets = [CLIENT.clientSecret, usedCode, refreshToken, revoked];

      // Act
      const failures = [
        await failureOf(zoho().exchangeGrantCode(CLIENT, usedCode)),
        await failureOf(zoho().exchangeGrantCode({ ...CLIENT, clientId: '1000.NOPE' }, grantCode())),
        await failureOf(zoho().exchangeGrantCode({ ...CLIENT, clientSecret: 'x' }, grantCode())),
        await failureOf(zoho().refreshAccessToken(CLIENT, revoked)),
        await withOutage('server-error', () => zoho().refreshAccessToken(CLIENT, refreshToken)),
        await withOutage('html', () => zoho().exchangeGrantCode(CLIENT, usedCode)),
        await withOutage('rate-limit', () => zoho().refreshAccessToken(CLIENT, refreshToken)),
        await withOutage('reset', () => zoho().revokeRefreshToken(refreshToken)),
        // A Zoho error name that echoes what it was sent is scrubbed before it is quoted.
        await scriptedFailure({ error: `bad ${CLIENT.clientSecret} for ${refreshToken}` }),
        await scriptedFailure({ error: 'weird 1000.0123456789abcdef.fedcba9876543210' }),
      ];

      // Assess
      for (const failure of failures) {
        expect(failure).toBeInstanceOf(Error);
        for (const secret of secrets) {
          expect(failure?.message).not.toContain(secret);
          expect(String(failure?.cause ?? '')).not.toContain(secret);
        }
        expect(failure?.message).not.toMatch(/1000\.[0-9a-f]{8,}\.[0-9a-f]{8,}/);
      }

      async function scriptedFailure(json: unknown): Promise<Error | undefined> {
        scripted.script({ json });
        return failureOf(clientFor(scripted.url).refreshAccessToken(CLIENT, refreshToken));
      }
    });
  });

  async function withOutage(fault: SandboxFault, action: () => Promise<unknown>): Promise<Error | undefined> {
    sandbox.setOutage(fault);
    try {
      return await failureOf(action());
    } finally {
      sandbox.setOutage(undefined);
    }
  }
});

/** The error a call failed with, or undefined when it did not fail with an Error. */
function failureOf(call: Promise<unknown>): Promise<Error | undefined> {
  return call.then(
    () => undefined,
    (error: unknown) => (error instanceof Error ? error : undefined),
  );
}

/** A successful token answer; a field set to undefined is left out. */
function tokenAnswer(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    access_token: '1000.scripted.access',
    refresh_token: '1000.scripted.refresh',
    api_domain: 'https://www.zohoapis.eu',
    token_type: 'Bearer',
    expires_in: 3600,
    ...overrides,
  };
}

describe('ZohoAccountsClient configuration', () => {
  it.each(['http://accounts.zoho.eu', 'https://accounts.zoho.eu/oauth/v2/token', 'not a url'])(
    'refuses the accounts server %s before any secret is sent',
    (accountsUrl) => {
      expect(() => new ZohoAccountsClient({ accountsUrl })).toThrow(ConfigError);
    },
  );
});
