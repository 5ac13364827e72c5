import { afterEach, describe, expect, it } from 'vitest';
import {
  type ZohoAccessToken,
  ZohoTokenExpiredError,
  ZohoTokenReader,
  ZohoTokenRejectedError,
} from '../../functions/consumer/index.js';
import { ConfigError, NotConnectedError, ZohoUnavailableError } from '../../functions/lib/errors.js';
import {
  ConsumerWorld,
  type RefreshConcurrency,
  revokeAccessToken,
  SECRET_IDS,
  USERS_PATH,
} from './consumer-world.js';

const MINUTE = 60_000;

describe('ZohoTokenReader', () => {
  let world: ConsumerWorld;

  async function startWorld(concurrency: RefreshConcurrency = 'queue'): Promise<ConsumerWorld> {
    world = await ConsumerWorld.start({ concurrency });
    return world;
  }

  afterEach(async () => {
    await world?.close();
  });

  /** Proves the failure tells what happened without carrying any token or secret. */
  function expectNoSecretIn(error: unknown): void {
    const text = `${String(error)} ${error instanceof Error ? (error.stack ?? '') : ''}`;
    for (const secret of world.secretValues()) expect(text).not.toContain(secret);
  }

  describe('reading', () => {
    it('reads the secret once per token lifetime over six simulated hours of calls', async () => {
      // GIVEN a connection refreshed by its schedule every 50 minutes
      await startWorld();
      await world.connect();
      const { reader, reads } = world.reader();
      const tokensServed = new Set<string>();
      const statuses = new Set<number>();

      // WHEN the consumer calls Zoho every simulated minute for six hours
      for (let minute = 0; minute < 6 * 60; minute += 1) {
        if (minute > 0 && minute % 50 === 0) await world.scheduledRun();
        statuses.add((await reader.fetch(USERS_PATH)).status);
        tokensServed.add((await reader.getToken()).accessToken);
        world.clock.advance(MINUTE);
      }

      // THEN every call succeeded, with one read per token the schedule minted
      expect([...statuses]).toEqual([200]);
      expect(world.sandbox.stats.refreshes).toBe(7);
      expect(tokensServed.size).toBe(8);
      expect(reads()).toBe(tokensServed.size);
      expect(world.invokes.total).toBe(0);
    });

    it('has a value saved into the secret by hand replaced with one forced refresh, and serves the new token', async () => {
      // GIVEN an administrator who saved a value of their own into the access-token secret
      await startWorld();
      await world.connect();
      world.clock.advance(2 * MINUTE);
      world.secrets.create(SECRET_IDS.accessToken, { access_token: '1000.pasted0by0hand0000000000000000' });
      const { reader } = world.reader();

      // WHEN a consumer calls Zoho
      const response = await reader.fetch(USERS_PATH);

      // THEN the refresh function wrote a valid token over it, which the call used
      expect(response.status).toBe(200);
      expect(world.invokes.total).toBe(1);
      expect((await reader.getToken()).accessToken).toBe(world.storedAccessToken());
    });

    it('reports a malformed secret as ConfigError, quoting nothing, when no refresh function can mend it', async () => {
      await startWorld();
      await world.connect();
      world.secrets.create(SECRET_IDS.accessToken, { access_token: '1000.pasted0by0hand0000000000000000' });
      const { reader } = world.reader({ refreshFunctionName: '' });

      const error = await reader.getToken().then(
        () => undefined,
        (failure: unknown) => failure,
      );

      expect(error).toBeInstanceOf(ConfigError);
      expect((error as Error).name).toBe('ConfigError');
      expect(String(error)).not.toContain('pasted0by0hand');
      expect(world.invokes.total).toBe(0);
    });

    it('serves concurrent callers from one read', async () => {
      await startWorld();
      await world.connect();
      const { reader, reads } = world.reader();

      const tokens = await Promise.all(Array.from({ length: 50 }, () => reader.getToken()));

      expect(reads()).toBe(1);
      expect(new Set(tokens.map((token) => token.accessToken))).toEqual(new Set([world.storedAccessToken()]));
      expect(tokens[0]?.authorizationHeader).toBe(`Zoho-oauthtoken ${world.storedAccessToken()}`);
      expect(tokens[0]?.apiBaseUrl).toBe(world.sandbox.url);
    });

    it('replaces an expired stored token before the caller sees it', async () => {
      // GIVEN a token that expired because the schedule did not run
      await startWorld();
      await world.connect();
      const expired = world.storedAccessToken();
      world.clock.advance(70 * MINUTE);
      const { reader } = world.reader();

      // WHEN the consumer calls Zoho
      const response = await reader.fetch(USERS_PATH);

      // THEN one forced refresh gave it a new token and the call succeeded
      expect(response.status).toBe(200);
      expect(world.sandbox.stats.refreshes).toBe(1);
      expect(world.invokes.total).toBe(1);
      expect((await reader.getToken()).accessToken).not.toBe(expired);
    });

    it('reports a connection that was never connected, with the next step', async () => {
      await startWorld();
      const { reader } = world.reader();

      const failure = await reader.getToken().catch((error: unknown) => error);

      expect(failure).toBeInstanceOf(NotConnectedError);
      expect((failure as Error).message).toMatch(/Run the exchange function.*"Connect to Zoho"/);
      expect(world.invokes.total).toBe(0);
    });

    it('reads the secret once per 10 s while not connected, however many callers ask, and sees a connect after that', async () => {
      await startWorld();
      const { reader, reads } = world.reader();

      const failures = await Promise.all(
        Array.from({ length: 100 }, () => reader.getToken().catch((error: unknown) => error)),
      );
      for (let call = 0; call < 100; call += 1) await reader.getToken().catch(() => undefined);

      expect(failures.every((failure) => failure instanceof NotConnectedError)).toBe(true);
      expect(reads()).toBe(1);
      await world.connect();
      world.clock.advance(10_000);
      expect((await reader.getToken()).accessToken).toBe(world.storedAccessToken());
      expect(reads()).toBe(2);
    });

    it('names the missing environment variable when no secret id is given', () => {
      const saved = process.env.ACCESS_TOKEN_SECRET_ID;
      delete process.env.ACCESS_TOKEN_SECRET_ID;
      try {
        expect(() => new ZohoTokenReader()).toThrow(ConfigError);
        expect(() => new ZohoTokenReader()).toThrow(/ACCESS_TOKEN_SECRET_ID/);
      } finally {
        if (saved !== undefined) process.env.ACCESS_TOKEN_SECRET_ID = saved;
      }
    });

    it('says which secret id is wrong when the secret does not exist', async () => {
      await startWorld();
      await world.connect();
      const { reader } = world.reader({ secretId: 'zoho/no-such-secret' });

      await expect(reader.getToken()).rejects.toThrow(
        /zoho\/no-such-secret was not found.*ACCESS_TOKEN_SECRET_ID/,
      );
    });
  });

  describe('a stale token while the refresh function fails', () => {
    it('serves the still-valid token, reads at most once per 30 s, then says why it cannot go on', async () => {
      // GIVEN a token 4 minutes from expiry, inside the reader's 5-minute margin, and Zoho down
      await startWorld();
      await world.connect();
      const stale = world.storedAccessToken();
      world.clock.advance(56 * MINUTE);
      world.sandbox.setOutage('server-error');
      const { reader, reads } = world.reader();

      // WHEN the consumer asks for the token every simulated second for a minute
      const served = new Set<string>();
      for (let second = 0; second <= 60; second += 1) {
        served.add((await reader.getToken()).accessToken);
        world.clock.advance(1000);
      }

      // THEN it kept serving the valid token, reading once per 30 s, never in a storm
      expect([...served]).toEqual([stale]);
      expect(reads()).toBe(3);
      expect(world.invokes.total).toBe(3);

      // WHEN the token expires with Zoho still down
      world.clock.advance(4 * MINUTE);
      const failure = await reader.getToken().catch((error: unknown) => error);

      // THEN the caller gets the refresh function's own verdict, not an expired token
      expect(failure).toBeInstanceOf(ZohoUnavailableError);
      expectNoSecretIn(failure);

      // WHEN Zoho is back and the refresh function's next try has come (a minute after its last failure)
      world.sandbox.setOutage(undefined);
      world.clock.advance(60_000);

      // THEN a new token arrives
      expect((await reader.getToken()).accessToken).not.toBe(stale);
    });

    it('serves the still-valid token after one wait when the refresh function is busy', async () => {
      await startWorld('reject');
      await world.connect();
      const stale = world.storedAccessToken();
      world.clock.advance(56 * MINUTE);
      const release = world.occupyRefreshFunction();
      const { reader, reads } = world.reader();

      const token = await reader.getToken();

      expect(token.accessToken).toBe(stale);
      expect(world.invokes).toEqual({ total: 1, busy: 1 });
      expect(reads()).toBe(2);
      release();
    });

    it("keeps serving a still-valid token when the refresh function's own configuration is broken, and says whose it is", async () => {
      await startWorld();
      await world.connect();
      const stale = world.storedAccessToken();
      world.clock.advance(56 * MINUTE);
      world.breakRefreshFunctionConfiguration();
      const { reader } = world.reader();

      const served = await reader.getToken();
      world.clock.advance(5 * MINUTE);
      const failure = await reader.getToken().catch((error: unknown) => error);

      expect(served.accessToken).toBe(stale);
      expect(failure).not.toBeInstanceOf(ConfigError);
      expect(failure).toMatchObject({ name: 'RefreshFunctionError' });
      expect((failure as Error).message).toMatch(
        /refresh function .* is misconfigured \(ConfigError\).*keeper's deployment/,
      );
    });

    it('without a refresh function, reports an expired token instead of serving it', async () => {
      await startWorld();
      await world.connect();
      world.clock.advance(61 * MINUTE);
      const { reader } = world.reader({ refreshFunctionName: '' });

      const failure = await reader.getToken().catch((error: unknown) => error);

      expect(failure).toBeInstanceOf(ZohoTokenExpiredError);
      expect((failure as Error).message).toMatch(/RefreshFailed alarm.*REFRESH_FUNCTION_NAME/);
      expect(world.invokes.total).toBe(0);
      expectNoSecretIn(failure);
    });
  });

  describe('recovering a rejected token', () => {
    it.each([
      ['invalidated by Zoho', (accessToken: string) => world.sandbox.invalidateAccessToken(accessToken)],
      ['revoked', (accessToken: string) => revokeAccessToken(world, accessToken)],
    ])('replaces a token %s and retries the call once, unseen by the caller', async (_how, reject) => {
      // GIVEN a reader holding a token 20 minutes old, which Zoho then stops accepting
      await startWorld();
      await world.connect();
      world.clock.advance(20 * MINUTE);
      const { reader, reads } = world.reader();
      const rejected = await reader.getToken();
      await reject(rejected.accessToken);

      // WHEN the consumer calls Zoho
      const response = await reader.fetch(USERS_PATH);

      // THEN the call succeeded with a new token after one refresh
      expect(response.status).toBe(200);
      expect(await response.json()).toMatchObject({ users: [{ full_name: 'Sandbox User' }] });
      expect(world.sandbox.stats.refreshes).toBe(1);
      expect(world.sandbox.stats.apiCalls).toBe(2);
      expect(reads()).toBe(3);
      expect((await reader.getToken()).accessToken).toBe(world.storedAccessToken());
    });

    it.each<RefreshConcurrency>(['queue', 'reject'])(
      'lets 20 containers with the same rejected token cause one Zoho refresh (concurrent invokes: %s)',
      async (concurrency) => {
        // GIVEN 20 containers holding the same token, which Zoho then stops accepting
        await startWorld(concurrency);
        await world.connect();
        world.clock.advance(20 * MINUTE);
        const containers = Array.from({ length: 20 }, () => world.reader());
        const [first] = await Promise.all(containers.map(({ reader }) => reader.getToken()));
        world.sandbox.invalidateAccessToken(first?.accessToken ?? '');

        // WHEN all of them learn at the same moment that Zoho rejects it, then call again
        const replacements = await Promise.all(
          containers.map(({ reader }) => reader.recover(first as ZohoAccessToken)),
        );
        const responses = await Promise.all(containers.map(({ reader }) => reader.fetch(USERS_PATH)));

        // THEN Zoho minted one token, each container ran the refresh function at most once, and all calls succeed
        expect(world.sandbox.stats.refreshes).toBe(1);
        expect(containers.map(({ refreshRunsAsked }) => refreshRunsAsked() <= 1)).toEqual(
          Array(20).fill(true),
        );
        // Many asked at once: queued runs found the token just refreshed; turned-away ones re-read it.
        if (concurrency === 'queue') expect(world.invokes.total).toBeGreaterThan(1);
        else expect(world.invokes.busy).toBeGreaterThan(0);
        expect(new Set(replacements.map((token) => token.accessToken))).toEqual(
          new Set([world.storedAccessToken()]),
        );
        expect(responses.map((response) => response.status)).toEqual(Array(20).fill(200));
      },
    );

    it('asks the refresh function once per rejected token, however many calls of a container fail', async () => {
      await startWorld();
      await world.connect();
      world.clock.advance(20 * MINUTE);
      const { reader } = world.reader();
      world.sandbox.invalidateAccessToken((await reader.getToken()).accessToken);

      const responses = await Promise.all(Array.from({ length: 10 }, () => reader.fetch(USERS_PATH)));

      expect(responses.map((response) => response.status)).toEqual(Array(10).fill(200));
      expect(world.invokes.total).toBe(1);
      expect(world.sandbox.stats.refreshes).toBe(1);
    });

    it('waits for a busy refresh function while it has no usable token, then recovers', async () => {
      await startWorld('reject');
      await world.connect();
      world.clock.advance(20 * MINUTE);
      const { reader } = world.reader();
      const rejected = await reader.getToken();
      world.sandbox.invalidateAccessToken(rejected.accessToken);
      // A long run holds the function's only slot through the reader's first three attempts.
      world.occupyRefreshFunction({ untilBusyAnswers: 3 });

      const recovered = await reader.recover(rejected);

      expect(recovered.accessToken).not.toBe(rejected.accessToken);
      expect(recovered.accessToken).toBe(world.storedAccessToken());
      expect(world.invokes).toEqual({ total: 4, busy: 3 });
      expect(world.sandbox.stats.refreshes).toBe(1);
    });

    it('gives up with a clear error when the refresh function stays busy', async () => {
      await startWorld('reject');
      await world.connect();
      world.clock.advance(20 * MINUTE);
      const { reader } = world.reader();
      const rejected = await reader.getToken();
      const release = world.occupyRefreshFunction();

      const failure = await reader.recover(rejected).catch((error: unknown) => error);
      release();

      expect(failure).toMatchObject({ name: 'TooManyRequestsException' });
      expect((failure as Error).message).toMatch(/was busy 10 times in a row.*reserved concurrency is 1/);
      expect(world.invokes.busy).toBe(10);
      expectNoSecretIn(failure);
    });

    it('explains a token Zoho rejects minutes after it was minted, which a refresh would not fix', async () => {
      // GIVEN a token minted 2 minutes ago that Zoho rejects (wrong data centre or scopes)
      await startWorld();
      await world.connect();
      world.clock.advance(2 * MINUTE);
      const { reader } = world.reader();
      world.sandbox.invalidateAccessToken((await reader.getToken()).accessToken);

      // WHEN the consumer calls Zoho
      const failure = await reader.fetch(USERS_PATH).catch((error: unknown) => error);

      // THEN it learns what to check, and Zoho was not asked for another token
      expect(failure).toBeInstanceOf(ZohoTokenRejectedError);
      expect((failure as Error).name).toBe('ZohoTokenRejectedError');
      expect((failure as Error).message).toMatch(/minted 2 minute\(s\) ago.*api_domain.*scopes/);
      expect(world.sandbox.stats.refreshes).toBe(0);
      expectNoSecretIn(failure);

      // AND a second failing call within 30 s does not ask the refresh function again
      await reader.fetch(USERS_PATH).catch(() => undefined);
      expect(world.invokes.total).toBe(1);
    });

    it('without a refresh function, uses a token another container already replaced', async () => {
      await startWorld();
      await world.connect();
      world.clock.advance(20 * MINUTE);
      const { reader } = world.reader({ refreshFunctionName: '' });
      const rejected = await reader.getToken();
      world.sandbox.invalidateAccessToken(rejected.accessToken);
      await world.scheduledRun();

      const response = await reader.fetch(USERS_PATH);

      expect(response.status).toBe(200);
      expect(world.invokes.total).toBe(0);
    });

    it('without a refresh function, says how to enable recovery when the stored token is the rejected one', async () => {
      await startWorld();
      await world.connect();
      world.clock.advance(20 * MINUTE);
      const { reader } = world.reader({ refreshFunctionName: '' });
      world.sandbox.invalidateAccessToken((await reader.getToken()).accessToken);

      const failure = await reader.fetch(USERS_PATH).catch((error: unknown) => error);

      expect(failure).toBeInstanceOf(ZohoTokenRejectedError);
      expect((failure as Error).message).toMatch(/REFRESH_FUNCTION_NAME.*addConsumer/);
      expectNoSecretIn(failure);
    });

    it('returns answers that are not about the token as they are, without recovering', async () => {
      await startWorld();
      await world.connect();
      const { reader } = world.reader();

      const response = await reader.fetch('/crm/v8/no-such-api');

      expect(response.status).toBe(404);
      expect(world.invokes.total).toBe(0);
    });

    it('sends every call through the fetch it was given, the retry after recovery included', async () => {
      // GIVEN a reader whose calls go through an in-process transport that answers as Zoho would
      await startWorld();
      await world.connect();
      world.clock.advance(20 * MINUTE);
      const sent: { url: string; authorization: string | null }[] = [];
      const { reader } = world.reader({
        fetch: async (url, init) => {
          const authorization = new Headers(init.headers).get('authorization');
          sent.push({ url, authorization });
          const token = authorization?.replace(/^Zoho-oauthtoken /, '') ?? '';
          return world.sandbox.isAccessTokenValid(token)
            ? Response.json({ users: [{ full_name: 'In-process User' }] })
            : Response.json({ code: 'INVALID_TOKEN', message: 'invalid oauth token' }, { status: 401 });
        },
      });
      const rejected = await reader.getToken();
      world.sandbox.invalidateAccessToken(rejected.accessToken);

      // WHEN the consumer calls Zoho with the rejected token
      const response = await reader.fetch(USERS_PATH);

      // THEN both attempts went through that transport, the second with the new token, and none over HTTP
      expect(await response.json()).toEqual({ users: [{ full_name: 'In-process User' }] });
      expect(sent).toEqual([
        { url: `${world.sandbox.url}${USERS_PATH}`, authorization: rejected.authorizationHeader },
        {
          url: `${world.sandbox.url}${USERS_PATH}`,
          authorization: `Zoho-oauthtoken ${world.storedAccessToken()}`,
        },
      ]);
      expect(world.sandbox.stats.apiCalls).toBe(0);
    });

    it('refuses to send the token anywhere but the api_domain', async () => {
      await startWorld();
      await world.connect();
      const { reader, reads } = world.reader();

      for (const target of ['https://attacker.example/steal', '//attacker.example/steal', 'crm/v8/users']) {
        await expect(reader.fetch(target)).rejects.toThrow(TypeError);
      }
      expect(reads()).toBe(0);
    });
  });
});
