import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type SandboxOptions, ZohoSandbox } from './zoho-sandbox.js';

const CLIENT = { clientId: '1000.SANDBOXCLIENT', clientSecret: 'sandbox-secret' };
const TEN_MINUTES_MS = 10 * 60 * 1000;

type Json = Record<string, unknown>;

/** A clock the test moves by hand. */
function manualClock(start = Date.UTC(2026, 10, 30, 8, 0, 0)) {
  let now = start;
  return {
    now: () => now,
    advance: (ms: number) => {
      now += ms;
    },
  };
}

async function postForm(
  url: string,
  params: Record<string, string>,
): Promise<{ status: number; body: Json }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(params).toString(),
  });
  return { status: response.status, body: (await response.json()) as Json };
}

function exchange(sandbox: ZohoSandbox, code: string, client = CLIENT) {
  return postForm(`${sandbox.url}/oauth/v2/token`, {
    grant_type: 'authorization_code',
    client_id: client.clientId,
    client_secret: client.clientSecret,
    code,
  });
}

function refresh(sandbox: ZohoSandbox, refreshToken: string, client = CLIENT) {
  return postForm(`${sandbox.url}/oauth/v2/token`, {
    grant_type: 'refresh_token',
    client_id: client.clientId,
    client_secret: client.clientSecret,
    refresh_token: refreshToken,
  });
}

async function connect(
  sandbox: ZohoSandbox,
  scope?: string,
): Promise<{ accessToken: string; refreshToken: string }> {
  const { body } = await exchange(sandbox, sandbox.issueGrantCode({ clientId: CLIENT.clientId, scope }));
  return { accessToken: String(body.access_token), refreshToken: String(body.refresh_token) };
}

async function callApi(sandbox: ZohoSandbox, path: string, accessToken?: string) {
  const response = await fetch(`${sandbox.url}${path}`, {
    headers: accessToken ? { authorization: `Zoho-oauthtoken ${accessToken}` } : {},
  });
  return { status: response.status, body: (await response.json()) as Json };
}

describe('ZohoSandbox', () => {
  const clock = manualClock();
  let sandbox: ZohoSandbox;
  const started: ZohoSandbox[] = [];

  async function startSandbox(options: SandboxOptions = {}): Promise<ZohoSandbox> {
    const extra = await ZohoSandbox.start({ now: clock.now, ...options });
    extra.registerClient(CLIENT);
    started.push(extra);
    return extra;
  }

  beforeAll(async () => {
    sandbox = await startSandbox();
  });

  afterEach(() => {
    sandbox.setOutage(undefined);
  });

  afterAll(async () => {
    await Promise.all(started.map((each) => each.close()));
  });

  describe('grant-code exchange', () => {
    it('answers with both tokens, the api domain, Bearer, expires_in in seconds and the scope', async () => {
      // Prepare
      const code = sandbox.issueGrantCode({ clientId: CLIENT.clientId, scope: 'ZohoCRM.modules.ALL' });

      // Act
      const { status, body } = await exchange(sandbox, code);

      // Assess
      expect(code).toMatch(/^1000\.[0-9a-f]{32}\.[0-9a-f]{32}$/);
      expect(status).toBe(200);
      expect(body).toEqual({
        access_token: expect.stringMatching(/^1000\./),
        refresh_token: expect.stringMatching(/^1000\./),
        api_domain: sandbox.url,
        token_type: 'Bearer',
        expires_in: 3600,
        scope: 'ZohoCRM.modules.ALL',
      });
      expect(sandbox.isAccessTokenValid(String(body.access_token))).toBe(true);
    });

    it('leaves scope out when the grant code had none, and returns a configured api domain', async () => {
      const custom = await startSandbox({ apiDomain: 'https://www.zohoapis.eu' });

      const { body } = await exchange(custom, custom.issueGrantCode({ clientId: CLIENT.clientId }));

      expect(body).not.toHaveProperty('scope');
      expect(body.api_domain).toBe('https://www.zohoapis.eu');
    });

    it('accepts a grant code only once', async () => {
      const code = sandbox.issueGrantCode({ clientId: CLIENT.clientId });

      const first = await exchange(sandbox, code);
      const second = await exchange(sandbox, code);

      expect(first.body.access_token).toEqual(expect.any(String));
      expect(second).toEqual({ status: 200, body: { error: 'invalid_code' } });
    });

    it('refuses a grant code once its lifetime has passed on the sandbox clock', async () => {
      const defaultTtl = sandbox.issueGrantCode({ clientId: CLIENT.clientId });
      const longTtl = sandbox.issueGrantCode({ clientId: CLIENT.clientId, ttlSeconds: 600 });

      clock.advance(181_000);

      expect((await exchange(sandbox, defaultTtl)).body).toEqual({ error: 'invalid_code' });
      expect((await exchange(sandbox, longTtl)).body.access_token).toEqual(expect.any(String));
    });

    it('answers invalid_client for an unknown client and invalid_client_secret for a wrong secret, with HTTP 200', async () => {
      const code = sandbox.issueGrantCode({ clientId: CLIENT.clientId });

      const unknown = await exchange(sandbox, code, { clientId: '1000.OTHER', clientSecret: 'x' });
      const wrongSecret = await exchange(sandbox, code, { ...CLIENT, clientSecret: 'wrong' });
      const stillUsable = await exchange(sandbox, code);

      expect(unknown).toEqual({ status: 200, body: { error: 'invalid_client' } });
      expect(wrongSecret).toEqual({ status: 200, body: { error: 'invalid_client_secret' } });
      expect(stillUsable.body.access_token).toEqual(expect.any(String));
    });

    it('answers invalid_code for a code it never issued', async () => {
      const { body } = await exchange(sandbox, '1000.deadbeef.deadbeef');

      expect(body).toEqual({ error: 'invalid_code' });
    });

    it('reads parameters from the query string too, and records where they came from', async () => {
      const code = sandbox.issueGrantCode({ clientId: CLIENT.clientId });
      const query = new URLSearchParams({ grant_type: 'authorization_code', ...toParams(CLIENT), code });

      const response = await fetch(`${sandbox.url}/oauth/v2/token?${query}`, { method: 'POST' });

      expect(((await response.json()) as Json).access_token).toEqual(expect.any(String));
      const logged = sandbox.requests().at(-1);
      expect(logged).toMatchObject({ method: 'POST', path: '/oauth/v2/token', body: {} });
      expect(logged?.query).toContain('client_secret=sandbox-secret');
    });

    it('records a url-encoded body with its content type and an empty query', async () => {
      const code = sandbox.issueGrantCode({ clientId: CLIENT.clientId });

      await exchange(sandbox, code);

      expect(sandbox.requests().at(-1)).toEqual({
        method: 'POST',
        path: '/oauth/v2/token',
        query: '',
        contentType: 'application/x-www-form-urlencoded',
        body: { grant_type: 'authorization_code', ...toParams(CLIENT), code },
      });
    });
  });

  describe('refresh', () => {
    it('answers a new access token without a refresh token', async () => {
      const { refreshToken } = await connect(sandbox, 'ZohoCRM.users.READ');

      const { status, body } = await refresh(sandbox, refreshToken);

      expect(status).toBe(200);
      expect(body).toEqual({
        access_token: expect.stringMatching(/^1000\./),
        api_domain: sandbox.url,
        token_type: 'Bearer',
        expires_in: 3600,
        scope: 'ZohoCRM.users.READ',
      });
    });

    it('answers invalid_code for an unknown refresh token, and client errors before that', async () => {
      const unknown = await refresh(sandbox, '1000.unknown.unknown');
      const wrongSecret = await refresh(sandbox, '1000.unknown.unknown', { ...CLIENT, clientSecret: 'nope' });

      expect(unknown.body).toEqual({ error: 'invalid_code' });
      expect(wrongSecret.body).toEqual({ error: 'invalid_client_secret' });
    });

    it('allows 10 access tokens per refresh token in 10 minutes (the exchange counts), then blocks for the rest of the window', async () => {
      // GIVEN a fresh connection (1 mint) and 9 refreshes (10 mints)
      const throttled = await startSandbox();
      const { refreshToken } = await connect(throttled);
      for (let i = 0; i < 9; i += 1) {
        expect((await refresh(throttled, refreshToken)).body.access_token).toEqual(expect.any(String));
      }
      const before = throttled.stats;

      // WHEN one more refresh comes, and another late in the window
      const denied = await refresh(throttled, refreshToken);
      clock.advance(TEN_MINUTES_MS - 1000);
      const stillDenied = await refresh(throttled, refreshToken);

      // THEN both are refused with HTTP 200 and Zoho's Access Denied body
      const accessDenied = {
        error_description: 'You have made too many requests continuously. Please try again after some time.',
        error: 'Access Denied',
        status: 'failure',
      };
      expect(denied).toEqual({ status: 200, body: accessDenied });
      expect(stillDenied.body).toEqual(accessDenied);
      expect(throttled.stats.rateLimited).toBe(before.rateLimited + 2);
      expect(throttled.stats.mints).toBe(before.mints);

      // AND once the window has passed, refreshing works again
      clock.advance(1000);
      expect(throttled.mintsInLastTenMinutes(refreshToken)).toBe(0);
      expect((await refresh(throttled, refreshToken)).body.access_token).toEqual(expect.any(String));
      expect(throttled.mintsInLastTenMinutes(refreshToken)).toBe(1);
    });

    it('counts mints per refresh token over the trailing 10 minutes', async () => {
      const { refreshToken } = await connect(sandbox);
      clock.advance(5 * 60 * 1000);
      await refresh(sandbox, refreshToken);
      await refresh(sandbox, refreshToken);

      expect(sandbox.mintsInLastTenMinutes(refreshToken)).toBe(3);
      clock.advance(5 * 60 * 1000);
      expect(sandbox.mintsInLastTenMinutes(refreshToken)).toBe(2);
    });

    it('keeps at most 15 active access tokens per refresh token, invalidating the oldest', async () => {
      const { accessToken: first, refreshToken } = await connect(sandbox);
      const minted = [first];
      for (let i = 0; i < 15; i += 1) {
        if (i === 9) clock.advance(TEN_MINUTES_MS); // stay under the throttle
        minted.push(String((await refresh(sandbox, refreshToken)).body.access_token));
      }

      expect(sandbox.isAccessTokenValid(first)).toBe(false);
      expect(minted.slice(1).every((token) => sandbox.isAccessTokenValid(token))).toBe(true);
    });
  });

  it('expires access tokens after their lifetime on the sandbox clock', async () => {
    const shortLived = await startSandbox({ accessTokenLifetimeSeconds: 60 });
    const { body } = await exchange(shortLived, shortLived.issueGrantCode({ clientId: CLIENT.clientId }));
    const accessToken = String(body.access_token);
    expect(body.expires_in).toBe(60);

    clock.advance(59_999);
    expect((await callApi(shortLived, '/crm/v8/users?type=CurrentUser', accessToken)).status).toBe(200);
    clock.advance(1);
    expect((await callApi(shortLived, '/crm/v8/users?type=CurrentUser', accessToken)).status).toBe(401);
  });

  it('deletes the oldest refresh token, with its access tokens, when a client gets its 21st', async () => {
    // GIVEN a client with 20 refresh tokens
    const capped = await startSandbox();
    const connections = [];
    for (let i = 0; i < 20; i += 1) connections.push(await connect(capped));
    const [oldest, second] = connections;
    if (!oldest || !second) throw new Error('expected connections');

    // WHEN a 21st is created
    const newest = await connect(capped);

    // THEN the oldest is gone, and only the oldest
    expect((await refresh(capped, oldest.refreshToken)).body).toEqual({ error: 'invalid_code' });
    expect(capped.isAccessTokenValid(oldest.accessToken)).toBe(false);
    expect((await refresh(capped, second.refreshToken)).body.access_token).toEqual(expect.any(String));
    expect((await refresh(capped, newest.refreshToken)).body.access_token).toEqual(expect.any(String));
  });

  describe('revoke', () => {
    it('revokes a refresh token and its access tokens through the endpoint', async () => {
      const { accessToken, refreshToken } = await connect(sandbox);

      const revoked = await postForm(`${sandbox.url}/oauth/v2/token/revoke`, { token: refreshToken });
      const again = await postForm(`${sandbox.url}/oauth/v2/token/revoke`, { token: refreshToken });

      expect(revoked).toEqual({ status: 200, body: { status: 'success' } });
      expect(again).toEqual({ status: 400, body: { status: 'failure', error: 'invalid_token' } });
      expect(sandbox.isAccessTokenValid(accessToken)).toBe(false);
      expect((await refresh(sandbox, refreshToken)).body).toEqual({ error: 'invalid_code' });
    });

    it('revokes from the test side as if done in Zoho', async () => {
      const { accessToken, refreshToken } = await connect(sandbox);

      sandbox.revokeRefreshToken(refreshToken);

      expect(sandbox.isAccessTokenValid(accessToken)).toBe(false);
      expect((await refresh(sandbox, refreshToken)).body).toEqual({ error: 'invalid_code' });
    });
  });

  describe('API endpoints', () => {
    it('answers the current user for a valid token', async () => {
      const { accessToken } = await connect(sandbox);
      const before = sandbox.stats.apiCalls;

      const { status, body } = await callApi(sandbox, '/crm/v8/users?type=CurrentUser', accessToken);

      expect(status).toBe(200);
      expect(body).toEqual({
        users: [{ id: expect.any(String), full_name: 'Sandbox User', email: 'user@example.com' }],
      });
      expect(sandbox.stats.apiCalls).toBe(before + 1);
    });

    it.each([
      [
        '/crm/v8/users?type=CurrentUser',
        { code: 'INVALID_TOKEN', details: {}, message: 'invalid oauth token', status: 'error' },
      ],
      ['/books/v3/organizations', { code: 57, message: 'You are not authorized to perform this operation' }],
      ['/api/v1/tickets', { errorCode: 'INVALID_OAUTH', message: expect.any(String) }],
    ])('answers 401 on %s for a missing, unknown, evicted or revoked token', async (path, unauthorized) => {
      const evicted = await connect(sandbox);
      sandbox.invalidateAccessToken(evicted.accessToken);
      const revoked = await connect(sandbox);
      sandbox.revokeRefreshToken(revoked.refreshToken);
      const valid = await connect(sandbox);

      for (const token of [undefined, '1000.nope.nope', evicted.accessToken, revoked.accessToken]) {
        expect(await callApi(sandbox, path, token)).toEqual({ status: 401, body: unauthorized });
      }
      expect((await callApi(sandbox, path, valid.accessToken)).status).toBe(200);
    });

    it('is not affected by token-endpoint faults', async () => {
      const { accessToken } = await connect(sandbox);
      sandbox.setOutage('reset');

      expect((await callApi(sandbox, '/crm/v8/users?type=CurrentUser', accessToken)).status).toBe(200);
    });
  });

  describe('faults', () => {
    it('answers HTTP 503 for server-error', async () => {
      sandbox.injectFaults('server-error');

      const response = await fetch(`${sandbox.url}/oauth/v2/token`, { method: 'POST' });

      expect(response.status).toBe(503);
      expect((await response.text()).length).toBeGreaterThan(0);
    });

    it('answers an HTML maintenance page with HTTP 200 for html', async () => {
      sandbox.injectFaults('html');

      const response = await fetch(`${sandbox.url}/oauth/v2/token`, { method: 'POST' });

      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/^text\/html/);
      expect(await response.text()).toContain('<html>');
    });

    it('answers Access Denied for rate-limit without counting it as a real throttle', async () => {
      const { refreshToken } = await connect(sandbox);
      const before = sandbox.stats;
      sandbox.injectFaults('rate-limit');

      const { body } = await refresh(sandbox, refreshToken);

      expect(body.error).toBe('Access Denied');
      expect(sandbox.stats.rateLimited).toBe(before.rateLimited);
      expect(sandbox.stats.faultsServed).toBe(before.faultsServed + 1);
    });

    it('drops the connection without an answer for reset', async () => {
      sandbox.injectFaults('reset');

      await expect(fetch(`${sandbox.url}/oauth/v2/token`, { method: 'POST' })).rejects.toThrow();
    });

    it('holds the request for hangMs and then drops it', async () => {
      const hanging = await startSandbox({ hangMs: 150 });
      hanging.injectFaults('hang');
      const startedAt = performance.now();

      await expect(fetch(`${hanging.url}/oauth/v2/token`, { method: 'POST' })).rejects.toThrow();

      expect(performance.now() - startedAt).toBeGreaterThanOrEqual(140);
    });

    it('mints the token for lost-answer, then holds the request unanswered', async () => {
      const { refreshToken } = await connect(sandbox);
      const before = sandbox.stats;
      sandbox.injectFaults('lost-answer');

      const lost = fetch(`${sandbox.url}/oauth/v2/token`, {
        method: 'POST',
        body: new URLSearchParams({
          grant_type: 'refresh_token',
          ...toParams(CLIENT),
          refresh_token: refreshToken,
        }),
        signal: AbortSignal.timeout(300),
      });

      await expect(lost).rejects.toThrow(/abort|timeout/i);
      expect(sandbox.stats.refreshes).toBe(before.refreshes + 1);
      expect(sandbox.stats.faultsServed).toBe(before.faultsServed + 1);
    });

    it('applies queued faults one request each, in order, then answers normally', async () => {
      const { refreshToken } = await connect(sandbox);
      const before = sandbox.stats;
      sandbox.injectFaults('server-error', 'html');

      const statuses = [];
      for (let i = 0; i < 3; i += 1) {
        const response = await fetch(`${sandbox.url}/oauth/v2/token`, {
          method: 'POST',
          body: new URLSearchParams({
            grant_type: 'refresh_token',
            ...toParams(CLIENT),
            refresh_token: refreshToken,
          }),
        });
        statuses.push(`${response.status} ${response.headers.get('content-type')?.split(';')[0]}`);
      }

      expect(statuses).toEqual(['503 text/plain', '200 text/html', '200 application/json']);
      expect(sandbox.stats.faultsServed).toBe(before.faultsServed + 2);
      expect(sandbox.stats.tokenRequests).toBe(before.tokenRequests + 3);
      expect(sandbox.stats.refreshes).toBe(before.refreshes + 1);
    });

    it('serves an outage to every token request until it is cleared', async () => {
      const { refreshToken } = await connect(sandbox);
      sandbox.setOutage('server-error');

      const during = [await refresh503(), await refresh503()];
      sandbox.setOutage(undefined);
      const after = await refresh(sandbox, refreshToken);

      expect(during).toEqual([503, 503]);
      expect(after.body.access_token).toEqual(expect.any(String));

      async function refresh503(): Promise<number> {
        const response = await fetch(`${sandbox.url}/oauth/v2/token`, { method: 'POST' });
        await response.text();
        return response.status;
      }
    });

    it('faults the revoke endpoint too', async () => {
      const { refreshToken } = await connect(sandbox);
      sandbox.injectFaults('server-error');

      const response = await fetch(`${sandbox.url}/oauth/v2/token/revoke`, {
        method: 'POST',
        body: new URLSearchParams({ token: refreshToken }),
      });

      expect(response.status).toBe(503);
      expect(sandbox.isRefreshTokenActive(refreshToken)).toBe(true);
    });
  });

  it('closes promptly even with a hanging request and keep-alive connections open', async () => {
    // GIVEN a sandbox holding a request for a long time, and an idle keep-alive connection
    const closing = await ZohoSandbox.start({ hangMs: 60_000 });
    await (await fetch(`${closing.url}/api/v1/tickets`)).text();
    closing.injectFaults('hang');
    const hung = fetch(`${closing.url}/oauth/v2/token`, { method: 'POST' }).catch((error: unknown) => error);
    await waitFor(() => closing.stats.tokenRequests === 1);

    // WHEN it closes
    await closing.close();

    // THEN it does so without waiting out the hang (longer than the test's timeout), and the hanging client sees a failure
    expect(await hung).toBeInstanceOf(Error);
  });
});

function toParams(client: typeof CLIENT): Record<string, string> {
  return { client_id: client.clientId, client_secret: client.clientSecret };
}

async function waitFor(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !condition(); i += 1) await new Promise((resolve) => setTimeout(resolve, 5));
  if (!condition()) throw new Error('condition not met in time');
}
